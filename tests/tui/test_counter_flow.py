"""Log in at counter 5 and work the queue from the keyboard, against the embedded platform."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.counter import CounterScreen
from clerk_console.tui.screens.guide import GuideScreen
from clerk_console.tui.screens.login import LoginScreen

from tui.helpers import log_in as type_login
from tui.helpers import plain, settle

SIZE = (140, 40)


async def kiosk_issues(platform: Callable[[], PlatformClient], line: str, count: int) -> None:
    kiosk = platform()
    await kiosk.login("guide01", "333333")
    for _ in range(count):
        await kiosk.issue_ticket(line)
    await kiosk.aclose()


async def log_in(pilot: Pilot[None], user: str, pin: str) -> None:
    assert isinstance(pilot.app.screen, LoginScreen)  # the console opens on the login
    await type_login(pilot, user, pin)  # counter 5 is prefilled


async def finished(number: str, platform: Callable[[], PlatformClient]) -> dict[str, Any]:
    """The ticket as the platform holds it."""
    checker = platform()
    await checker.login("super01", "222222")
    ticket = await checker._request("GET", f"/tickets/{number}")
    await checker.aclose()
    return dict(ticket)


def text_of(pilot: Pilot[None], widget_id: str) -> str:
    return plain(pilot.app.screen.query_one(widget_id, Static))


async def test_call_and_finish_from_the_keyboard(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    await kiosk_issues(platform, "B", 2)
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        screen = app.screen
        assert isinstance(screen, CounterScreen) and screen.counter == 5
        assert "5号窗口 · 王敏" in text_of(pilot, "#counter-title")

        await pilot.press("n")
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "B001"
        assert "B001" in text_of(pilot, "#current")
        assert "已叫号 B001" in text_of(pilot, "#last-action")

        await pilot.press("f")
        await settle(pilot)
        await pilot.press("1")  # 受理
        await settle(pilot)
        assert screen.ticket is None or screen.ticket.status == "finished"
        assert "B001 已办结（受理）" in text_of(pilot, "#last-action")
        assert "暂无在办的号" in text_of(pilot, "#current")
        assert (await finished("B001", platform))["outcome"] == "accepted"

        await pilot.press("n", "n")  # a double press calls one ticket, not two
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "B002"
        await pilot.press("x")  # no-show
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert "当前没有等候本窗口的号" in text_of(pilot, "#last-action")

    checker = platform()
    await checker.login("super01", "222222")
    hall = await checker.hall()
    assert next(line for line in hall["lines"] if line["prefix"] == "B")["served"] == 1
    await checker.aclose()


async def test_the_lines_follow_the_hall_live(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        await kiosk_issues(platform, "C", 3)
        for _ in range(50):  # the feed is long-polled; give it up to 5 s
            await pilot.pause(0.1)
            if "C 社保医保" in (lines := text_of(pilot, "#lines")) and " 3 " in lines:
                break
        assert "C 社保医保" in lines and " 3 " in lines


async def test_a_wrong_pin_says_so_and_forgets_the_pin(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "000000")
        assert isinstance(app.screen, LoginScreen)
        assert "用户名或 PIN 不正确" in text_of(pilot, "#login-message")
        assert app.screen.query_one("#pin", Input).value == ""


async def test_no_platform_is_a_clear_message(settings: ConsoleConfig) -> None:
    def unreachable() -> PlatformClient:
        return PlatformClient("http://127.0.0.1:9", timeout=1)  # nothing listens on port 9

    app = make_app(settings, platform=unreachable)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        said = text_of(pilot, "#login-message")
        # Never logged in at this console: no offline login either, and it says why.
        assert "中心平台连不上" in said and "无法离线登录" in said and "请检查网线" in said


async def test_the_guide_is_one_key_away_everywhere(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("f1")  # from the login, before anyone has logged in
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, "clerk01", "111111")
        assert isinstance(app.screen, CounterScreen)
        await pilot.press("f1")  # an applicant asks mid-service
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, CounterScreen)  # back where the clerk was
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)  # logged out: the next clerk logs in


async def test_a_lobby_guide_terminal_leads_to_the_login(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen)
        await pilot.press("f1")  # nothing to close: the guide is this terminal's own screen
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen)


async def test_finish_and_call_next_in_one_key(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    await kiosk_issues(platform, "B", 2)
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        screen = app.screen
        assert isinstance(screen, CounterScreen)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        await pilot.press("4")  # 咨询
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "B002"
        assert "已叫号 B002" in text_of(pilot, "#last-action")
        await pilot.press("N", "4")  # nothing behind B002: it stays at hand, unfinished
        await settle(pilot)
        assert "当前号仍在办理，未办结" in text_of(pilot, "#last-action")
        assert screen.ticket.number == "B002" and screen.ticket.status == "called"

    checker = platform()
    await checker.login("super01", "222222")
    hall = await checker.hall()
    counter = next(c for c in hall["counters"] if c["number"] == 5)
    assert counter["ticket"]["number"] == "B002" and counter["ticket"]["status"] == "called"
    assert next(line for line in hall["lines"] if line["prefix"] == "B")["served"] == 1
    await checker.aclose()


async def test_the_ticket_at_hand_comes_back_after_a_logout_and_a_restart(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    await kiosk_issues(platform, "B", 2)
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        await pilot.press("n")
        await settle(pilot)
        assert "B001" in text_of(pilot, "#current")
        await pilot.press("ctrl+o")  # logged out with B001 still at hand
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, "clerk01", "111111")
        assert "B001" in text_of(pilot, "#current")  # as the platform holds it
    # The console stops (or crashes) and starts again: the ticket is still at hand.
    again = make_app(settings, platform=platform)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        screen = again.screen
        assert isinstance(screen, CounterScreen)
        assert "B001" in text_of(pilot, "#current") and "暂无在办的号" not in text_of(
            pilot, "#current"
        )
        assert screen.ticket is not None and screen.ticket.number == "B001"
        await pilot.press("N")  # finish it and call the next: it can, the ticket is known
        await settle(pilot)
        await pilot.press("6")  # 其他 (no intake of B001 was decided: the outcome is asked)
        await settle(pilot)
        assert "B001 已办结（其他）。已叫号 B002" in text_of(pilot, "#last-action")
        assert "B002" in text_of(pilot, "#current")


async def test_finishing_after_a_decision_takes_its_outcome(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    await kiosk_issues(platform, "B", 1)
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        await pilot.press("n", "i")
        await settle(pilot)
        for value in ("张三", "11010519491231002X", "13812345678"):
            await pilot.press(*value, "enter")
        await settle(pilot)
        # Not our authority: refused straight away, nothing chosen, no form filled.
        await pilot.press("f2", "5")
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("enter")  # the first legal reason
        await settle(pilot)
        await pilot.press("enter")  # no further words
        await settle(pilot)
        intake = app.screen
        decided = plain(intake.query_one("#decision-result", Static))
        assert "已决定不予受理" in decided and "f 办结 B001" in decided
        await pilot.press("escape", "f")
        await settle(pilot)
        assert isinstance(app.screen, CounterScreen)  # no outcome asked: the decision's
        assert "B001 已办结（不予受理）" in text_of(pilot, "#last-action")
    assert (await finished("B001", platform))["outcome"] == "rejected"


async def test_each_screen_says_where_it_works_in_its_header(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    """Only a counter's screens name a counter; the kiosk, the supervisor and an approver
    say what they are; each says first whether the platform is there."""
    hall = "在线 · 江阳区政务服务中心"
    expected = {
        ("clerk01", "111111"): ("综合受理窗口", f"{hall} · 5号窗口"),
        ("super01", "222222"): ("大厅管理", f"{hall} · 值班长"),
        ("scjg01", "444401"): ("后台审批", f"{hall} · 市场监督管理局"),
        ("guide01", "333333"): ("自助取号", f"{hall} · 大厅入口"),
    }
    for (user, pin), header in expected.items():
        app = make_app(settings, platform=platform)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            if user != "clerk01":  # away from a counter
                await pilot.press("tab", "tab", "ctrl+u", "shift+tab", "shift+tab")
            await type_login(pilot, user, pin)
            title, place = header
            assert (app.screen.title or app.title, app.screen.sub_title) == (title, place), user


async def test_a_step_the_platform_already_did_shows_its_ticket(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    """The platform did a step whose answer never reached the screen: the same step again
    answers what was done; another step on the ticket the screen still shows is refused
    and the screen takes the platform's ticket at hand, says why, and finishes nothing."""
    await kiosk_issues(platform, "B", 5)
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        screen = app.screen
        assert isinstance(screen, CounterScreen)
        await pilot.press("n")
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "B001"
        # N then 4 (consulted) reached the platform; its answer was lost on the way back.
        earlier = platform()
        await earlier.login("clerk01", "111111", 5)
        body = {"finish": "consulted", "ticket": "B001"}
        assert (await earlier.counter_action(5, "call-next", body)).number == "B002"
        await earlier.aclose()
        screen.action_act("call-next", body)  # the same keys again: the same answer
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "B002"
        assert "B001 已办结（咨询）。已叫号 B002。" in text_of(pilot, "#last-action")
        # A second console at this counter goes on: B002 finished, B003 called. This screen
        # still shows B002 and steps on from it: refused, it shows the platform's B003.
        other = platform()
        await other.login("clerk01", "111111", 5)
        body = {"finish": "accepted", "ticket": "B002"}
        assert (await other.counter_action(5, "call-next", body)).number == "B003"
        body = {"finish": "accepted", "ticket": "B003"}
        assert (await other.counter_action(5, "call-next", body)).number == "B004"
        await other.aclose()
        screen.action_act("call-next", {"finish": "other", "ticket": "B002"})
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "B004"
        said = text_of(pilot, "#last-action")
        assert "正在办理的是 B004" in said and "未重复办结" in said
    assert (await finished("B001", platform))["outcome"] == "consulted"
    assert (await finished("B002", platform))["outcome"] == "accepted"  # not "other"
    assert (await finished("B004", platform))["status"] == "called"  # at hand, not finished
    assert (await finished("B005", platform))["status"] == "waiting"
