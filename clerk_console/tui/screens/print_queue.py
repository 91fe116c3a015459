"""The print queue (打印队列): every recent job with its printer, state, tries and the last
fault; try again now after fixing a printer, find a case's documents by its number, and
reprint one as a copy (补打)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Static

from clerk_console.domain.documents import COLUMNS, Document, reprint
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.base import ConsoleScreen
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.printer_status import PrinterStatus
from clerk_console.tui.widgets.prompts import TextModal

if TYPE_CHECKING:
    from clerk_console.store.models import PrintJob

STATE_STYLE = {"queued": "yellow", "printing": "cyan", "done": "green", "failed": "bold red"}


class PrintQueueScreen(ConsoleScreen):
    """The jobs of this console, newest first."""

    SHOWS_SYNC = True

    BINDINGS = [
        Binding("r", "retry", "key.retry_prints"),
        Binding("p", "reprint", "key.reprint"),
        Binding("slash", "find", "key.find_print", key_display="/"),
        Binding("escape,f6", "close", "key.back_from_queue"),
    ]

    def __init__(self, t: Messages, clerk: str, counter: int | None) -> None:
        super().__init__(t)
        self.clerk, self.counter = clerk, counter
        self.subject = ""  # only this case's or ticket's jobs; empty: the latest of all
        self.jobs: dict[str, PrintJob] = {}
        self.previewed: str | None = None
        self.seen: list[tuple[int | None, str, int, str | None]] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(self.t("print_queue.title"), id="print-queue-title")
        yield PrinterStatus(self.t, id="printer-status")
        with Horizontal(id="print-queue-body"):
            yield DataTable(id="print-jobs", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="print-preview-box"):
                yield Static("", id="print-preview")
        yield Static("", id="print-queue-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        login = self.console.client.login_info if self.console.client else None
        counter = login.counter if login else None
        self.place(self.t("place.counter", counter=counter) if counter else "")
        table = self.query_one(DataTable)
        for column in ("id", "time", "document", "subject", "printer", "state", "tries", "error"):
            table.add_column(self.t(f"print_queue.col_{column}"), key=column)
        self.load()
        self.set_interval(1.0, self.load)
        self.watch(self.console, "printer_states", self._printers_changed)

    def _printers_changed(self) -> None:
        self.load()

    @work(exclusive=True, group="print-queue")
    async def load(self) -> None:
        store = self.console.store
        if store is None:
            return
        jobs = await asyncio.to_thread(store.print_jobs, 200, self.subject or None)
        self._show(jobs)

    def _title(self, kind: str) -> str:
        wording = self.console.wording
        return wording.title(kind) if wording and kind in wording.titles else kind

    def _error(self, error: str | None) -> str:
        if not error:
            return ""
        code, _, detail = error.partition(": ")
        if not self.t.has(f"print_queue.error_{code}"):
            return error
        words = self.t(f"print_queue.error_{code}")
        return f"{words} ({detail})" if detail else words

    def _show(self, jobs: list[PrintJob]) -> None:
        seen = [(j.id, j.status, j.attempts, j.last_error) for j in jobs]
        if seen == self.seen:
            return  # unchanged: keep the cursor and the scroll where the clerk left them
        self.seen = seen
        self.jobs = {str(job.id): job for job in jobs}
        table = self.query_one(DataTable)
        selected = table.cursor_row
        table.clear()
        for job in jobs:
            title = self._title(job.document)
            if job.is_copy:
                title += self.t("print_queue.copy_mark")
            table.add_row(
                str(job.id),
                f"{job.created_at.astimezone():%m-%d %H:%M}",
                title,
                job.subject,
                job.printer,
                Text(self.t(f"print_queue.state_{job.status}"), style=STATE_STYLE[job.status]),
                str(job.attempts),
                self._error(job.last_error),
                key=str(job.id),
            )
        if jobs:
            table.move_cursor(row=min(selected, len(jobs) - 1))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted job's document as it stands on paper, at its printer's width."""
        key = event.row_key.value
        job = self.jobs.get(key or "")
        if job is None or key == self.previewed:
            return
        self.previewed = key
        settings = self.console.settings
        printer = next((p for p in settings.printers if p.name == job.printer), None)
        columns = COLUMNS[printer.paper if printer else 80]
        document = Document.from_data(json.loads(job.payload_json))
        self.query_one("#print-preview", Static).update("\n".join(document.lines(columns)))

    def _say(self, text: str, error: bool = False) -> None:
        style = "bold red" if error else "green"
        self.query_one("#print-queue-message", Static).update(Text(text, style=style))

    @work(exclusive=True, group="print-action")
    async def action_retry(self) -> None:
        store = self.console.store
        if store is None:
            return
        n = await asyncio.to_thread(store.retry_prints)
        self.console.wake_spool()
        self._say(self.t("print_queue.retried", n=n))
        self.load()

    @work(exclusive=True, group="print-action")
    async def action_reprint(self) -> None:
        store, wording = self.console.store, self.console.wording
        table = self.query_one(DataTable)
        if store is None or wording is None or table.row_count == 0:
            self._say(self.t("print_queue.nothing_selected"), error=True)
            return
        job_id = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
        job = await asyncio.to_thread(store.print_job, job_id)
        if job is None:
            return
        copy = reprint(Document.from_data(json.loads(job.payload_json)), wording)
        await asyncio.to_thread(store.reprint, job_id, copy.to_data(), self.clerk, self.counter)
        self.console.wake_spool()
        self._say(
            self.t("print_queue.reprinted", document=self._title(job.document), subject=job.subject)
        )
        self.load()

    def action_find(self) -> None:
        """Only the jobs of one case (its number, typed or scanned from its receipt's QR)
        or one ticket: an older receipt is reprinted from here."""

        def entered(value: str | None) -> None:
            if value is None:
                return
            self.subject = value.rsplit("case=", 1)[-1]  # a scanned QR holds the address
            title = self.t("print_queue.title")
            if self.subject:
                title += "\n" + self.t("print_queue.only", subject=self.subject)
            self.query_one("#print-queue-title", Static).update(title)
            self.load()

        prompt = self.t("print_queue.find_title")
        self.app.push_screen(TextModal(self.t, prompt, value=self.subject), entered)

    def action_close(self) -> None:
        self.app.pop_screen()
