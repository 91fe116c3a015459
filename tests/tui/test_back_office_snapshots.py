"""The look of the cases screen, the approver's inbox and handoff, and the supervisor's
deadlines, with a 企业开办 case on a platform whose clock stands still; at the size they
were made at and at 80x24. Refresh after an intended change with --snapshot-update."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from central.conftest import Clock
from central.test_back_office import QYKB, case_body
from textual.pilot import Pilot

from clerk_console.cli import embedded_platform, make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient

from tui.helpers import settle

NUMBER = "JY01-20261123-05-0001"
SIZES = [(120, 34), (80, 24)]
SnapCompare = Callable[..., bool]
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


@pytest.fixture
def platform(settings: ConsoleConfig) -> Callable[[], PlatformClient]:
    clock = Clock()
    app = embedded_platform(settings, clock=clock)

    async def setup() -> None:
        clerk = PlatformClient(transport=httpx.ASGITransport(app=app))
        await clerk.login("clerk01", "111111", 5)
        await clerk.send_case(case_body(NUMBER, QYKB), f"draft-{NUMBER}")
        await clerk.logout()
        await clerk.aclose()
        clock.advance(days=1, hours=2)  # the licence's handoff is due today

    asyncio.run(setup())
    return lambda: PlatformClient(transport=httpx.ASGITransport(app=app))


async def login(pilot: Pilot[None], user: str, pin: str, counter: bool = True) -> None:
    await settle(pilot)
    if not counter:
        await pilot.press("tab", "tab", "ctrl+u", "shift+tab", "shift+tab")
    await pilot.press(*user, "enter", *pin, "enter", "enter")
    await settle(pilot)


async def cases_found(pilot: Pilot[None]) -> None:
    await login(pilot, "clerk01", "111111")
    await pilot.press("s", *NUMBER, "enter")


async def approver_inbox(pilot: Pilot[None]) -> None:
    await login(pilot, "scjg01", "444401", counter=False)


async def approver_handoff(pilot: Pilot[None]) -> None:
    await approver_inbox(pilot)
    await pilot.press("enter")


async def supervisor_deadlines(pilot: Pilot[None]) -> None:
    await login(pilot, "super01", "222222", counter=False)
    await pilot.press("l")


SCENES: dict[str, Callable[[Pilot[None]], Awaitable[None]]] = {
    "cases": cases_found,
    "approver_inbox": approver_inbox,
    "approver_handoff": approver_handoff,
    "supervisor_deadlines": supervisor_deadlines,
}


@pytest.mark.parametrize("scene", SCENES)
@sizes
def test_back_office_screen(
    snap_compare: SnapCompare,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    size: tuple[int, int],
    scene: str,
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await SCENES[scene](pilot)
        await settle(pilot)

    app = make_app(settings, platform=platform)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
