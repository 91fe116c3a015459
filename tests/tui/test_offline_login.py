"""Working through an outage (issue 13, finding 6): a clerk who logged in at this console
logs in again while the platform is away (a verifier of the PIN kept here, the same
lockout, recorded), the platform confirms the login when it is back; Ctrl+O logs out here
at once with the platform away, and the platform frees the counter when told later."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from central.conftest import serving
from faultproxy import FaultProxy
from textual.pilot import Pilot
from textual.widgets import Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.app import ClerkConsoleApp
from clerk_console.tui.screens.counter import CounterScreen
from clerk_console.tui.screens.login import LoginScreen

from tui.helpers import log_in, plain, settle, told


@pytest.fixture
def platform_and_proxy(tmp_path: Path) -> Iterator[tuple[str, FaultProxy]]:
    (tmp_path / "platform").mkdir()
    with serving(tmp_path / "platform") as base:
        parts = urlsplit(base)
        proxy = FaultProxy((str(parts.hostname), int(parts.port or 0)))
        try:
            yield base, proxy
        finally:
            proxy.close()


def holder_of_counter_5(base: str) -> str | None:
    """Who the platform says holds counter 5 (asked past the proxy, as a supervisor's
    console elsewhere in the hall would)."""
    with httpx.Client(base_url=base) as http:
        token = http.post("/auth/login", json={"username": "super01", "pin": "222222"}).json()
        hall = http.get("/hall", headers={"Authorization": f"Bearer {token['token']}"}).json()
    [counter] = [c for c in hall["counters"] if c["number"] == 5]
    return counter.get("clerk")


async def again(pilot: Pilot[None], user: str, pin: str) -> None:
    """After a refused login (the PIN field has the focus): the name and PIN typed anew,
    the counter field as it stands."""
    await pilot.press("shift+tab", "ctrl+u", *user, "enter", "ctrl+u", *pin, "enter", "enter")
    await settle(pilot)


def said(pilot: Pilot[None]) -> str:
    return plain(pilot.app.screen.query_one("#login-message", Static))


async def until(pilot: Pilot[None], check: object) -> None:
    """Wait for the app's workers to get there (bounded only against a hang)."""
    for _ in range(600):
        if callable(check) and check():
            return
        await pilot.pause(0.05)
    raise AssertionError("never happened")


