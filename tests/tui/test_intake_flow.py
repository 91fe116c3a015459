"""Intake at the counter from the keyboard: 企业开办 from the applicant to an accepted case
in the store and on the platform; a supplement notice; a draft reopened."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from devices.test_hotfolder import pdf_bytes
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.domain.intake import form_value
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.counter import CounterScreen
from clerk_console.tui.screens.intake import IntakeScreen

from tui.helpers import log_in, plain, settle

SIZE = (140, 45)
COMPANY = "江阳示范科技有限公司"


async def open_intake(pilot: Pilot[None]) -> IntakeScreen:
    await log_in(pilot, "clerk01", "111111")
    assert isinstance(pilot.app.screen, CounterScreen)
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


async def type_into(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)


async def company_applicant(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+t")  # an organisation
    for value in (COMPANY, "91110000600037341L", "李四", "王五", "13912345678"):
        await type_into(pilot, value)
        await pilot.press("enter")  # the next field; from the mobile, the next step
    await settle(pilot)


async def qykb_settled(pilot: Pilot[None], screen: IntakeScreen) -> None:
    await settled_on(pilot, screen, "qykb")


@asynccontextmanager
async def company_on_checklist(app: App[None]) -> AsyncIterator[tuple[Pilot[None], IntakeScreen]]:
    """The console running, a company's 企业开办 intake open on its checklist."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        await company_applicant(pilot)
        await qykb_settled(pilot, screen)
        yield pilot, screen


async def settled_on(pilot: Pilot[None], screen: IntakeScreen, query: str) -> None:
    """Search `query`, take the first hit, answer every question with its first choice, and
    go on to the checklist."""
    await type_into(pilot, query)
    await pilot.press("enter")
    await settle(pilot)
    for _ in range(10):  # each scenario question: its first answer
        if "情形已确定" in plain(screen.query_one("#intake-question", Static)):
            break
        await pilot.press("enter")
        await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)


VALID = {
    "id_number": "51050219900101123X",
    "mobile": "13812345678",
    "credit_code": "91110000600037341L",
    "money": "100",
    "number": "3",
    "date": "2026-11-01",
}


def fill_form(screen: IntakeScreen) -> None:
    """Every empty field of the one form given a value of its kind (typed data)."""
    for field in screen.query(".form-field").results(Input):
        kind = screen.catalog.form_fields[(field.id or "")[5:]].kind
        field.value = field.value or VALID.get(kind, "测试")


def text(screen: IntakeScreen, selector: str) -> str:
    return plain(screen.query_one(selector, Static))


