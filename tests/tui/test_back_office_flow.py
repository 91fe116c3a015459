"""The back office on screen: an approver logs in to their department's inbox, opens a
handoff, sees the applicant masked and the materials, and approves it with the result; the
next department's handoff, waiting for that result, opens in its inbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from central.test_back_office import QYKB, case_body
from textual.widgets import DataTable, Input, Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.handoff import HandoffScreen
from clerk_console.tui.screens.inbox import InboxScreen

from tui.helpers import log_in, plain, settle

SIZE = (140, 45)
TODAY = date.today().strftime("%Y%m%d")
NUMBER = f"JY01-{TODAY}-05-0001"


INBOX_COLUMNS = ("case", "due", "state", "reminded", "status", "items", "assignee")


async def send_company_case(platform: Callable[[], PlatformClient]) -> bytes:
    """The case as a counter sends it, with one scanned file; the file's content."""
    import hashlib

    from devices.test_hotfolder import pdf_bytes

    client = platform()
    await client.login("clerk01", "111111", 5)
    body = case_body(NUMBER, QYKB)
    await client.send_case(body, f"draft-{NUMBER}")
    content = pdf_bytes(2)
    meta = {"material": "company_application", "file_name": "申请书.pdf", "mime": "application/pdf"}
    await client.upload_file(
        NUMBER, hashlib.sha256(content).hexdigest(), {**meta, "pages": 2}, content
    )
    await client.logout()
    await client.aclose()
    return content


async def test_an_approver_approves_from_the_inbox(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient], tmp_path: Path
) -> None:
    content = await send_company_case(platform)
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "scjg01", "444401")
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        table = inbox.query_one(DataTable)
        assert table.row_count == 1
        assert "市场监督管理局 待办 · 全部 · 1 件" in plain(inbox.query_one("#inbox-title", Static))
        row = dict(zip(INBOX_COLUMNS, table.get_row_at(0), strict=True))
        assert row["case"] == NUMBER and row["items"] == "企业设立登记"
        assert row["status"] == "办理中"
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoffScreen)
        head = plain(screen.query_one("#handoff-head", Static))
        assert f"受理编号 {NUMBER} · 市场监督管理局" in head and "企业设立登记" in head
        applicant = plain(screen.query_one("#handoff-applicant", Static))
        assert "江阳示范科技有限公司" in applicant and "13912345678" not in applicant
        assert "139****5678" in applicant  # masked until Ctrl+R
        form = plain(screen.query_one("#handoff-form", Static), width=240)
        assert "法定代表人身份证号码" in form and "510502********123X" in form
        assert "legal_rep_id_number" not in form and "51050219900101123X" not in form
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "13912345678" in plain(screen.query_one("#handoff-applicant", Static))
        form = plain(screen.query_one("#handoff-form", Static), width=240)
        assert "51050219900101123X" in form  # revealed, and recorded by the platform

        materials = plain(screen.query_one("#handoff-materials", Static), width=240)
        assert "[1] 申请书.pdf 2页" in materials
        await pilot.press("e", "enter")  # the first file
        await settle(pilot)
        await pilot.press("ctrl+u", *str(tmp_path / "看件"), "enter")
        await settle(pilot)
        exported = tmp_path / "看件" / "申请书.pdf"
        assert f"已导出：{exported}" in plain(screen.query_one("#handoff-message", Static))
        assert exported.read_bytes() == content

        await pilot.press("a")  # approve: result name (prefilled), number, date, form
        await settle(pilot)
        await pilot.press("ctrl+u", *"营业执照", "enter")
        await pilot.press(*"91110000600037341L", "enter")
        await pilot.press("enter")  # today
        await settle(pilot)
        await pilot.press("1")  # electronic
        await settle(pilot)
        message = plain(screen.query_one("#handoff-message", Static))
        assert f"已批准：{NUMBER}" in message, message
        head = plain(screen.query_one("#handoff-head", Static))
        assert "已批准：营业执照，编号 91110000600037341L（scjg01）" in head
        # Decided: approving, sending back or rejecting it again is not offered.
        assert screen.check_action("approve", ()) is False
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is inbox and inbox.query_one(DataTable).row_count == 0
        await pilot.press("ctrl+o")
        await settle(pilot)

        await log_in(pilot, "ga01", "444402")  # the seal: its clock started with the licence
        ga = app.screen
        assert isinstance(ga, InboxScreen)
        (cells,) = [ga.query_one(DataTable).get_row_at(0)]
        row = dict(zip(INBOX_COLUMNS, cells, strict=True))
        assert row["items"] == "公章刻制备案" and row["status"] == "办理中" and row["due"] != "—"
        await pilot.press("4")  # overdue only: none
        await settle(pilot)
        assert ga.query_one(DataTable).row_count == 0