async def test_offline_login_logout_and_confirmation(
    settings: ConsoleConfig, platform_and_proxy: tuple[str, FaultProxy]
) -> None:
    base, proxy = platform_and_proxy
    quick = replace(settings, platform=replace(settings.platform, sync_check_seconds=0.2))
    app = make_app(quick, platform=lambda: PlatformClient(proxy.url, timeout=2))
    toasts = told(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")  # online: the PIN's verifier is kept here
        assert isinstance(app.screen, CounterScreen)
        assert holder_of_counter_5(base) == "clerk01"

        proxy.refuse = True  # the cable out; the clerk goes for lunch
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await settle(pilot)
        assert any("已在本机退出登录" in m for m in toasts)
        store = app.store
        assert store is not None
        [logout] = [r for r in store.pending_outbox() if r.kind == "logout"]
        assert json.loads(logout.payload_json)["username"] == "clerk01"
        assert holder_of_counter_5(base) == "clerk01"  # the platform has not heard yet

        # Someone never logged in here cannot log in offline; said in words.
        await log_in(pilot, "clerk02", "111112")
        assert "近 7 天没有在本机联网登录过" in said(pilot)
        # A wrong PIN is refused as on the platform, counting down.
        await again(pilot, "clerk01", "999999")
        assert "PIN 不正确" in said(pilot) and "还可再试 4 次" in said(pilot)
        # The right PIN: the counter screen, offline, recorded.
        await again(pilot, "clerk01", "111111")
        assert isinstance(app.screen, CounterScreen), said(pilot)
        assert app.client is not None and app.client.token is None
        actions = [e.action for e in store.audit_entries() if e.action.startswith("login")]
        assert actions == ["login.offline_refused", "login.offline"]
        await until(pilot, lambda: app.screen.sub_title.startswith("离线（"))

        proxy.refuse = False  # back: the login is confirmed, the old logout told
        await until(pilot, lambda: app.client is not None and app.client.token is not None)
        await until(pilot, lambda: not store.pending_outbox())
        assert any("离线登录已确认" in m for m in toasts)
        assert [e.action for e in store.audit_entries()][-1] == "login.confirmed"
        # The earlier login's logout, told late, leaves the counter with its clerk.
        assert holder_of_counter_5(base) == "clerk01"
        await until(pilot, lambda: app.screen.sub_title.startswith("在线"))


async def test_five_wrong_pins_lock_the_name_here(
    settings: ConsoleConfig, platform_and_proxy: tuple[str, FaultProxy]
) -> None:
    _base, proxy = platform_and_proxy
    app = make_app(settings, platform=lambda: PlatformClient(proxy.url, timeout=2))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await settle(pilot)
        proxy.refuse = True
        await log_in(pilot, "clerk01", "000000")
        for _ in range(4):
            assert "PIN 不正确" in said(pilot)
            await again(pilot, "clerk01", "000000")
        assert "锁定至" in said(pilot)
        await again(pilot, "clerk01", "111111")  # the right PIN, too late
        assert "锁定至" in said(pilot) and isinstance(app.screen, LoginScreen)
        assert app.client is not None and app.client.login_info is None


async def test_tickets_and_walk_ins_served_offline_are_told_later(
    settings: ConsoleConfig, platform_and_proxy: tuple[str, FaultProxy]
) -> None:
    """The platform away: a ticket typed at the counter and a walk-in are served all the
    same, kept at once (a restart brings the one at hand back), and the platform is told
    when it answers: the ticket finished as served here, the walk-in a ticket of its own."""
    base, proxy = platform_and_proxy
    with httpx.Client(base_url=base) as http:
        token = http.post("/auth/login", json={"username": "guide01", "pin": "333333"}).json()
        guide = {"Authorization": f"Bearer {token['token']}"}
        assert http.post("/tickets", json={"line": "B"}, headers=guide).status_code == 201
    quick = replace(
        settings,
        platform=replace(settings.platform, sync_check_seconds=0.2, resend_seconds=0.3),
    )

    def console() -> ClerkConsoleApp:
        return make_app(quick, platform=lambda: PlatformClient(proxy.url, timeout=2))

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        screen = app.screen
        assert isinstance(screen, CounterScreen)
        proxy.refuse = True
        await pilot.press("c", *"B001", "enter")  # the applicant's slip, typed
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "B001"
        assert "B001 在本窗口离线办理" in plain(screen.query_one("#last-action", Static))
        await pilot.press("f", "1")  # accepted
        await settle(pilot)
        assert "B001 已办结（受理）。（离线办理" in plain(screen.query_one("#last-action", Static))
        assert screen.ticket is None
        await pilot.press("w", "A", "enter")  # someone without a ticket
        await settle(pilot)
        assert screen.ticket is not None and screen.ticket.number == "A 现场"
    # The console stops mid-visit; it starts again, still offline.
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")  # offline, on this console's record
        screen = app.screen
        assert isinstance(screen, CounterScreen)
        await until(pilot, lambda: screen.ticket is not None)
        assert screen.ticket is not None and screen.ticket.number == "A 现场"
        await pilot.press("f", "4")  # consulted
        await settle(pilot)
        proxy.refuse = False
        store = app.store
        assert store is not None
        await until(pilot, lambda: not store.pending_outbox())
    with httpx.Client(base_url=base) as http:
        token = http.post("/auth/login", json={"username": "super01", "pin": "222222"}).json()
        boss = {"Authorization": f"Bearer {token['token']}"}
        b001 = http.get("/tickets/B001", headers=boss).json()
        a001 = http.get("/tickets/A001", headers=boss).json()
    assert (b001["status"], b001["outcome"], b001["counter"]) == ("finished", "accepted", 5)
    assert (a001["status"], a001["outcome"], a001["walk_in"]) == ("finished", "consulted", True)


async def test_s_finds_a_case_and_its_state_with_the_platform_away(
    settings: ConsoleConfig, platform_and_proxy: tuple[str, FaultProxy]
) -> None:
    """The console follows the change feed for its own cases: a department sends one back,
    the console keeps the case as the platform shows it, and with the cable out `s` finds
    it by its number and by the applicant's ID number, saying it is sent back and as of
    when."""
    from clerk_console.domain.checklist import Selection
    from clerk_console.domain.intake import Applicant, Intake, Step
    from clerk_console.sync.outbox import push_outbox

    base, proxy = platform_and_proxy
    quick = replace(settings, platform=replace(settings.platform, sync_check_seconds=0.2))
    app = make_app(quick, platform=lambda: PlatformClient(proxy.url, timeout=2))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        store, client = app.store, app.client
        assert store is not None and client is not None
        await until(pilot, lambda: store.feed_cursor() is not None)
        intake = Intake(
            key="005-feed",
            counter=5,
            clerk="clerk01",
            step=Step.DECISION,
            applicant=Applicant(name="张三", id_number="11010519491231002X"),
            selection=Selection(items=("GA-HJ02",)),
        )
        store.save_draft(intake, "JY01", "intake.applicant")
        number = "JY01-20261128-05A-0001"
        decision = {"kind": "accept", "case_number": number, "promised": {}}
        store.close_intake(intake, "JY01", number, "123456", "accepted", decision)
        assert (await push_outbox(store, client)).sent == 1
        with httpx.Client(base_url=base) as http:  # the department, at its own desk
            token = http.post("/auth/login", json={"username": "ga01", "pin": "444402"}).json()
            ga = {"Authorization": f"Bearer {token['token']}"}
            [handoff] = http.get("/handoffs", headers=ga).json()
            back = {"materials": ["residence_proof"], "reason": "居住证明已过期"}
            sent = http.post(f"/handoffs/{handoff['id']}/return", json=back, headers=ga)
            assert sent.status_code == 200, sent.text

        def kept_returned() -> bool:
            [view] = store.find_local_cases(number)
            return any(h["status"] == "returned" for h in view["handoffs"])

        await until(pilot, kept_returned)
        proxy.refuse = True
        await pilot.press("s")
        await settle(pilot)
        for query in (number, "11010519491231002X"):
            await pilot.press("ctrl+u", *query, "enter")
            await settle(pilot)
            said = plain(app.screen.query_one("#cases-message", Static))
            assert "中心平台连不上：按本机记录找到 1 件" in said and "状态截至" in said
            detail = plain(app.screen.query_one("#case-detail", Static))
            assert "居住证明已过期" in detail  # what the department asked, as it asked
