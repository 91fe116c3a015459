"""The issue's whole flow: three tickets at the kiosk, counter 5 calls and finishes one, and
the hall display and the supervisor's view show the call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlmodel import Session
from textual.widgets import DataTable, Digits, Static

from clerk_console.central.db import demo_booking_codes
from clerk_console.central.models import LineDayCounter
from clerk_console.cli import embedded_platform, make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.counter import CounterScreen
from clerk_console.tui.screens.display import DisplayScreen
from clerk_console.tui.screens.kiosk import KioskScreen
from clerk_console.tui.screens.supervisor import SupervisorScreen

from tui.helpers import log_in, plain, settle

SIZE = (140, 40)


async def test_kiosk_counter_display_and_supervisor(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    kiosk = make_app(settings, platform=platform, start="kiosk")
    async with kiosk.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "guide01", "333333")
        screen = kiosk.screen
        assert isinstance(screen, KioskScreen)
        await pilot.press("b")
        await settle(pilot)
        assert screen.query_one("#slip-number", Digits).value == "B001"
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("f3", "a")  # a priority ticket in line A
        await settle(pilot)
        assert screen.query_one("#slip-number", Digits).value == "A001"
        detail = plain(screen.query_one("#slip-detail", Static))
        assert "您前面还有 0 人" in detail and "优先" in detail

    counter = make_app(settings, platform=platform)
    async with counter.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        assert isinstance(counter.screen, CounterScreen)
        await pilot.press("n")  # the priority ticket first
        await settle(pilot)
        assert counter.screen.ticket is not None and counter.screen.ticket.number == "A001"
        await pilot.press("f", "1")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert counter.screen.ticket.number == "B001"

    display = make_app(settings, platform=platform, start="display")
    async with display.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = display.screen
        assert isinstance(screen, DisplayScreen)
        for _ in range(30):
            await pilot.pause(0.1)
            if screen.query_one("#latest-number", Digits).value:
                break
        assert screen.query_one("#latest-number", Digits).value == "B001"
        assert "请到 5 号窗口" in plain(screen.query_one("#latest-counter", Static))
        recent = plain(screen.query_one("#recent-calls", Static))
        assert recent.index("B001") < recent.index("A001")
        assert "B001" in plain(screen.query_one("#counter-board", Static))

    supervisor = make_app(settings, platform=platform, start="kiosk")
    async with supervisor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "super01", "222222")
        screen = supervisor.screen
        assert isinstance(screen, SupervisorScreen)
        for _ in range(30):
            await pilot.pause(0.1)
            if screen.hall["counters"]:
                break
        table = screen.query_one("#sv-counters", DataTable)
        row = table.get_row("5")
        assert row[1] == "开放" and row[2] == "clerk01" and row[3] == "B001"
        lines = plain(screen.query_one("#sv-lines", Static))
        assert "A 综合业务" in lines
        table.move_cursor(row=table.get_row_index("5"))
        await pilot.press("p")
        await settle(pilot)
        assert "5号窗口已暂停" in plain(screen.query_one("#sv-message", Static))


async def test_kiosk_checks_in_a_booking(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    due, _early, late = demo_booking_codes(datetime.now(UTC).date())
    kiosk = make_app(settings, platform=platform, start="kiosk")
    async with kiosk.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "guide01", "333333")
        screen = kiosk.screen
        assert isinstance(screen, KioskScreen)

        async def check_in(code: str) -> str:
            await pilot.press("f4")
            await settle(pilot)
            await pilot.press(*code, "enter")
            await settle(pilot)
            return plain(screen.query_one("#slip-detail", Static))

        slip = await check_in(due)
        assert screen.query_one("#slip-number", Digits).value == "A001"
        assert "预约时段" in slip and "到时优先叫号" in slip
        assert "已经签到" in await check_in(due)
        # No second ticket, and no number left on screen that may be someone else's.
        assert screen.query_one("#slip-number", Digits).value == ""
        assert "已超过预约时段，按普通号排队" in await check_in(late)
        assert screen.query_one("#slip-number", Digits).value == "A002"
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("escape")  # changed their mind: nothing happens
        await settle(pilot)
        assert screen.query_one("#slip-number", Digits).value == "A002"
        assert "没有找到这个预约号" in await check_in("12345678")
        assert screen.query_one("#slip-number", Digits).value == ""
        assert "预约号是 8 位数字" in await check_in("123")  # said before asking anyone


async def test_a_locked_login_says_who_unlocks_it_and_a_supervisor_does(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    counter = make_app(settings, platform=platform, start="kiosk")
    async with counter.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"clerk02", "enter")
        for _ in range(6):
            await pilot.press(*"000000", "enter", "enter")
            await settle(pilot)
        said = plain(counter.screen.query_one("#login-message", Static))
        assert "已锁定 15 分钟" in said and "值班长" in said and "按 u 解锁" in said

    supervisor = make_app(settings, platform=platform, start="kiosk")
    async with supervisor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "super01", "222222")
        assert isinstance(supervisor.screen, SupervisorScreen)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press(*"clerk02", "enter")
        await settle(pilot)
        said = plain(supervisor.screen.query_one("#sv-message", Static))
        assert "已解锁 clerk02" in said

    again = make_app(settings, platform=platform)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk02", "111112")
        assert isinstance(again.screen, CounterScreen), plain(
            again.screen.query_one("#login-message", Static)
        )


async def test_a_clerk_without_a_counter_number_is_asked_for_it(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform, start="kiosk")  # no counter filled in
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        said = plain(app.screen.query_one("#login-message", Static))
        assert "窗口号" in said and "后续版本" not in said
        assert app.screen.focused is app.screen.query_one("#login-counter")
        await pilot.press("5", "enter")  # the number, then the PIN again
        await settle(pilot)
        await pilot.press(*"111111", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CounterScreen)
        await pilot.press("ctrl+o")  # log out: the login says what to do, not "checking…"
        await settle(pilot)
        said = plain(app.screen.query_one("#login-message", Static))
        assert "正在登录" not in said


async def test_a_line_out_of_numbers_is_said_at_the_kiosk(settings: ConsoleConfig) -> None:
    """Line B has given out B9999 today: its key says so in words, nothing is printed or
    shown as a number, and another line still issues."""
    app = embedded_platform(settings)
    with Session(app.state.engine) as s, s.begin():
        s.add(LineDayCounter(line="B", day=datetime.now(UTC).date(), last=9999))
    kiosk = make_app(
        settings,
        platform=lambda: PlatformClient(transport=httpx.ASGITransport(app=app)),
        start="kiosk",
    )
    async with kiosk.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await log_in(pilot, "guide01", "333333")
        screen = kiosk.screen
        assert isinstance(screen, KioskScreen)
        await pilot.press("b")
        await settle(pilot)
        assert screen.query_one("#slip-number", Digits).value == ""
        assert "今天的号已取完" in plain(screen.query_one("#slip-detail", Static))
        await pilot.press("a")
        await settle(pilot)
        assert screen.query_one("#slip-number", Digits).value == "A001"