async def test_qykb_accepted_from_the_keyboard(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        await company_applicant(pilot)
        assert screen.intake is not None and screen.intake.applicant.name == COMPANY
        await qykb_settled(pilot, screen)
        table = screen.query_one("#intake-checklist", DataTable)
        assert table.row_count == 12
        for _ in range(table.row_count):
            await pilot.press("enter")  # each material handed over as the checklist asks
        await settle(pilot)
        assert "已齐 12/12" in text(screen, "#intake-completeness")
        await pilot.press("f4")  # the one form, prefilled from the applicant
        await settle(pilot)
        form = {f.id: f for f in screen.query(".form-field").results(Input)}
        assert form["form-company_name"].value == COMPANY
        form["form-registered_capital"].value = "很多"  # not an amount: refused inline
        await pilot.press("f4")
        await settle(pilot)
        assert "注册资本（万元）：应为金额" in text(screen, "#intake-message")
        form["form-registered_capital"].value = "100"
        fill_form(screen)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("1")  # accept
        await settle(pilot)
        result = text(screen, "#decision-result")
        assert "已受理" in result and "受理编号：JY01-" in result and "查询密码" in result
        assert "承诺" in result
        assert "已送达中心平台" in text(screen, "#intake-message")
        decision = screen.decision
        assert decision is not None and decision.status == "accepted"

    store = app.store
    assert store is not None
    assert store.pending_outbox() == []
    actions = [e.action for e in store.audit_entries() if e.action.startswith(("intake.", "case."))]
    assert actions[0] == "intake.started" and actions[-1] == "case.accepted"
    assert actions.count("intake.material") == 12
    clerk = platform()
    await clerk.login("super01", "222222")
    case = await clerk._request("GET", f"/cases/{decision.case_number}")
    assert case["status"] == "accepted"
    assert case["data"]["applicant"]["credit_code"] == "91110000600037341L"
    assert len(case["data"]["materials"]) == 12
    await clerk.aclose()


async def test_a_supplement_notice_names_what_is_missing(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with company_on_checklist(app) as (pilot, screen):
        await pilot.press("m", "down")  # the first material: missing
        for _ in range(11):
            await pilot.press("enter")  # the others handed over
        await settle(pilot)
        assert "尚缺" in text(screen, "#intake-completeness")
        await pilot.press("f4")
        await settle(pilot)
        fill_form(screen)
        await pilot.press("f4", "1")  # accept is refused: something is missing
        await settle(pilot)
        assert "以下材料尚未齐全" in text(screen, "#intake-message")
        assert screen.decision is None
        await pilot.press("3")
        await settle(pilot)
        result = text(screen, "#decision-result")
        assert "已出具一次性补正告知" in result and "需补正：公司登记（备案）申请书" in result
        assert screen.decision is not None and len(screen.decision.supplement) == 1
        assert screen.decision.query_password == ""


async def test_an_unfinished_intake_reopens_where_it_stopped(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        await company_applicant(pilot)
        await type_into(pilot, "qykb")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")  # back to the counter, mid-intake
        await settle(pilot)
        assert isinstance(app.screen, CounterScreen)
        await pilot.press("i")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, IntakeScreen) and again is not screen
        assert again.intake is not None and again.intake.key == screen.intake.key  # type: ignore[union-attr]
        assert again.intake.applicant.name == COMPANY
        assert again.intake.selection is not None and again.intake.selection.bundle == "QYKB"
        assert "从上次中断处继续" in text(again, "#intake-message")
        await pilot.press("f8")  # asked first; Enter (the default) keeps the intake
        await settle(pilot)
        assert "放弃本次受理？" in str(app.screen.query_one(".modal-title", Static).content)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is again and app.store is not None and app.store.open_drafts(5)
        await pilot.press("f8", "2")  # the applicant left: the draft is given up
        await settle(pilot)
        assert isinstance(app.screen, CounterScreen)
    assert app.store is not None and app.store.open_drafts(5) == []


async def test_newborn_with_a_material_verified_by_sharing(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        for value in ("张三", "11010519491231002X", "13812345678"):
            await type_into(pilot, value)
            await pilot.press("enter")  # no agent: its fields are a Tab away
        await settle(pilot)
        await settled_on(pilot, screen, "xsecs")
        who = text(screen, "#intake-who")
        assert "110105********002X" in who and "138****5678" in who
        assert "11010519491231002X" not in who
        await pilot.press("ctrl+r")  # the clerk needs the full number: shown, and audited
        await settle(pilot)
        assert "11010519491231002X" in text(screen, "#intake-who")
        store = app.store
        assert store is not None
        [reveal] = [e for e in store.audit_entries() if e.action == "applicant.revealed"]
        assert (reveal.actor, reveal.counter) == ("clerk01", 5)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "110105********002X" in text(screen, "#intake-who")
        table = screen.query_one("#intake-checklist", DataTable)
        rows = [str(key.value) for key in table.rows]
        table.move_cursor(row=rows.index("birth_certificate"))
        await pilot.press("v")
        await settle(pilot)
        await pilot.press(*"S510000123456", "enter")
        await settle(pilot)
        # The registry by its name, and the form fields its record carries filled from it.
        said = text(screen, "#intake-message")
        assert (
            "已通过出生医学证明信息库共享核验，一表中已填入：新生儿姓名、出生日期、母亲姓名、父亲姓名"
            in said
        )
        assert screen.intake is not None
        assert screen.intake.record("birth_certificate").verified_by_sharing
        newborn = screen.catalog.form_fields["newborn_name"]
        assert form_value(newborn, screen.intake) == "张小宝"
        assert str(table.get_cell("birth_certificate", "state")) == "共享核验"
        table.move_cursor(row=rows.index("household_register"))
        await pilot.press("v")
        await settle(pilot)
        await pilot.press(*"9", "enter")  # the ID prefilled, and a digit too many
        await settle(pilot)
        assert "信息库中没有" in text(screen, "#intake-message")
        assert not screen.intake.record("household_register").verified_by_sharing


async def test_accept_with_deferral_and_a_rejection(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)
    async with company_on_checklist(app) as (pilot, screen):
        table = screen.query_one("#intake-checklist", DataTable)
        rows = [str(key.value) for key in table.rows]
        for _ in rows:
            await pilot.press("enter")
        table.move_cursor(row=rows.index("premises_title"))  # not brought, but deferrable
        await pilot.press("m", "d")
        await settle(pilot)
        await pilot.press("enter")  # the default: 7 days
        await settle(pilot)
        assert screen.intake is not None
        assert screen.intake.record("premises_title").deferred_until is not None
        table.move_cursor(row=rows.index("company_application"))  # key material: never
        await pilot.press("d")
        await settle(pilot)
        assert "不可容缺" in text(screen, "#intake-message")
        await pilot.press("f4")
        await settle(pilot)
        fill_form(screen)
        await pilot.press("f4", "1")  # plain acceptance is refused: a pledge is needed
        await settle(pilot)
        assert "容缺受理" in text(screen, "#intake-message") and screen.decision is None
        await pilot.press("2")
        await settle(pilot)
        result = text(screen, "#decision-result")
        assert "已容缺受理" in result and "容缺材料 住所（经营场所）产权证明" in result
        assert screen.decision is not None and screen.decision.status == "deferred"
        await pilot.press("escape")
        await settle(pilot)

        rejected = await open_again(pilot)
        await company_applicant(pilot)
        await qykb_settled(pilot, rejected)
        await pilot.press("f4")
        await settle(pilot)
        fill_form(rejected)
        await pilot.press("f4", "4")
        await settle(pilot)
        await pilot.press("enter")  # the first reason of the catalog's list
        await settle(pilot)
        await pilot.press(*"经营范围涉及前置审批", "enter")
        await settle(pilot)
        result = text(rejected, "#decision-result")
        assert "已决定不予受理" in result and "经营范围涉及前置审批" in result
        assert rejected.decision is not None and rejected.decision.status == "rejected"
    store = app.store
    assert store is not None and len(store.pending_outbox()) == 0
    actions = [e.action for e in store.audit_entries() if e.action.startswith("case.")]
    assert actions == ["case.deferred", "case.rejected"]
    # Queued with the decision, in the same transaction: the receipt with its pledge, then
    # the rejection notice.
    documents = [job.document for job in reversed(store.print_jobs())]
    assert documents == ["intake_receipt", "deferral_pledge", "rejection_notice"]


async def open_again(pilot: Pilot[None]) -> IntakeScreen:
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


async def test_a_scan_from_the_hot_folder_goes_to_the_highlighted_material(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient], tmp_path: Path
) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    intake_settings = replace(
        settings.intake, hot_folder=str(folder), hot_folder_settle_seconds=0.2
    )
    app = make_app(replace(settings, intake=intake_settings), platform=platform)
    async with company_on_checklist(app) as (pilot, screen):
        table = screen.query_one("#intake-checklist", DataTable)
        rows = [str(key.value) for key in table.rows]
        table.move_cursor(row=rows.index("articles"))
        (folder / "articles.pdf").write_bytes(pdf_bytes(4))
        (folder / "notes.docx").write_bytes(b"PK\x03\x04 a word file")
        for _ in range(100):
            await pilot.pause(0.1)
            if screen.intake is not None and screen.intake.record("articles").scans:
                break
        assert screen.intake is not None and screen.intake.record("articles").scans == 1
        for _ in range(50):
            if "notes.docx" in text(screen, "#intake-message"):
                break
            await pilot.pause(0.1)
        assert "不是 PDF 或图片" in text(screen, "#intake-message")
        assert (folder / "notes.docx").exists() and not (folder / "articles.pdf").exists()
        await screen.saved()
    store = app.store
    assert store is not None and screen.intake is not None
    [attached] = store.attachments(screen.intake.key)
    assert (attached.file_name, attached.pages, attached.material_code) == (
        "articles.pdf",
        4,
        "articles",
    )
    draft = store.load_draft(screen.intake.key)
    assert draft is not None and draft.record("articles").scans == 1


async def test_a_case_queued_while_the_platform_was_away_is_sent_later(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    from clerk_console.domain.intake import Applicant, Intake
    from clerk_console.store.local import LocalStore

    store = LocalStore.open(settings.data_path())
    intake = Intake(key="005-queued", counter=5, clerk="clerk01", applicant=Applicant(name="张三"))
    store.save_draft(intake, "JY01", "intake.started")
    number = "JY01-20261122-05-0042"
    store.close_intake(intake, "JY01", number, "", "supplement", {"kind": "supplement"})
    store.close()  # as if the console had stopped with the platform away
    fast = replace(settings, platform=replace(settings.platform, resend_seconds=0.2))
    app = make_app(fast, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        for _ in range(50):
            await pilot.pause(0.1)
            if app.store is not None and not app.store.pending_outbox():
                break
        assert app.store is not None and app.store.pending_outbox() == []
    clerk = platform()
    await clerk.login("super01", "222222")
    assert (await clerk.case(number))["status"] == "supplement"
    await clerk.aclose()


async def test_a_scan_from_the_inbox_is_attached_from_the_checklist(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient], tmp_path: Path
) -> None:
    from clerk_console.devices.hotfolder import HotFolder, Outcome
    from clerk_console.store.local import LocalStore

    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "early.pdf").write_bytes(pdf_bytes(2))  # scanned before any intake was open
    store = LocalStore.open(settings.data_path())
    ticks = iter(range(10))
    hot = HotFolder(folder, store, settings.data_path(), settle=0.5, clock=lambda: next(ticks))
    hot.poll(None, "clerk01")
    assert [t.outcome for t in hot.poll(None, "clerk01")] == [Outcome.INBOX]
    store.close()
    app = make_app(settings, platform=platform)
    async with company_on_checklist(app) as (pilot, screen):
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")  # the one file waiting
        await settle(pilot)
        assert screen.intake is not None
        first = str(next(iter(screen.query_one("#intake-checklist", DataTable).rows)).value)
        assert screen.intake.record(first).scans == 1
        assert "扫描件已归入" in text(screen, "#intake-message")
        await pilot.press("a")
        await settle(pilot)
        assert "待分配中没有扫描件" in text(screen, "#intake-message")
    assert app.store is not None and app.store.inbox() == []


async def test_a_supplement_notice_taken_up_again_is_accepted_under_its_number(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    from clerk_console.tui.screens.cases import CasesScreen

    app = make_app(settings, platform=platform)
    async with company_on_checklist(app) as (pilot, screen):
        table = screen.query_one("#intake-checklist", DataTable)
        await pilot.press("*")  # all handed over as asked ...
        table.move_cursor(row=[str(k.value) for k in table.rows].index("articles"))
        await pilot.press("m")  # ... but the articles of association
        await pilot.press("f4")
        await settle(pilot)
        fill_form(screen)
        await pilot.press("f4", "3")  # the one-time supplement notice
        await settle(pilot)
        assert screen.decision is not None and screen.decision.status == "supplement"
        number = screen.decision.case_number
        await pilot.press("escape", "s")  # the applicant comes back: find the case
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)
        await pilot.press(*number, "enter")
        await settle(pilot)
        detail = plain(app.screen.query_one("#case-detail", Static))
        assert "一次性告知书要求补正" in detail and "公司章程" in detail
        await pilot.press("u")  # taken up again, with everything recorded then
        await settle(pilot)
        again = app.screen
        assert isinstance(again, IntakeScreen) and again.intake.continues == number
        assert "续办 " + number in text(again, "#intake-steps")
        assert again.intake.step.value == "checklist"
        assert "尚缺：公司章程" in text(again, "#intake-completeness")
        table = again.query_one("#intake-checklist", DataTable)
        table.move_cursor(row=[str(k.value) for k in table.rows].index("articles"))
        await pilot.press("enter")  # the articles, brought this time
        await pilot.press("f2", "5")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        assert again.decision is not None and again.decision.case_number == number
        assert again.decision.status == "accepted" and again.decision.query_password
        assert "已送达中心平台" in text(again, "#intake-message")
    store = app.store
    assert store is not None and store.pending_outbox() == []
    actions = [
        e.action for e in store.audit_entries() if e.action.startswith(("intake.c", "case."))
    ]
    assert actions == ["case.supplement", "intake.continued", "case.accepted"]
    clerk = platform()
    await clerk.login("super01", "222222")
    case = await clerk.case(number)
    assert case["status"] == "accepted" and case["progress"] == "in_progress"
    assert [h["kind"] for h in case["data"]["history"]] == ["supplement"]
    await clerk.aclose()
    # The applicant is told, with the case number and the query password of the acceptance
    # (the message as the platform hands it to the SMS gateway).
    central_db = settings.data_path() / "central" / "central.db"
    with sqlite3.connect(central_db) as db:
        told = [
            text
            for (text,) in db.execute(
                "SELECT text FROM notification WHERE case_number = ?", (number,)
            )
        ]
    [accepted] = [text for text in told if "已受理" in text]
    assert f"查询密码{again.decision.query_password}，" in accepted


async def test_an_instant_item_left_unrecorded_is_recorded_from_the_cases_screen(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    """The clerk left the decision without `j`: the case would never be ready. The cases
    screen says which instant item waits and records it with `j`."""
    from clerk_console.tui.screens.cases import CasesScreen

    app = make_app(settings, platform=platform)
    async with company_on_checklist(app) as (pilot, screen):
        await pilot.press("*", "f4")
        await settle(pilot)
        fill_form(screen)
        await pilot.press("f4", "1")
        await settle(pilot)
        assert screen.decision is not None
        number = screen.decision.case_number
        assert "离开后也可在“查件”中选中该件按 j" in text(screen, "#decision-result")
        await pilot.press("escape", "s")
        await settle(pilot)
        cases = app.screen
        assert isinstance(cases, CasesScreen)
        await pilot.press(*number, "enter")
        await settle(pilot)
        detail = plain(cases.query_one("#case-detail", Static), width=300)
        assert "即办件尚未录入结果：新办纳税人套餐（信息确认）" in detail
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("enter", "enter")  # the catalog's result name; no number
        await settle(pilot)
        await pilot.press("1")  # electronic
        await settle(pilot)
        assert "即办件已办结：新办纳税人套餐（信息确认）" in plain(
            cases.query_one("#cases-message", Static)
        )
    clerk = platform()
    await clerk.login("super01", "222222")
    [found] = await clerk.find_cases(number)
    assert all(entry["decided"] for entry in found["instant"])
    await clerk.aclose()


async def test_an_open_intake_keeps_its_catalog_when_a_new_one_arrives(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    """Issue 13, finding 7: a new catalog from the platform serves the next intake; the
    open one, and its draft left with Esc and reopened later, keep the version they
    started with (the store keeps that version while the draft needs it)."""
    from clerk_console.catalog_files import CatalogFiles, read_sources
    from clerk_console.domain.catalog_loader import parse_catalog

    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        await company_applicant(pilot)
        started_with = screen.catalog
        old = started_with.version
        sources = read_sources(CatalogFiles.locate(None).catalog_dir)
        name = next(n for n in sources if "item" in n)
        sources[name] = sources[name].replace("户口迁移", "户口迁移（新）", 1)
        assert app.catalog is not None and app.store is not None
        new = parse_catalog(sources)
        # As `_refresh_catalog` does with the platform's catalog: cached, then in use.
        app.store.cache_catalog(new.version, "platform", sources, [])
        app.catalog = replace(app.catalog, catalog=new)
        await settle(pilot)
        assert screen.catalog is started_with  # this intake's checklist does not change
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        reopened = pilot.app.screen
        assert isinstance(reopened, IntakeScreen) and reopened is not screen
        assert reopened.intake.applicant.name == screen.intake.applicant.name
        assert reopened.catalog.version == old != new.version  # the draft's own version
        assert reopened.intake.catalog == old
        assert "已打开本窗口未完成的受理" in text(reopened, "#intake-message")
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("down", "enter")  # give the draft up
        await settle(pilot)
        assert isinstance(pilot.app.screen, CounterScreen)
        await pilot.press("i")
        await settle(pilot)
        following = pilot.app.screen
        assert isinstance(following, IntakeScreen) and following is not reopened
        assert following.catalog is new  # the next intake: the new one
        assert following.intake.catalog == new.version
        await pilot.press("escape")
        await settle(pilot)
    # No draft needs the old version any more: the next catalog cached lets it go.
    store = LocalStore.open(Path(settings.data_dir))
    store.cache_catalog(new.version, "platform", sources, [])
    assert store.cached_catalog(old) is None
    assert store.cached_catalog(new.version) is not None
    store.close()


async def test_a_draft_whose_catalog_is_gone_goes_on_with_the_current_one_and_says_so(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    """A draft started under a catalog version this console no longer keeps (its store
    was rebuilt from a copy): it reopens on the catalog in use, and the clerk is told to
    check the material list again; the draft is re-stamped with that version."""
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        await company_applicant(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.store is not None and app.catalog is not None
        lost = replace(screen.intake, catalog="0" * 16)
        app.store.save_draft(lost, settings.hall.code, "intake.step", {})
        await pilot.press("i")
        await settle(pilot)
        reopened = pilot.app.screen
        assert isinstance(reopened, IntakeScreen)
        assert reopened.catalog is app.catalog.catalog
        assert "事项目录版本已不在本机" in text(reopened, "#intake-message")
        await pilot.press("escape")
        await settle(pilot)
        draft = app.store.load_draft(lost.key)
        assert draft is not None and draft.catalog == app.catalog.catalog.version
        actions = [e.action for e in app.store.audit_entries()]
        assert "intake.catalog_changed" in actions
