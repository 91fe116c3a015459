"""A whole day at counter 5, from the keyboard: tickets from the kiosk called one after the
other; an intake that goes back and forth through every step before it is accepted; a
decision of each kind; the one-time supplement notice taken up again and accepted; the
console stopped with a ticket at hand and its store damaged, then started again. Asserted
on the screen, in the local store and on the platform."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.app import ClerkConsoleApp
from clerk_console.tui.screens.cases import CasesScreen
from clerk_console.tui.screens.counter import CounterScreen
from clerk_console.tui.screens.intake import IntakeScreen

from tui.helpers import log_in, plain, settle
from tui.test_intake_flow import fill_form

SIZE = (120, 40)
PERSON = ("李四", "51050219900101123X", "13912345678")


def said(app: ClerkConsoleApp, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static), width=300)


async def open_intake(pilot: Pilot[None]) -> IntakeScreen:
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


async def person(pilot: Pilot[None]) -> None:
    for value in PERSON:
        await pilot.press(*value, "enter")
    await settle(pilot)


async def qykb(pilot: Pilot[None], screen: IntakeScreen) -> None:
    """企业开办, each question's first answer by its digit, on to the checklist."""
    await pilot.press(*"qykb", "enter")
    await settle(pilot)
    while (checklist := screen.checklist()) is not None and checklist.next_question:
        await pilot.press("1")
    await pilot.press("enter")
    await settle(pilot)
    assert screen.step.value == "checklist"


def highlight(screen: IntakeScreen, material: str) -> None:
    table = screen.query_one("#intake-checklist", DataTable)
    table.move_cursor(row=[str(k.value) for k in table.rows].index(material))


async def decide(pilot: Pilot[None], screen: IntakeScreen, key: str) -> str:
    """The form filled, then the decision `key`; the case number."""
    await pilot.press("f2", "4")
    await settle(pilot)
    fill_form(screen)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    assert screen.decision is not None, said(pilot.app, "#intake-message")  # type: ignore[arg-type]
    return screen.decision.case_number


async def back_and_finish(pilot: Pilot[None], then_next: bool = False) -> CounterScreen:
    await pilot.press("escape")
    await settle(pilot)
    await pilot.press("N" if then_next else "f")  # the decision implies the outcome
    await settle(pilot)
    counter = pilot.app.screen
    assert isinstance(counter, CounterScreen)
    return counter


