"""Printing from the screens: the kiosk prints the slip of each ticket it issues; the counter
prints the receipt of an accepted case; a printer unplugged (the fake printer stopped) keeps
the receipt queued with a message a clerk understands, and prints it once plugged back; the
print queue retries on a key and reprints a copy (补打), audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from devices.escpos_decoder import decode
from devices.fake_printer import FakePrinter
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig, PrinterSettings
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.intake import IntakeScreen
from clerk_console.tui.screens.print_queue import PrintQueueScreen

from tui.helpers import log_in, plain, settle
from tui.test_intake_flow import (
    SIZE,
    company_applicant,
    fill_form,
    open_again,
    open_intake,
    qykb_settled,
)


async def until(pilot: Pilot[None], check: Callable[[], bool], seconds: float = 10) -> None:
    """Let the console run until `check()` holds (the spool works in its own thread)."""
    for _ in range(int(seconds / 0.1)):
        if check():
            return
        await pilot.pause(0.1)
    assert check()


async def accept_qykb(pilot: Pilot[None], screen: IntakeScreen) -> str:
    """企业开办 with every material handed over, accepted; the case number."""
    await company_applicant(pilot)
    await qykb_settled(pilot, screen)
    for _ in range(screen.query_one("#intake-checklist", DataTable).row_count):
        await pilot.press("enter")
    await pilot.press("f4")
    await settle(pilot)
    fill_form(screen)
    await pilot.press("f4", "1")
    await settle(pilot)
    assert screen.decision is not None
    return screen.decision.case_number


def status_line(pilot: Pilot[None]) -> str:
    widget = pilot.app.screen.query_one("#printer-status", Static)
    return plain(widget) if widget.display else ""


async def test_the_receipt_prints_and_waits_out_an_unplugged_printer(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    fake = FakePrinter()
    printer = PrinterSettings(
        name="五号窗口",
        connection="network",
        address=f"127.0.0.1:{fake.port}",
        timeout_seconds=0.5,
        documents=["intake_receipt", "deferral_pledge", "supplement_notice"],
    )
    settings = replace(
        settings,
        printers=[printer],
        printing=replace(settings.printing, retry_max_seconds=1.0),
    )
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        first = await accept_qykb(pilot, screen)
        assert "正在打印：受理回执" in plain(screen.query_one("#decision-result", Static))
        await until(pilot, lambda: len(fake.jobs) == 1)
        receipt = decode(fake.jobs[0], "gb18030")
        assert receipt.texts()[0] == "受理回执"
        assert f"受理编号：{first}" in receipt.texts()
        assert "受理窗口：5号  受理人：王敏" in receipt.texts()  # the clerk's name, not clerk01
        assert receipt.qr == [f"{settings.printing.tracking_url}?case={first}"]
        assert receipt.cuts == 1

        # In the same sitting, the instant item (即办件) is decided at the counter.
        result = plain(screen.query_one("#decision-result", Static))
        assert "即办件当场办结：新办纳税人套餐（信息确认）" in result
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("enter", "enter")  # the catalog's result name; no number
        await settle(pilot)
        await pilot.press("1")  # electronic
        await settle(pilot)
        message = plain(screen.query_one("#intake-message", Static))
        assert "即办件已办结：新办纳税人套餐（信息确认）（还有 0 件）" in message, message
        assert app.client is not None
        (case,) = await app.client.find_cases(first)
        assert case["instant"] == [
            {"code": "SW-01", "name": "新办纳税人套餐（信息确认）", "decided": True}
        ]

        fake.stop()  # the cable pulled
        await pilot.press("escape")
        await settle(pilot)
        second_screen = await open_again(pilot)
        second = await accept_qykb(pilot, second_screen)
        await until(pilot, lambda: "连不上" in status_line(pilot))
        line = status_line(pilot)
        assert "打印机「五号窗口」连不上" in line and "还有 1 份单据等待打印" in line
        assert len(fake.jobs) == 1
        assert app.store is not None
        waiting = app.store.print_jobs()[0]
        assert waiting.status == "queued" and waiting.last_error.startswith("refused")

        fake.start()  # plugged back: printed without a key
        await until(pilot, lambda: len(fake.jobs) == 2)
        assert f"受理编号：{second}" in decode(fake.jobs[1], "gb18030").texts()
        await until(pilot, lambda: status_line(pilot) == "")
        assert [job.status for job in app.store.print_jobs()] == ["done", "done"]

        # Later the applicant lost the first receipt: found by its case number, reprinted.
        await pilot.press("f6")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, PrintQueueScreen)
        await pilot.press("slash", *first, "enter")
        await settle(pilot)
        table = queue.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1)
        assert table.get_row_at(0)[3] == first
        await pilot.press("p")
        await until(pilot, lambda: len(fake.jobs) == 3)
        copy = decode(fake.jobs[2], "gb18030").texts()
        assert copy[:2] == ["受理回执", "（补打）"] and f"受理编号：{first}" in copy
    fake.stop()
    assert fake.partial == 0 and len(fake.jobs) == 3  # each receipt once, and one copy


async def test_the_kiosk_prints_the_slip_and_the_queue_reprints_a_copy(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    """The demo's file printer: printed/receipt.prn in the data directory."""
    printed = settings.data_path() / "printed" / "receipt.prn"
    app = make_app(settings, platform=platform, start="kiosk")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "guide01", "333333")
        await pilot.press("b")
        await settle(pilot)
        await until(pilot, lambda: printed.exists() and b"\x1dV\x00" in printed.read_bytes())
        slip = decode(printed.read_bytes(), "gb18030")
        assert slip.barcodes == ["B001"]  # the counter's scanner reads the number
        assert "B001" in slip.texts() and "您前面还有 0 人" in slip.texts()
        # The rating code (好差评), said and in the QR that leads to the rating page.
        codes = [m[1] for t in slip.texts() if (m := re.search(r"服务评价码 (\d{6})", t))]
        assert len(codes) == 1
        assert slip.qr == [
            f"{settings.printing.rating_url}?ticket=B001&day={date.today():%Y-%m-%d}"
            f"&code={codes[0]}"
        ]

        await pilot.press("f6")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, PrintQueueScreen)
        await until(pilot, lambda: queue.query_one(DataTable).row_count == 1)
        row = queue.query_one(DataTable).get_row_at(0)
        assert row[2] == "取号凭条" and row[3] == "B001" and str(row[5]) == "已打印"
        preview = plain(queue.query_one("#print-preview", Static))
        assert "B001" in preview and "您前面还有 0 人" in preview  # the slip as on paper
        await pilot.press("p")
        await settle(pilot)
        assert "已补打：取号凭条（B001）" in plain(queue.query_one("#print-queue-message", Static))
        await until(pilot, lambda: printed.read_bytes().count(b"\x1dV\x00") == 2)
        copy = decode(printed.read_bytes().split(b"\x1dV\x00")[1] + b"\x1dV\x00", "gb18030")
        assert copy.barcodes == ["B001"] and "（补打）" in copy.texts()
        await pilot.press("r")  # nothing waits: retrying is harmless
        await settle(pilot)
        assert "已重新排队 0 份单据" in plain(queue.query_one("#print-queue-message", Static))
        await pilot.press("escape")
        await settle(pilot)
    assert app.store is not None
    audit = app.store.audit_entries()[-1]
    assert (audit.action, audit.actor, audit.subject) == ("print.reprint", "guide01", "B001")


async def test_the_kiosk_says_its_paper_is_nearly_used_up_and_when_its_printer_is_offline(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    fake = FakePrinter(mode="near_end")
    printer = PrinterSettings(
        name="取号机",
        connection="network",
        address=f"127.0.0.1:{fake.port}",
        timeout_seconds=0.5,
        documents=["ticket_slip"],
    )
    settings = replace(settings, printers=[printer])
    app = make_app(settings, platform=platform, start="kiosk")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await log_in(pilot, "guide01", "333333")
        await pilot.press("b")
        await until(pilot, lambda: len(fake.jobs) == 1)  # it still prints...
        await until(pilot, lambda: "纸卷快用完了" in status_line(pilot))  # ...and says so
        fake.mode = "offline"
        await pilot.press("b")
        await until(pilot, lambda: "离线" in status_line(pilot))
        assert len(fake.jobs) == 1  # nothing taken as printed while it is offline
        fake.mode = "ok"
        await until(pilot, lambda: len(fake.jobs) == 2)
        await until(pilot, lambda: status_line(pilot) == "")
    fake.stop()