async def approve_all(platform: Callable[[], PlatformClient], number: str) -> None:
    """Every department approves its handoff of `number` (through the API, as their
    screens or departmental systems would)."""
    from central.test_back_office import APPROVERS

    pins = {**APPROVERS}
    for department in ("SCJG", "GA", "SW", "RS", "GJJ", "BDC"):
        client = platform()
        await client.login(*pins[department])
        for handoff in await client.inbox():
            if handoff["case_number"] == number and handoff["status"] == "open":
                body = {"name": "结果", "number": "", "issued_on": date.today().isoformat()}
                await client.decide_handoff(handoff["id"], "approve", body)
        await client.logout()
        await client.aclose()


async def test_the_counter_hands_out_a_ready_case_after_the_id_check(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    from central.test_back_office import AGENT_ID

    from clerk_console.tui.screens.cases import CasesScreen

    number = f"JY01-{TODAY}-05-0002"
    client = platform()
    await client.login("clerk01", "111111", 5)
    await client.send_case(case_body(number, ["BDC-01"]), f"draft-{number}")
    await client.logout()
    await client.aclose()
    await approve_all(platform, number)
    printed = settings.data_path() / "printed" / "receipt.prn"

    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        await pilot.press("s", "f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CasesScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 1 and table.get_row_at(0)[0] == number
        detail = plain(screen.query_one("#case-detail", Static))
        assert "二手房（存量房）转移登记：结果" in detail

        await pilot.press("d", "1")  # pickup
        await settle(pilot)
        await pilot.press(*"110105194912310021", "enter")
        await settle(pilot)
        # Refused at once: nobody is asked for a name the wrong ID number will not fit.
        assert app.screen is screen
        message = plain(screen.query_one("#cases-message", Static))
        assert "证件号与申请人或代办人不符" in message
        assert app.client is not None
        assert (await app.client.find_cases(number))[0]["progress"] == "ready"

        await pilot.press("d", "1")
        await settle(pilot)
        await pilot.press(*AGENT_ID, "enter")
        await settle(pilot)
        recipient = app.screen.query_one(Input)
        assert recipient.value == "王五"  # the agent's name on file, prefilled
        await pilot.press("enter")
        await settle(pilot)
        message = plain(screen.query_one("#cases-message", Static))
        assert "已出件：现场领取，领取人 王五" in message
        assert "不动产抵押权首次登记" in message  # what comes next (全生命周期)
        for _ in range(50):
            if printed.exists() and "领取凭证".encode("gb18030") in printed.read_bytes():
                break
            await pilot.pause(0.1)
    from devices.escpos_decoder import decode

    # The counter's own trail agrees with the platform's: refused, then delivered, by whom.
    assert app.store is not None
    trail = [
        (e.action, e.actor, e.counter) for e in app.store.audit_entries() if e.subject == number
    ]
    assert trail == [("delivery.refused", "clerk01", 5), ("case.delivered", "clerk01", 5)]
    slip = decode(printed.read_bytes(), "gb18030").texts()
    assert slip[0] == "领取凭证" and "领取人：王五" in slip and "· 不动产抵押权首次登记" in slip


async def test_the_counter_takes_in_what_a_department_sent_back_for(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient], tmp_path: Path
) -> None:
    import hashlib
    from dataclasses import replace

    from devices.test_hotfolder import pdf_bytes

    from clerk_console.tui.screens.cases import CasesScreen

    scanner = tmp_path / "scanner"
    scanner.mkdir()
    intake_settings = replace(
        settings.intake, hot_folder=str(scanner), hot_folder_settle_seconds=0.2
    )
    settings = replace(settings, intake=intake_settings)

    number = f"JY01-{TODAY}-05-0003"
    client = platform()
    await client.login("clerk01", "111111", 5)
    await client.send_case(case_body(number, ["GA-HJ02"]), f"draft-{number}")
    await client.logout()
    await client.login("ga01", "444402")
    (handoff,) = await client.inbox()
    body = {"materials": ["residence_proof"], "reason": "居住证明已过期"}
    await client.decide_handoff(handoff["id"], "return", body)
    await client.logout()
    await client.aclose()

    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        await pilot.press("s", *"13812345678", "enter")  # the agent's mobile
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CasesScreen)
        table = screen.query_one(DataTable)
        assert table.get_row_at(0)[0] == number
        assert table.get_row_at(0)[1] == "江阳示范科技有限公司"
        detail = plain(screen.query_one("#case-detail", Static))
        assert "公安局 要求补正：合法稳定住所证明（居住证明已过期）" in detail.replace("\n", "")
        content = pdf_bytes(1)
        (scanner / "居住证明.pdf").write_bytes(content)  # the scanner's new file
        for _ in range(50):
            if "扫描件已收到：居住证明.pdf" in plain(screen.query_one("#cases-message", Static)):
                break
            await pilot.pause(0.1)
        await pilot.press("u", "1")  # the original seen and a copy kept
        await settle(pilot)
        await pilot.press("1")  # with the scan that just came
        await settle(pilot)
        message = plain(screen.query_one("#cases-message", Static))
        assert f"已收补正材料：{number}，已转回 公安局 继续办理" in message
        assert app.client is not None
        (case,) = await app.client.find_cases(number)
        assert case["handoffs"][0]["status"] == "open"
        assert app.store is not None and app.store.inbox() == []  # it went with the case
    approver = platform()
    await approver.login("ga01", "444402")
    (handoff,) = await approver.inbox()
    detail = await approver.handoff(handoff["id"])
    (proof,) = [m for m in detail["materials"] if m["code"] == "residence_proof"]
    assert [f["file_name"] for f in proof["files"]] == ["居住证明.pdf"]
    assert proof["record"]["scans"] == 1
    sha = hashlib.sha256(content).hexdigest()
    assert await approver.download_file(number, sha) == content
    await approver.aclose()


