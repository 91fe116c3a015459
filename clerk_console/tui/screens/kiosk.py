"""The lobby kiosk (取号机): one big button per line, a priority option, check-in of a
booking (预约签到), and the slip of the ticket just issued (waiting ahead, estimated wait)."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Digits, Header, Static, Switch

from clerk_console.devices.spool import route
from clerk_console.domain.documents import ticket_slip
from clerk_console.sync.client import (
    CheckedIn,
    IssuedTicket,
    PlatformRefused,
    PlatformUnreachable,
)
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.printer_status import PrinterStatus
from clerk_console.tui.widgets.prompts import TextModal


class KioskScreen(StaffScreen):
    """Issue tickets: press a line's letter (or its button)."""

    BINDINGS = [
        Binding("f3", "toggle_priority", "key.priority"),
        Binding("f4", "check_in", "key.check_in"),
        Binding("ctrl+o", "logout", "key.logout"),
    ]

    MESSAGE_ID = "#slip-detail"

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.busy = False
        self.line_names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="kiosk"):
            with Vertical(id="kiosk-lines"):
                yield Static(self.t("kiosk.title"), id="kiosk-title")
                yield Vertical(id="kiosk-buttons")
                with Horizontal(id="kiosk-priority"):
                    yield Switch(id="priority")
                    yield Static(self.t("kiosk.priority"))
            with Vertical(id="slip"):
                yield Static(self.t("kiosk.take_a_number"), id="slip-title")
                yield Digits("", id="slip-number")
                yield Static("", id="slip-detail")
                yield PrinterStatus(self.t, id="printer-status")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.kiosk")  # not the counter's name
        self.place(self.t("place.kiosk"))
        self.load_lines()

    @work(exclusive=True, group="kiosk-lines")
    async def load_lines(self) -> None:
        try:
            queue = await self.client.queue()
        except (PlatformRefused, PlatformUnreachable) as exc:
            self.query_one("#slip-detail", Static).update(explain(self.t, exc))
            return
        await self._show_buttons(queue["lines"])

    async def _show_buttons(self, lines: list[dict[str, Any]]) -> None:
        box = self.query_one("#kiosk-buttons", Vertical)
        await box.remove_children()
        self.line_names = {line["prefix"]: f"{line['prefix']} {line['name']}" for line in lines}
        for line in lines:
            label = self.t(
                "kiosk.button", prefix=line["prefix"], name=line["name"], waiting=line["waiting"]
            )
            await box.mount(Button(label, id=f"line-{line['prefix']}", classes="line-button"))
            self._bindings.bind(
                line["prefix"].lower(),
                f"issue('{line['prefix']}')",
                self.t("kiosk.issue_key", name=line["name"]),
                show=False,
            )
        self.refresh_bindings()

    @on(Button.Pressed, ".line-button")
    def _pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.action_issue(event.button.id.removeprefix("line-"))

    def action_issue(self, line: str) -> None:
        if not self.busy:
            self.busy = True
            self.issue(line, self.query_one("#priority", Switch).value)

    @work(group="kiosk-issue")
    async def issue(self, line: str, priority: bool) -> None:
        try:
            slip = await self.client.issue_ticket(line, priority=priority)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._say_error(exc)
        else:
            self._show_slip(slip)
            self.query_one("#priority", Switch).value = False
            self.load_lines()
            await self._print_slip(slip)
        finally:
            self.busy = False

    def action_check_in(self) -> None:
        if self.busy:
            return

        def entered(code: str | None) -> None:
            if not code:
                return
            if not (code.isdigit() and len(code) == 8):
                self._clear_slip()
                words = self.t("kiosk.bad_booking_code", code=code)
                self.query_one("#slip-detail", Static).update(Text(words, style="bold red"))
                return
            self.busy = True
            self.check_in(code)

        title, hint = self.t("kiosk.check_in_title"), self.t("kiosk.check_in_placeholder")
        self.app.push_screen(TextModal(self.t, title, hint), entered)

    @work(group="kiosk-issue")
    async def check_in(self, code: str) -> None:
        try:
            slip = await self.client.check_in(code)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._say_error(exc)
        else:
            self._show_slip(slip)
            self.load_lines()
            await self._print_slip(slip)
        finally:
            self.busy = False

    async def _print_slip(self, slip: IssuedTicket) -> None:
        """Queue the slip for the kiosk's printer (the spool prints it, or says what is
        wrong with the printer; the ticket is issued either way)."""
        wording, store = self.console.wording, self.console.store
        if wording is None or store is None:
            return
        ticket = slip.ticket
        document = ticket_slip(
            wording,
            slip.hall_name,
            self.line_names.get(ticket.line, ticket.line),
            ticket.number,
            ticket.issued_at.astimezone(),
            slip.waiting_ahead,
            slip.estimated_wait_seconds // 60,
            slip.rating_code,
            self.console.settings.printing.rating_url,
        )
        jobs, unrouted = route(self.console.settings, [document], ticket.number)
        for job in jobs:
            await asyncio.to_thread(store.queue_print, job)
        self.console.wake_spool()
        if unrouted:
            detail = self.query_one("#slip-detail", Static)
            detail.update(f"{detail.content}\n{self.t('kiosk.not_printed')}")

    def _clear_slip(self) -> None:
        """No ticket number on screen that is not the visitor's own."""
        self.query_one("#slip-title", Static).update("")
        self.query_one("#slip-number", Digits).update("")

    def _say_error(self, exc: Exception) -> None:
        self._clear_slip()
        self.query_one("#slip-detail", Static).update(Text(explain(self.t, exc), style="bold red"))

    def _show_slip(self, slip: IssuedTicket) -> None:
        self.query_one("#slip-title", Static).update(slip.hall_name)
        self.query_one("#slip-number", Digits).update(slip.ticket.number)
        detail = [
            self.t("kiosk.ahead", n=slip.waiting_ahead),
            self.t("kiosk.estimate", minutes=slip.estimated_wait_seconds // 60)
            if slip.waiting_ahead
            else self.t("kiosk.no_wait"),
        ]
        if slip.ticket.priority:
            detail.append(self.t("counter.priority"))
        if isinstance(slip, CheckedIn) and slip.on_time:
            start, end = slip.starts_at.astimezone(), slip.ends_at.astimezone()
            detail.append(self.t("kiosk.booked_window", start=f"{start:%H:%M}", end=f"{end:%H:%M}"))
        elif isinstance(slip, CheckedIn):
            detail.append(self.t("kiosk.booking_late"))
        self.query_one("#slip-detail", Static).update("\n".join(detail))

    def action_toggle_priority(self) -> None:
        switch = self.query_one("#priority", Switch)
        switch.value = not switch.value