async def test_a_whole_day_at_the_counter(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    kiosk = platform()
    await kiosk.login("guide01", "333333")
    for _ in range(6):
        await kiosk.issue_ticket("B")
    await kiosk.aclose()
    numbers: dict[str, str] = {}

    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")

        # B001: back and forth through every step, by F3/F4 and F2, then accepted.
        await pilot.press("n")
        await settle(pilot)
        screen = await open_intake(pilot)
        await person(pilot)
        await qykb(pilot, screen)
        await pilot.press("*")  # every material handed over as asked
        await pilot.press("f3", "f3")  # back to the applicant: all still there
        await settle(pilot)
        assert screen.query_one("#in-id_number", Input).value == PERSON[1]
        await pilot.press("f4", "f4")
        await settle(pilot)
        done = said(app, "#intake-completeness")
        assert "已齐" in done and "尚缺" not in done
        await pilot.press("f4")
        await settle(pilot)
        fill_form(screen)
        await pilot.press("f3", "f4", "f2", "2", "f2", "5", "f2", "4")  # never twice the same
        await settle(pilot)
        form = {f.id: f.value for f in screen.query(".form-field").results(Input)}
        assert form["form-company_name"] == "测试" and form["form-registered_capital"] == "100"
        await pilot.press("f2", "1", "f2", "5", "1")
        await settle(pilot)
        assert screen.decision is not None and screen.decision.status == "accepted"
        numbers["accepted"] = screen.decision.case_number
        await back_and_finish(pilot)
        assert "B001 已办结（受理）" in said(app, "#last-action")

        # B002: a deferrable material promised for later (容缺), then finish and call next.
        await pilot.press("n")
        await settle(pilot)
        screen = await open_intake(pilot)
        await person(pilot)
        await qykb(pilot, screen)
        await pilot.press("*")
        highlight(screen, "premises_title")
        await pilot.press("d", "enter")  # within the default 7 days
        await settle(pilot)
        numbers["deferred"] = await decide(pilot, screen, "2")
        assert screen.decision.status == "deferred"
        await back_and_finish(pilot, then_next=True)
        assert "B002 已办结（受理）。已叫号 B003" in said(app, "#last-action")

        # B003: the articles of association not brought: a one-time supplement notice.
        screen = await open_intake(pilot)
        await person(pilot)
        await qykb(pilot, screen)
        await pilot.press("*")
        highlight(screen, "articles")
        await pilot.press("m")
        numbers["supplement"] = await decide(pilot, screen, "3")
        assert "需补正：公司章程" in said(app, "#decision-result")
        await back_and_finish(pilot)
        assert "B003 已办结（一次性告知补正）" in said(app, "#last-action")

        # B004: not the hall's authority: refused with only the applicant and the reason.
        await pilot.press("n")
        await settle(pilot)
        screen = await open_intake(pilot)
        await person(pilot)
        await pilot.press("f2", "5", "4", "enter", "enter")
        await settle(pilot)
        assert screen.decision is not None and screen.decision.status == "rejected"
        numbers["rejected"] = screen.decision.case_number
        await back_and_finish(pilot)
        assert "B004 已办结（不予受理）" in said(app, "#last-action")

        # B005: the applicant of B003 is back with the articles: taken up again, accepted.
        await pilot.press("n", "s")
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)
        await pilot.press(*PERSON[1], "enter")  # found by the ID number
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=[str(k.value) for k in table.rows].index(numbers["supplement"]))
        await pilot.press("u")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen) and screen.intake.continues
        assert screen.intake.ticket == "B005"
        highlight(screen, "articles")
        await pilot.press("enter", "f2", "5", "1")
        await settle(pilot)
        assert screen.decision is not None, said(app, "#intake-message")
        assert screen.decision.status == "accepted"
        assert screen.decision.case_number == numbers["supplement"]
        await pilot.press("escape")  # straight back to the counter (the cases gave way)
        await settle(pilot)
        assert isinstance(app.screen, CounterScreen)
        await pilot.press("f")
        await settle(pilot)
        assert "B005 已办结（受理）" in said(app, "#last-action")

        # B006 is called, and the console stops with it at hand.
        await pilot.press("n")
        await settle(pilot)
        assert "B006" in said(app, "#current")

    store = app.store
    assert store is not None and store.pending_outbox() == []
    trail = [e.action for e in store.audit_entries() if e.action.startswith("case.")]
    assert trail == [
        "case.accepted",
        "case.deferred",
        "case.supplement",
        "case.rejected",
        "case.accepted",
    ]
    assert "intake.continued" in [e.action for e in store.audit_entries()]
    assert store.verify_audit()[1] is None
    checker = platform()
    await checker.login("super01", "222222")
    for status, number in numbers.items():
        case = await checker.case(number)
        expected = {"supplement": "accepted"}.get(status, status)  # taken up again
        assert case["status"] == expected, (status, case["status"])
    outcomes = {
        n: (await checker._request("GET", f"/tickets/{n}"))["outcome"]
        for n in ("B001", "B002", "B003", "B004", "B005")
    }
    assert outcomes == {
        "B001": "accepted",
        "B002": "accepted",
        "B003": "supplement",
        "B004": "rejected",
        "B005": "accepted",
    }
    await checker.aclose()

    # The store is damaged while the console is off: kept aside; B006 is still at hand.
    database = settings.data_path() / "console.db"
    database.write_bytes(b"\x00" * 4096 + database.read_bytes()[4096:])
    again = make_app(settings, platform=platform)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "已原样保留为" in again.store_notice
        await log_in(pilot, "clerk01", "111111")
        assert "B006" in said(again, "#current")
        await pilot.press("f", "4")  # no decision in the new store: the outcome is asked
        await settle(pilot)
        assert "B006 已办结（咨询）" in said(again, "#last-action")
    assert list(settings.data_path().glob("console.db.damaged-*"))
