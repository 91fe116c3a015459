"""The approver's inbox (待办): their department's handoffs still to decide, due first,
with the time state (normal, warning, overdue) and filters; `Enter` opens one."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.handoff_cells import handoff_cells
from clerk_console.tui.widgets.keys import ConsoleFooter

FILTERS = ("all", "mine", "due_today", "overdue", "returned")


class InboxScreen(StaffScreen):
    """One department's handoffs."""

    BINDINGS = [
        *(
            # Listed in the line under the table and by F9; the footer keeps its room.
            Binding(str(n), f"filter('{name}')", f"key.filter_{name}", show=False)
            for n, name in enumerate(FILTERS, start=1)
        ),
        Binding("enter", "open", "key.open_handoff", show=False),
        Binding("g", "refresh", "key.refresh"),
        Binding("ctrl+o", "logout", "key.logout"),
    ]

    MESSAGE_ID = "#inbox-message"

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.which = "all"
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="inbox"):
            yield Static("", id="inbox-title")
            yield DataTable(id="inbox-table", cursor_type="row", zebra_stripes=True)
            yield Static(self.t("inbox.hint"), id="inbox-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        login = self.console.client.login_info if self.console.client else None
        self.title = self.t("title.approver")  # not the counter's name
        self.place(self.department_name(login.department if login else None))
        table = self.query_one(DataTable)
        # What decides the order of work first (on 80 columns the last ones may be cut).
        for key in ("case", "due", "state", "reminded", "status", "items", "assignee"):
            table.add_column(self.t(f"inbox.col_{key}"), key=key)
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()  # back from a decision: it has left the list

    def action_filter(self, which: str) -> None:
        self.which = which
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="inbox")
    async def load(self) -> None:
        try:
            self.rows = await self.client.inbox(self.which)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        self._show()

    def _show(self) -> None:
        t = self.t
        login = self.client.login_info
        department = login.department if login else ""
        self.query_one("#inbox-title", Static).update(
            t(
                "inbox.title",
                department=self.department_name(department),
                filter=t(f"inbox.filter_{self.which}"),
                n=len(self.rows),
            )
        )
        table = self.query_one(DataTable)
        table.clear()
        for row in self.rows:
            items, status, due, state = handoff_cells(t, row)
            table.add_row(
                row["case_number"],
                due,
                state,
                Text(t("inbox.reminded"), style="bold red") if row["reminded"] else "",
                status,
                items,
                row["assignee"] or "",
                key=str(row["id"]),
            )

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0:
            return
        from clerk_console.tui.screens.handoff import HandoffScreen

        handoff_id = int(self.rows[table.cursor_row]["id"])
        self.app.push_screen(HandoffScreen(self.t, handoff_id))

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()
