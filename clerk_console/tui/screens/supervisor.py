"""The supervisor's hall view (大厅管理): per line the waiting, waits and served today; per
counter its state, clerk and ticket; live from the change feed. Pause or resume a counter,
move a waiting ticket, unlock a login locked by wrong PINs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from clerk_console.domain.queue import parse_ticket
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.prompts import TextModal


class SupervisorScreen(StaffScreen):
    """The whole hall at a glance."""

    BINDINGS = [
        Binding("p", "toggle_counter", "key.pause_counter"),
        Binding("m", "move", "key.move"),
        Binding("l", "deadlines", "key.deadlines"),
        Binding("e", "follow_ups", "key.follow_ups"),
        Binding("u", "unlock", "key.unlock"),
        Binding("ctrl+o", "logout", "key.logout"),
    ]

    MESSAGE_ID = "#sv-message"

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.hall: dict[str, Any] = {"lines": [], "counters": []}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="supervisor"):
            yield Static("", id="sv-lines")
            yield DataTable(id="sv-counters", cursor_type="row", zebra_stripes=True)
            yield Static(self.t("supervisor.hint"), id="sv-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.supervisor")  # not the counter's name
        self.place(self.t("place.supervisor"))
        table = self.query_one("#sv-counters", DataTable)
        for key in ("counter", "status", "clerk", "ticket", "since"):
            table.add_column(self.t(f"supervisor.col_{key}"), key=key)
        table.focus()
        self.follow()

    @work(exclusive=True, group="feed")
    async def follow(self) -> None:
        """Refresh the view whenever anything changes in the hall."""
        cursor = 0
        while True:
            try:
                self.hall = await self.client.hall()
                self._show()
                if not cursor:
                    cursor = int((await self.client.queue()).get("cursor", 0))
                while True:
                    changes, cursor = await self.client.changes(cursor, wait=10)
                    if changes:
                        break
            except PlatformUnreachable as exc:
                self._failed(exc)
                import asyncio

                await asyncio.sleep(2)
            except PlatformRefused as exc:
                self._failed(exc)
                return

    def action_follow_ups(self) -> None:
        from clerk_console.tui.screens.follow_ups import FollowUpsScreen

        self.app.push_screen(FollowUpsScreen(self.t))

    def action_deadlines(self) -> None:
        from clerk_console.tui.screens.deadlines import DeadlinesScreen

        self.app.push_screen(DeadlinesScreen(self.t))

    def _show(self) -> None:
        t = self.t
        lines = Table(title=t("supervisor.lines"), title_justify="left", expand=True)
        for key in ("line", "waiting", "longest", "average", "served", "estimate"):
            lines.add_column(
                t(f"supervisor.col_{key}"), justify="left" if key == "line" else "right"
            )
        for line in self.hall["lines"]:
            lines.add_row(
                f"{line['prefix']} {line['name']}",
                str(line["waiting"]),
                _minutes(t, line["longest_wait_seconds"]),
                _minutes(t, line["average_wait_seconds"]),
                str(line["served"]),
                _minutes(t, line["estimated_wait_seconds"]),
            )
        self.query_one("#sv-lines", Static).update(lines)
        table = self.query_one("#sv-counters", DataTable)
        row = table.cursor_row
        table.clear()
        # The platform's time, not this console's: the two clocks may differ.
        now = datetime.fromisoformat(self.hall["at"]) if "at" in self.hall else datetime.now(UTC)
        for c in self.hall["counters"]:
            ticket = c.get("ticket")
            since = ""
            if ticket and ticket.get("called_at"):
                since = _minutes(
                    t, int((now - datetime.fromisoformat(ticket["called_at"])).total_seconds())
                )
            table.add_row(
                t("display.counter_n", counter=c["number"]),
                t(f"supervisor.status_{c['status']}"),
                c.get("clerk") or "—",
                ticket["number"] if ticket else "—",
                since,
                key=str(c["number"]),
            )
        if self.hall["counters"]:
            table.move_cursor(row=min(row, len(self.hall["counters"]) - 1))

    def _selected(self) -> dict[str, Any] | None:
        table = self.query_one("#sv-counters", DataTable)
        if not self.hall["counters"]:
            return None
        return dict(self.hall["counters"][table.cursor_row])

    def action_toggle_counter(self) -> None:
        counter = self._selected()
        if counter is None:
            return
        if counter["status"] == "closed":
            self._say(self.t("supervisor.closed_counter", counter=counter["number"]), error=True)
            return
        self.set_status(
            int(counter["number"]), "open" if counter["status"] == "paused" else "paused"
        )

    @work(group="action")
    async def set_status(self, counter: int, status: str) -> None:
        try:
            await self.client.set_counter_status(counter, status)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
        else:
            self._say(self.t(f"supervisor.done_{status}", counter=counter))

    def action_move(self) -> None:
        def number_typed(number: str | None) -> None:
            if not number:
                return
            if parse_ticket(number) is None:
                self._say(self.t("counter.bad_number", answer=number), error=True)
                return

            def target_typed(target: str | None) -> None:
                if not target:
                    return
                if target.isdigit():
                    self.move(number.upper(), None, int(target))
                elif len(target) == 1 and target.isalpha():
                    self.move(number.upper(), target.upper(), None)
                else:
                    self._say(self.t("counter.bad_target", answer=target), error=True)

            self.app.push_screen(
                TextModal(self.t, self.t("counter.ask_target"), "B / 7"), target_typed
            )

        self.app.push_screen(
            TextModal(self.t, self.t("supervisor.ask_ticket"), "B017"), number_typed
        )

    @work(group="action")
    async def move(self, number: str, line: str | None, counter: int | None) -> None:
        try:
            ticket = await self.client.move_ticket(number, line=line, counter=counter)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
        else:
            where = (
                f"{ticket.line}"
                if counter is None
                else self.t("display.counter_n", counter=counter)
            )
            self._say(self.t("supervisor.moved", number=ticket.number, target=where))

    def action_unlock(self) -> None:
        def name_typed(name: str | None) -> None:
            if name and name.strip():
                self.unlock(name.strip())

        self.app.push_screen(
            TextModal(
                self.t, self.t("supervisor.ask_unlock"), self.t("supervisor.unlock_placeholder")
            ),
            name_typed,
        )

    @work(group="action")
    async def unlock(self, username: str) -> None:
        """Lift a wrong-PIN lock (the platform records who did it)."""
        try:
            was_locked = await self.client.unlock(username)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
        else:
            key = "supervisor.unlocked" if was_locked else "supervisor.not_locked"
            self._say(self.t(key, username=username))


def _minutes(t: Messages, seconds: int) -> str:
    return t("counter.minutes", n=seconds // 60)
