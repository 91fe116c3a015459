"""Intake figures: keystrokes for the standard 企业开办 intake, and checklist recompute time.

1. Keystrokes: the console (embedded platform, a fresh data directory) driven by Textual's
   Pilot through the whole 企业开办 intake, every material handed in, to an accepted case.
   Keys that carry data (the applicant's name and numbers, form values, the search text)
   are counted apart from the keys of the work itself (Enter, F4, the state keys, the
   decision). Goal: <= 30 work keys.
2. Recompute: the tailored checklist rebuilt and assessed after one material changes state
   (what the screen does on every key), over the 企业开办 bundle. Goal: p95 <= 10 ms.
3. The screen's reaction to a key: from the key sent until the first frame painted after
   the screen asked to redraw for it (what the clerk sees change), for a step change
   (F4/F3) and for Enter on the checklist (a material taken, its row redrawn, the draft
   saved off the screen's thread). Goal: p95 <= 50 ms. Also printed: until the last frame
   the key caused (the footer's keys redrawn, scroll bars settled).

    python3 bench/intake.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Input

from clerk_console.catalog_files import load_catalog
from clerk_console.cli import embedded_platform, make_app
from clerk_console.config import ConsoleConfig, validate
from clerk_console.domain.checklist import Selection, build_checklist
from clerk_console.domain.decision import MaterialRecord, OriginalStatus, assess
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.intake import IntakeScreen

from tui.helpers import settle

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


async def keystrokes() -> tuple[int, int, dict[str, list[tuple[float, float]]]]:
    """The standard 企业开办 intake from the counter's `i` to an accepted case: the
    applicant (the person founding the company: the company has no code yet), the bundle
    and its questions, every material handed over, the one form, the decision. Returns the
    work keys, the data keys, and how long the screen took to react to each kind of key."""
    reactions: dict[str, list[tuple[float, float]]] = {"step change": [], "checklist Enter": []}
    with tempfile.TemporaryDirectory() as tmp:
        settings = validate(ConsoleConfig, {"data_dir": str(Path(tmp) / "data")})
        asgi = embedded_platform(settings)
        app = make_app(
            settings, platform=lambda: PlatformClient(transport=httpx.ASGITransport(app=asgi))
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press(*"clerk01", "enter", *"111111", "enter", "enter")
            await settle(pilot)
            keys = Keys(pilot)
            await keys.press("i")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IntakeScreen)
            for value in ("李四", "51050219900101123X", "13912345678"):
                await keys.type(value)
                await keys.press("enter")  # from the mobile, on to the next step (no agent)
            await settle(pilot)
            await keys.type("qykb")
            await keys.press("enter")
            await settle(pilot)
            # Each question's first answer by its digit; whether an agent acts is known.
            while screen.checklist().next_question is not None:  # type: ignore[union-attr]
                await keys.press("1")
                await settle(pilot)
            await keys.press("enter")  # on the last line: on to the checklist
            await settle(pilot)
            assert screen.step.value == "checklist"
            await keys.press("*")  # the whole pile, handed over as the checklist asks
            await settle(pilot)
            await keys.press("f4")
            await settle(pilot)
            # The form opens on its first empty field; Enter goes to the next empty one, and
            # from the last, on to the decision.
            fields = screen.query(".form-field").results(Input)
            for field in [f for f in fields if f.display and f.parent and f.parent.display]:
                spec = screen.catalog.form_fields[(field.id or "")[5:]]
                if field.value or not spec.required:
                    continue
                await keys.type(FORM_VALUES.get(spec.kind, FORM_VALUE))
                await keys.press("enter")
                await pilot.pause()
            await settle(pilot)
            assert screen.step.value == "decision", screen.step
            await keys.press("1")
            await settle(pilot)
            assert screen.decision is not None and screen.decision.status == "accepted"
            work, data = keys.work, keys.data
        # The screen's reaction to a key, on a fresh intake: steps back and forth, and
        # materials taken one by one.
        app = make_app(
            settings, platform=lambda: PlatformClient(transport=httpx.ASGITransport(app=asgi))
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press(*"clerk01", "enter", *"111111", "enter", "enter")
            await settle(pilot)
            await pilot.press("i")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IntakeScreen)
            await pilot.press(*"李四", "enter", *"51050219900101123X", "enter")
            await pilot.press(*"13912345678", "enter", *"qykb", "enter")
            await settle(pilot)
            while screen.checklist().next_question is not None:  # type: ignore[union-attr]
                await pilot.press("1")
            await pilot.press("enter")
            await settle(pilot)
            for _ in range(10):
                for key in ("f4", "f3"):  # checklist → form → checklist
                    reactions["step change"].append(await reaction(pilot, key))
            table = screen.query_one("#intake-checklist", DataTable)
            for _ in range(table.row_count):
                reactions["checklist Enter"].append(await reaction(pilot, "enter"))
    return work, data, reactions


FRAMES: list[float] = []
"""When the screen painted a frame (perf_counter), kept by `painted`."""
ASKED: list[float] = []
"""When a widget asked to be redrawn (perf_counter), kept by `painted`."""


def painted(screen_class: type[Screen[object]], widget_class: type[Widget]) -> None:
    """Record each frame a screen paints, and each redraw a widget asks for: a key's effect
    is on the terminal with the first frame after its first redraw request."""
    paint = screen_class._compositor_refresh
    ask = widget_class.refresh

    def painting(self: Screen[object]) -> None:
        paint(self)
        FRAMES.append(time.perf_counter())

    def asking(self: Widget, *args: Any, **kwargs: Any) -> Widget:
        ASKED.append(time.perf_counter())
        return ask(self, *args, **kwargs)

    screen_class._compositor_refresh = painting  # type: ignore[method-assign]
    widget_class.refresh = asking  # type: ignore[method-assign]


async def reaction(pilot: object, key: str) -> tuple[float, float]:
    """(seconds from `key` sent until the first frame that shows its effect, seconds until
    the screen stood still again: the footer's keys redrawn, scroll bars settled)."""
    FRAMES.clear()
    ASKED.clear()
    started = time.perf_counter()
    await pilot.press(key)  # type: ignore[attr-defined]
    asked = min(ASKED, default=started)
    shown = min((f for f in FRAMES if f >= asked), default=time.perf_counter())
    return shown - started, max(FRAMES, default=shown) - started


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
    painted(Screen, Widget)
    work, data, reactions = asyncio.run(keystrokes())
    print(f"企业开办, every material handed in, accepted: {work} work keys (goal <= 30),")
    print(f"  and {data} keys of typed data (names, numbers, form values, the search text)")
    times = recompute()
    print(
        f"checklist recompute after a state change (企业开办, {len(times)} changes): "
        f"p50 {statistics.median(times) * 1000:.2f} ms, p95 {p95(times) * 1000:.2f} ms "
        "(goal p95 <= 10 ms)"
    )
    for kind, pairs in reactions.items():
        shown, still = [p[0] for p in pairs], [p[1] for p in pairs]
        print(
            f"the screen's reaction to a key, {kind} ({len(pairs)} keys): on screen "
            f"p50 {statistics.median(shown) * 1000:.1f} ms, p95 {p95(shown) * 1000:.1f} ms "
            f"(goal p95 <= 50 ms); all still again p50 {statistics.median(still) * 1000:.1f} ms, "
            f"p95 {p95(still) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
