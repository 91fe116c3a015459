"""The supervisor's deadlines (时限监控): running handoffs by department with how many are
normal, near their due date or overdue, the overdue ones listed; `r` sends a reminder (催办)
to the selected department, which its inbox shows."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.prompts import TextModal


class DeadlinesScreen(StaffScreen):
    """Deadlines across the departments."""

    BINDINGS = [
        Binding("r", "remind", "key.remind"),
        Binding("g", "refresh", "key.refresh"),
        Binding("escape", "close", "key.back_to_hall"),
    ]

    MESSAGE_ID = "#deadlines-message"

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.board: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="deadlines"):
            yield DataTable(id="deadlines-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="deadlines-overdue")
            yield Static(self.t("deadlines.hint"), id="deadlines-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.supervisor")  # not the counter's name
        self.place(self.t("place.supervisor"))
        table = self.query_one(DataTable)
        for key in ("department", "normal", "warning", "overdue"):
            table.add_column(self.t(f"deadlines.col_{key}"), key=key)
        table.focus()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="deadlines")
    async def load(self) -> None:
        try:
            self.board = await self.client.deadlines()
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        self._show()

    def _show(self) -> None:
        t = self.t
        table = self.query_one(DataTable)
        table.clear()
        for entry in self.board:
            table.add_row(
                entry["department_name"],
                Text(str(entry["normal"]), style="green"),
                Text(str(entry["warning"]), style="bold yellow" if entry["warning"] else ""),
                Text(str(entry["overdue"]), style="bold red" if entry["overdue"] else ""),
                key=entry["department"],
            )
        overdue = Table(title=t("deadlines.overdue_title"), title_justify="left", expand=True)
        for key in ("case", "department", "items", "due", "reminded"):
            overdue.add_column(t(f"deadlines.col_{key}"))
        for entry in self.board:
            for h in entry["overdue_handoffs"]:
                overdue.add_row(
                    h["case_number"],
                    h["department_name"],
                    t.join(i["name"] for i in h["items"]),
                    Text(h["due_on"], style="bold red"),
                    t("inbox.reminded") if h["reminded"] else "",
                )
        self.query_one("#deadlines-overdue", Static).update(overdue)

    def action_remind(self) -> None:
        table = self.query_one(DataTable)
        if not self.board or not 0 <= table.cursor_row < len(self.board):
            return
        entry = self.board[table.cursor_row]

        def noted(note: str | None) -> None:
            if note is not None:
                self.remind(entry["department"], entry["department_name"], note)

        title = self.t("deadlines.ask_note", department=entry["department_name"])
        self.app.push_screen(TextModal(self.t, title), noted)

    @work(exclusive=True, group="deadlines-remind")
    async def remind(self, department: str, name: str, note: str) -> None:
        try:
            n = await self.client.remind(department, note)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        self._say(self.t("deadlines.reminded", department=name, n=n))
        self.load()

    def action_close(self) -> None:
        self.app.pop_screen()
