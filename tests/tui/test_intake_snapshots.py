"""The look of the intake steps: applicant, checklist and one form. Refresh after an
intended change with --snapshot-update and review the SVGs."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient

from tui.helpers import settle
from tui.test_intake_flow import company_applicant, open_intake, qykb_settled

SIZE = (130, 40)
SnapCompare = Callable[..., bool]


async def to_checklist(pilot: Pilot[None]) -> None:
    screen = await open_intake(pilot)
    await company_applicant(pilot)
    await qykb_settled(pilot, screen)
    await pilot.press("enter", "enter", "m")  # two handed over, the third missing
    await settle(pilot)


def test_applicant_step(
    snap_compare: SnapCompare, settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await open_intake(pilot)
        await pilot.press("ctrl+t", *"江阳示范科技有限公司", "enter", *"91110000600037341A", "f4")
        await settle(pilot)

    app = make_app(settings, platform=platform)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_checklist_step(
    snap_compare: SnapCompare, settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await to_checklist(pilot)

    app = make_app(settings, platform=platform)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_form_step(
    snap_compare: SnapCompare, settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await to_checklist(pilot)
        await pilot.press("f4")
        await settle(pilot)

    app = make_app(settings, platform=platform)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
