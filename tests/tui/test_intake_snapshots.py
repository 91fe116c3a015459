"""The look of the intake's five steps, at the size they were made at and at 80x24.
Refresh after an intended change with --snapshot-update and review the SVGs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient

from tui.helpers import settle
from tui.test_counter_day import highlight, person
from tui.test_intake_flow import fill_form, open_intake

SIZES = [(130, 40), (80, 24)]
SnapCompare = Callable[..., bool]
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


async def to_questions(pilot: Pilot[None]) -> None:
    """企业开办 chosen, two of its questions answered."""
    screen = await open_intake(pilot)
    await person(pilot)
    await pilot.press(*"qykb", "enter", "1", "2")
    await settle(pilot)
    assert screen.step.value == "selection"


async def to_checklist(pilot: Pilot[None]) -> None:
    await to_questions(pilot)
    screen = pilot.app.screen
    while (checklist := screen.checklist()) is not None and checklist.next_question:  # type: ignore[attr-defined]
        await pilot.press("1")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter", "enter")  # two handed over
    highlight(screen, "articles")  # type: ignore[arg-type]
    await pilot.press("m")  # the articles missing
    await settle(pilot)


async def applicant_typed(pilot: Pilot[None]) -> None:
    await open_intake(pilot)
    await pilot.press("ctrl+t", *"江阳示范科技有限公司", "enter", *"91110000600037341A", "f4")


async def to_form(pilot: Pilot[None]) -> None:
    await to_checklist(pilot)
    await pilot.press("f4")


async def to_decision(pilot: Pilot[None]) -> None:
    await to_form(pilot)
    await settle(pilot)
    fill_form(pilot.app.screen)  # type: ignore[arg-type]
    await pilot.press("f4")


SCENES: dict[str, tuple[Callable[[Pilot[None]], Awaitable[None]], str | None]] = {
    "applicant": (applicant_typed, None),
    "selection": (to_questions, None),
    "checklist": (to_checklist, None),
    "checklist_en": (to_checklist, "en"),
    "form": (to_form, None),
    "decision": (to_decision, None),
}
"""Each step as a clerk reaches it (and the checklist in English too)."""


@pytest.mark.parametrize("scene", SCENES)
@sizes
def test_intake_step(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
    scene: str,
) -> None:
    steps, lang = SCENES[scene]

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await steps(pilot)
        await settle(pilot)

    app = make_app(settings, lang=lang, platform=platform)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
