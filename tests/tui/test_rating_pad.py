"""The rating pad (`clerk-console rate`) as the applicant uses it: it shows who serves, asks
for the rating when the clerk finishes, takes 1–5 (and reasons for a bad rating), thanks,
and goes back to idle; unanswered, it stops asking; the platform away, the rating waits on the
pad and is sent when it is back; nobody but the counter's staff unlocks it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.rating_pad import RatingPadScreen

from tui.helpers import log_in, plain, settle
from tui.test_printing_flow import until

SIZE = (80, 24)


async def serve_one(platform: Callable[[], PlatformClient], clerk: PlatformClient) -> str:
    """A ticket issued at the kiosk, called and finished at counter 5; its number."""
    guide = platform()
    await guide.login("guide01", "333333")
    await guide.issue_ticket("A")
    called = await clerk.counter_action(5, "call-next")
    await clerk.counter_action(5, "finish", {"outcome": "consulted", "ticket": called.number})
    return called.number


async def ratings(platform: Callable[[], PlatformClient]) -> list[Any]:
    boss = platform()
    await boss.login("super01", "222222")
    return await boss.ratings()


def shown(pad: RatingPadScreen) -> str:
    return "\n".join(plain(pad.query_one(f"#pad-{part}", Static)) for part in ("clerk", "question"))


async def open_pad(pilot: Pilot[None]) -> RatingPadScreen:
    await settle(pilot)
    await log_in(pilot, "clerk01", "111111")  # the counter field holds this console's 5
    pad = pilot.app.screen
    assert isinstance(pad, RatingPadScreen)
    return pad


async def test_the_pad_asks_when_the_clerk_finishes_and_takes_one_rating(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    clerk = platform()
    await clerk.login("clerk01", "111111", counter=5)
    app = make_app(settings, platform=platform, start="rate")
    async with app.run_test(size=SIZE) as pilot:
        pad = await open_pad(pilot)
        await until(pilot, lambda: "工号 clerk01" in shown(pad))
        assert "欢迎您" in shown(pad)

        first = await serve_one(platform, clerk)
        await until(pilot, lambda: pad.mode == "ask")
        assert f"{first} 办理结束" in shown(pad)
        assert "非常满意" in str(pad.query_one("#level-1").render())
        await pilot.press("2")
        await until(pilot, lambda: pad.mode == "thanks")
        assert "感谢您的评价" in shown(pad)

        second = await serve_one(platform, clerk)
        await until(pilot, lambda: pad.mode == "ask" and pad.asking is not None)
        assert pad.asking is not None and pad.asking.ticket == second
        await pilot.press("4")  # 不满意: the reasons are asked
        await until(pilot, lambda: pad.mode == "reasons")
        assert "[ ] 1  服务态度不好" in plain(pad.query_one("#pad-reasons", Static))
        await pilot.press("1", "2", "1", "3")  # 1 chosen and cleared again: 2 and 3 stay
        assert "[x] 2  办事效率低" in plain(pad.query_one("#pad-reasons", Static))
        await pilot.press("enter")
        await until(pilot, lambda: pad.mode == "thanks")

    rated = {r["ref"].split("/")[1]: r for r in await ratings(platform)}
    assert rated[first]["level"] == "satisfied" and rated[first]["channel"] == "pad"
    assert rated[first]["clerk"] == "clerk01" and rated[first]["counter"] == 5
    assert rated[second]["level"] == "dissatisfied"
    assert rated[second]["reasons"] == ["efficiency", "process"]
    assert rated[second]["follow_up"]["status"] == "open"


async def test_unanswered_the_pad_goes_idle_and_does_not_ask_again(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    clerk = platform()
    await clerk.login("clerk01", "111111", counter=5)
    app = make_app(settings, platform=platform, start="rate", lang="en")
    async with app.run_test(size=SIZE) as pilot:
        pad = await open_pad(pilot)
        pad.ASK_SECONDS = 0.0  # nobody answers: the next round of the pad's loop ends it
        number = await serve_one(platform, clerk)
        await until(pilot, lambda: number in pad.answered)
        await until(pilot, lambda: pad.mode == "idle")
        assert "Welcome" in shown(pad) and "staff no. clerk01" in shown(pad)
        # The ticket is still unrated on the platform, and the pad asks no more.
        state = await clerk.pad_state(5)
        assert state["to_rate"]["number"] == number
        assert pad.mode == "idle"
    assert await ratings(platform) == []


async def test_a_rating_chosen_while_the_platform_is_away_is_sent_later(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = platform()
    await clerk.login("clerk01", "111111", counter=5)
    app = make_app(settings, platform=platform, start="rate")
    async with app.run_test(size=SIZE) as pilot:
        pad = await open_pad(pilot)
        number = await serve_one(platform, clerk)
        await until(pilot, lambda: pad.mode == "ask")
        away = pad._client()
        from clerk_console.sync.client import PlatformUnreachable

        async def unreachable(*_args: Any, **_kwargs: Any) -> Any:
            raise PlatformUnreachable("switch down")

        monkeypatch.setattr(away, "rate", unreachable)
        await pilot.press("1")
        await until(pilot, lambda: pad.mode == "thanks")
        assert len(pad.pending) == 1
        monkeypatch.undo()  # the switch is back
        await until(pilot, lambda: not pad.pending)
    rated = await ratings(platform)
    assert [(r["ref"].split("/")[1], r["level"]) for r in rated] == [(number, "very_satisfied")]


async def test_only_the_counters_staff_unlock_the_pad(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform, start="rate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "guide01", "333333")
        assert not isinstance(app.screen, RatingPadScreen)
        words = plain(app.screen.query_one("#login-message", Static))
        assert "评价器需由本窗口的工作人员登录" in words


async def test_the_clerk_records_a_bad_rating_given_by_phone_in_the_case_search(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    from central.test_back_office import case_body

    from clerk_console.tui.screens.cases import CasesScreen

    from tui.test_back_office_flow import TODAY

    number = f"JY01-{TODAY}-05-0007"
    client = platform()
    await client.login("clerk01", "111111", 5)
    await client.send_case(case_body(number, ["BDC-01"]), f"draft-{number}")
    await client.logout()
    app = make_app(settings, platform=platform)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*number, "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CasesScreen)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("escape")  # changed their mind: nothing recorded
        await settle(pilot)
        await pilot.press("v", "5")  # 非常不满意
        await settle(pilot)
        await pilot.press("2")  # 办事效率低、等候时间长
        await settle(pilot)
        await pilot.press(*"等了两个小时", "enter")
        await settle(pilot)
        message = plain(screen.query_one("#cases-message", Static))
        assert f"已记录 {number} 的评价：非常不满意" in message and "差评已转值班长整改" in message
        await pilot.press("v", "1")  # a second rating of the same case is refused in words
        await settle(pilot)
        message = plain(screen.query_one("#cases-message", Static))
        assert "这次服务已经评价过了" in message
    [rated] = await ratings(platform)
    assert (rated["ref"], rated["level"], rated["channel"]) == (
        number,
        "very_dissatisfied",
        "phone",
    )
    assert rated["reasons"] == ["efficiency"] and rated["comment"] == "等了两个小时"
    assert rated["recorded_by"] == "clerk01" and rated["follow_up"]["status"] == "open"
    assert app.store is not None
    assert [e.action for e in app.store.audit_entries() if e.subject == number] == ["rating.phone"]


async def test_the_supervisor_follows_a_bad_rating_up_to_its_call_back(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    from central.test_back_office import case_body

    from clerk_console.tui.screens.follow_ups import FollowUpsScreen

    from tui.test_back_office_flow import TODAY

    number = f"JY01-{TODAY}-05-0008"
    client = platform()
    await client.login("clerk01", "111111", 5)
    await client.send_case(case_body(number, ["BDC-01"]), f"draft-{number}")
    await client.rate(level="dissatisfied", channel="phone", case=number, reasons=["attitude"])
    app = make_app(settings, platform=platform)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press(*"super01", "enter", *"222222", "enter")
        await pilot.press("backspace", "enter")  # a supervisor away from a counter
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FollowUpsScreen)
        await until(pilot, lambda: len(screen.ratings) == 1)
        await settle(pilot)
        detail = plain(screen.query_one("#follow-up-detail", Static))
        assert "服务态度不好" in detail and "clerk01" in detail
        # Only the step that applies now is offered: a call back before verifying is not.
        assert screen.check_action("step", ("c",)) is False
        assert screen.check_action("step", ("v",)) is True
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("enter")  # an empty note: said, nothing recorded
        await settle(pilot)
        assert "请写明" in plain(screen.query_one("#follow-ups-message", Static))
        for key, note in (("v", "核实属实"), ("r", "已批评教育"), ("c", "申请人表示满意")):
            await pilot.press(key)
            await settle(pilot)
            await pilot.press(*note, "enter")
            await settle(pilot)
        await until(pilot, lambda: not screen.ratings)
        assert "已回访" in plain(screen.query_one("#follow-ups-message", Static))
    [rated] = await ratings(platform)
    assert rated["follow_up"]["status"] == "closed"
