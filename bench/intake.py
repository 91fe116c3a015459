"""Intake figures: keystrokes for the standard 企业开办 intake, and checklist recompute time.

1. Keystrokes: the console (embedded platform, a fresh data directory) driven by Textual's
   Pilot through the whole 企业开办 intake, every material handed in, to an accepted case.
   Keys that carry data (the applicant's name and numbers, form values, the search text)
   are counted apart from the keys of the work itself (Enter, F4, the state keys, the
   decision). Goal: <= 40 work keys.
2. Recompute: the tailored checklist rebuilt and assessed after one material changes state
   (what the screen does on every key), over the 企业开办 bundle; and the same with the
   checklist table redrawn on screen. Goal: p95 <= 10 ms.

    python3 bench/intake.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from textual.widgets import DataTable, Input, Static

from clerk_console.catalog_files import load_catalog
from clerk_console.cli import embedded_platform, make_app
from clerk_console.config import ConsoleConfig, validate
from clerk_console.domain.checklist import Selection, build_checklist
from clerk_console.domain.decision import MaterialRecord, OriginalStatus, assess
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.intake import IntakeScreen

from tui.helpers import plain, settle

FORM_VALUE = "示例"
FORM_VALUES = {"id_number": "51050219900101123X", "money": "100", "number": "3"}
"""Form values by field kind (typed data)."""


class Keys:
    """Counts what the clerk presses: work keys and data keys apart."""

    def __init__(self, pilot: object) -> None:
        self.pilot, self.work, self.data = pilot, 0, 0

    async def press(self, *keys: str) -> None:
        self.work += len(keys)
        await self.pilot.press(*keys)  # type: ignore[attr-defined]

    async def type(self, text: str) -> None:
        self.data += len(text)
        await self.pilot.press(*text)  # type: ignore[attr-defined]


async def keystrokes() -> tuple[int, int, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = validate(ConsoleConfig, {"data_dir": str(Path(tmp) / "data")})
        asgi = embedded_platform(settings)
        app = make_app(
            settings, platform=lambda: PlatformClient(transport=httpx.ASGITransport(app=asgi))
        )
        async with app.run_test(size=(140, 45)) as pilot:
            await settle(pilot)
            await pilot.press(*"clerk01", "enter", *"111111", "enter", "enter")
            await settle(pilot)
            keys = Keys(pilot)
            await keys.press("i")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IntakeScreen)
            await keys.press("ctrl+t")
            for value in (
                "江阳示范科技有限公司",
                "91110000600037341L",
                "李四",
                "王五",
                "13912345678",
            ):
                await keys.type(value)
                await keys.press("enter")  # from the mobile, on to the next step (no agent)
            await settle(pilot)
            await keys.type("qykb")
            await keys.press("enter")
            await settle(pilot)
            while "情形已确定" not in plain(screen.query_one("#intake-question", Static)):
                await keys.press("enter")
                await settle(pilot)
            await keys.press("f4")
            await settle(pilot)
            table = screen.query_one("#intake-checklist", DataTable)
            redraws = []
            for _ in range(table.row_count):
                started = time.perf_counter()
                await keys.press("enter")
                redraws.append(time.perf_counter() - started)
            await keys.press("f4")
            await settle(pilot)
            # The form opens on its first empty field; Enter goes to the next empty one, and
            # from the last, on to the decision.
            empty = [f for f in screen.query(".form-field").results(Input) if not f.value]
            for field in empty:
                kind = screen.catalog.form_fields[(field.id or "")[5:]].kind
                await keys.type(FORM_VALUES.get(kind, FORM_VALUE))
                await keys.press("enter")
                await pilot.pause()
            await settle(pilot)
            await keys.press("1")
            await settle(pilot)
            assert screen.decision is not None and screen.decision.status == "accepted"
            return keys.work, keys.data, redraws


def recompute(rounds: int = 2000) -> list[float]:
    catalog = load_catalog()
    selection, answers = Selection(bundle="QYKB"), {}
    while (question := build_checklist(catalog, selection, answers).next_question) is not None:
        answers[question.code] = question.choices[0].code
    codes = [e.material.code for e in build_checklist(catalog, selection, answers).entries]
    records: dict[str, MaterialRecord] = {}
    times = []
    for n in range(rounds):
        code = codes[n % len(codes)]
        records[code] = MaterialRecord().with_original(
            OriginalStatus.VERIFIED if n % 2 else OriginalStatus.COLLECTED
        )
        started = time.perf_counter()
        assess(build_checklist(catalog, selection, answers), records)
        times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    work, data, redraws = asyncio.run(keystrokes())
    print(f"企业开办, every material handed in, accepted: {work} work keys (goal <= 40),")
    print(f"  and {data} keys of typed data (names, numbers, form values, the search text)")
    times = recompute()
    print(
        f"checklist recompute after a state change (企业开办, {len(times)} changes): "
        f"p50 {statistics.median(times) * 1000:.2f} ms, p95 {p95(times) * 1000:.2f} ms "
        "(goal p95 <= 10 ms)"
    )
    print(
        f"the same key on screen (recompute and table redrawn, Pilot, {len(redraws)} keys): "
        f"p50 {statistics.median(redraws) * 1000:.1f} ms, p95 {p95(redraws) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