async def test_the_supervisor_sees_an_overdue_handoff_and_reminds_its_department(
    settings: ConsoleConfig,
) -> None:
    import httpx
    from central.conftest import Clock

    from clerk_console.cli import embedded_platform
    from clerk_console.tui.screens.deadlines import DeadlinesScreen

    clock = Clock(datetime.now(UTC) - timedelta(days=10))
    asgi = embedded_platform(settings, clock)

    def platform() -> PlatformClient:
        return PlatformClient(transport=httpx.ASGITransport(app=asgi))

    number = f"JY01-{clock.now:%Y%m%d}-05-0001"
    client = platform()
    await client.login("clerk01", "111111", 5)
    await client.send_case(case_body(number, ["GJJ-03"]), f"draft-{number}")  # 1 day
    await client.aclose()
    clock.now = datetime.now(UTC)

    app = make_app(settings, platform=platform, start="kiosk")  # a console at no counter
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "super01", "222222")
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeadlinesScreen)
        row = screen.query_one(DataTable).get_row_at(0)
        assert row[0] == "住房公积金管理中心" and (str(row[2]), str(row[3])) == ("0", "1")
        assert number in plain(screen.query_one("#deadlines-overdue", Static), width=240)
        await pilot.press("r", *"请今日办结", "enter")
        await settle(pilot)
        message = plain(screen.query_one("#deadlines-message", Static))
        assert "已催办 住房公积金管理中心：1 件" in message
        assert "已催办" in plain(screen.query_one("#deadlines-overdue", Static), width=240)
