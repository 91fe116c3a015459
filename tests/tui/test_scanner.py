"""The barcode scanner at the counter and during an intake: a scan is told from typing by
its speed and routed by what it reads. Key timing comes from a stepped clock, so a "scan"
is keys 5 ms apart and "typing" keys 150 ms apart, whatever the test machine's speed."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.scanner import ScanBuffer
from clerk_console.tui.screens.cases import CasesScreen
from clerk_console.tui.screens.counter import CounterScreen
from clerk_console.tui.screens.intake import IntakeScreen

from tui.helpers import log_in, plain, settle

SIZE = (140, 45)


class SteppedClock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_the_buffer_tells_a_scan_from_typing() -> None:
    fast = ScanBuffer(clock=SteppedClock(0.005))
    assert [fast.feed(k, k) for k in "B001"] == [None] * 4
    assert fast.feed("enter", None) == "B001"
    slow = ScanBuffer(clock=SteppedClock(0.15))
    for k in "B001":
        slow.feed(k, k)
    assert slow.feed("enter", None) is None
    broken = ScanBuffer(clock=SteppedClock(0.005))
    for k in "B0":
        broken.feed(k, k)
    broken.feed("left", None)  # any other key breaks a burst
    for k in "01":
        broken.feed(k, k)
    assert broken.feed("enter", None) is None


async def scan(pilot: Pilot[None], text: str, step: float = 0.005) -> None:
    pilot.app.scans.clock = SteppedClock(step)  # type: ignore[attr-defined]
    await pilot.press(*text, "enter")
    await settle(pilot)


def said(pilot: Pilot[None], selector: str) -> str:
    return plain(pilot.app.screen.query_one(selector, Static))


async def test_scans_at_the_counter(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    guide = platform()
    await guide.login("guide01", "333333")
    await guide.issue_ticket("B")
    await guide.issue_ticket("B")
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        screen = app.screen
        assert isinstance(screen, CounterScreen)
        await scan(pilot, "B002")  # the second ticket, called by its slip's barcode
        assert screen.ticket is not None and screen.ticket.number == "B002"
        await pilot.press("f", "4")
        await settle(pilot)
        await scan(pilot, "b001", step=0.15)  # typed by hand: not a scan, nothing called
        assert screen.ticket is None or screen.ticket.number == "B002"
        assert "暂无在办的号" in said(pilot, "#current")
        await scan(pilot, "6901234567892")
        assert "扫描读到“6901234567892”，没有匹配" in said(pilot, "#last-action")
        await scan(pilot, "JY01-20261122-05-0999")  # a receipt or notice: its case looked up
        assert isinstance(app.screen, CasesScreen)
        assert "找到 0 件（JY01-20261122-05-0999）" in said(pilot, "#cases-message")
        await pilot.press("escape")
        await settle(pilot)
        await scan(pilot, "YS2026112201")  # a pre-application: an intake, filled in
        intake = app.screen
        assert isinstance(intake, IntakeScreen) and intake.intake is not None
        assert intake.intake.applicant.credit_code == "91110000600037341L"
        assert intake.intake.selection is not None and intake.intake.selection.bundle == "QYKB"
        assert "已调入网上预审 YS2026112201" in said(pilot, "#intake-message")
        await pilot.press("f4", "f4")  # applicant checked; the scenario is settled already
        await settle(pilot)
        await scan(pilot, "DZZZ:BIZREG:91110000600037341L")  # an e-licence
        assert intake.intake.record("shareholder_proof").verified_by_sharing
        assert "已通过市场主体登记信息库共享核验" in said(pilot, "#intake-message")
        await scan(pilot, "B001")
        assert "正在受理中" in said(pilot, "#intake-message")
    await guide.aclose()
