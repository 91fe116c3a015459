"""The look of the service guide. Deterministic: fixed size and data, no blinking cursor,
background loading finished before the picture. After an intended change of the look or of
the catalog, refresh with `pytest tests/tui/test_snapshots.py --snapshot-update` and review
the SVGs in the diff."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig

from tui.helpers import settle

SIZE = (140, 45)
SnapCompare = Callable[..., bool]


def test_login_start(snap_compare: SnapCompare, settings: ConsoleConfig) -> None:
    """`clerk-console` opens on the staff login at this console's counter."""
    assert snap_compare(make_app(settings), terminal_size=SIZE, run_before=settle)


def test_login_start_on_80_columns(snap_compare: SnapCompare, settings: ConsoleConfig) -> None:
    assert snap_compare(make_app(settings), terminal_size=(80, 24), run_before=settle)


def test_guide_start(snap_compare: SnapCompare, settings: ConsoleConfig) -> None:
    assert snap_compare(make_app(settings, start="guide"), terminal_size=SIZE, run_before=settle)


def test_guide_qykb_half_answered(snap_compare: SnapCompare, settings: ConsoleConfig) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*"qykb", "enter", "1", "2", "1")
        await settle(pilot)

    app = make_app(settings, start="guide")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_guide_no_results(snap_compare: SnapCompare, settings: ConsoleConfig) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*"zzzz")
        await settle(pilot)

    app = make_app(settings, start="guide")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_guide_english_newborn_settled(snap_compare: SnapCompare, settings: ConsoleConfig) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*"xsecs", "enter", "1", "1", "1", "1")
        await settle(pilot)

    app = make_app(settings, lang="en", start="guide")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
