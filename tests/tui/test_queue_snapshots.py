"""The look of the counter, kiosk, supervisor and display screens, on a platform with a fixed
clock and fixed data. Refresh after an intended change with --snapshot-update."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from central.conftest import Clock
from textual.pilot import Pilot

from clerk_console.cli import embedded_platform, make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient

from tui.helpers import settle

SIZES = [(120, 34), (80, 24)]
"""The size the screens were made at, and the smallest terminal a counter may have."""
SnapCompare = Callable[..., bool]
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


@pytest.fixture
def platform(settings: ConsoleConfig) -> Callable[[], PlatformClient]:
    clock = Clock()
    app = embedded_platform(settings, clock=clock)

    async def setup() -> None:
        kiosk = PlatformClient(transport=httpx.ASGITransport(app=app))
        await kiosk.login("guide01", "333333")
        for line in "BBAC":
            await kiosk.issue_ticket(line)
            clock.advance(minutes=3)
        clock.advance(minutes=5)
        clerk = PlatformClient(transport=httpx.ASGITransport(app=app))
        await clerk.login("clerk02", "111112", counter=1)
        await clerk.counter_action(1, "call-next")  # A001 at counter 1
        clock.advance(minutes=4)
        await kiosk.aclose()
        await clerk.aclose()

    asyncio.run(setup())
    return lambda: PlatformClient(transport=httpx.ASGITransport(app=app))


async def login(pilot: Pilot[None], user: str, pin: str) -> None:
    await settle(pilot)
    await pilot.press(*user, "enter", *pin, "enter", "enter")
    await settle(pilot)


async def until(pilot: Pilot[None], check: Callable[[], bool]) -> None:
    for _ in range(40):
        await pilot.pause(0.05)
        if check():
            return


@sizes
def test_counter_screen(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await login(pilot, "clerk01", "111111")
        await pilot.press("n")
        await settle(pilot)
        await until(
            pilot, lambda: "B 企业开办" in str(pilot.app.screen.query_one("#lines").content)
        )

    app = make_app(settings, platform=platform)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@sizes
def test_kiosk_screen(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await login(pilot, "guide01", "333333")
        await until(pilot, lambda: bool(pilot.app.screen.query(".line-button")))
        await pilot.press("b")
        await settle(pilot)
        await until(pilot, lambda: "3 人" in str(pilot.app.screen.query_one("#line-B").label))

    app = make_app(settings, platform=platform, start="kiosk")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@sizes
def test_supervisor_screen(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await login(pilot, "super01", "222222")
        await until(pilot, lambda: bool(getattr(pilot.app.screen, "hall", {}).get("counters")))
        await settle(pilot)

    app = make_app(settings, platform=platform, start="kiosk")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@sizes
def test_display_screen(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await until(pilot, lambda: bool(pilot.app.screen.query_one("#latest-number").value))
        await settle(pilot)

    app = make_app(settings, platform=platform, start="display")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@sizes
def test_counter_key_help(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
) -> None:
    """F9 on the counter: every key of the screen, one key away."""

    async def run_before(pilot: Pilot[None]) -> None:
        await login(pilot, "clerk01", "111111")
        await pilot.press("n", "f9")
        await settle(pilot)

    app = make_app(settings, platform=platform)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def pad_asking(pilot: Pilot[None], platform: Callable[[], PlatformClient]) -> None:
    """The rating pad of counter 5, asking about the ticket its clerk just finished."""
    from clerk_console.tui.screens.rating_pad import RatingPadScreen

    await login(pilot, "clerk01", "111111")
    clerk = platform()
    await clerk.login("clerk01", "111111", counter=5)
    called = await clerk.counter_action(5, "call-next")
    await clerk.counter_action(5, "finish", {"outcome": "consulted", "ticket": called.number})
    await clerk.aclose()
    pad = pilot.app.screen
    assert isinstance(pad, RatingPadScreen)
    for _ in range(300):  # the pad's next look at its counter (a bound, not a timing)
        if pad.mode == "ask":
            break
        await pilot.pause(0.05)
    await settle(pilot)


@sizes
def test_rating_pad_asking(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pad_asking(pilot, platform)

    app = make_app(settings, platform=platform, start="rate")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_rating_pad_reasons_in_english(
    snap_compare: SnapCompare, settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pad_asking(pilot, platform)
        await pilot.press("5", "2")
        await settle(pilot)

    app = make_app(settings, platform=platform, start="rate", lang="en")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
