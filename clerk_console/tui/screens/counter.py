"""The counter screen: the ticket at hand, the lines waiting, and the keys of the queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Static

from clerk_console.domain.intake import from_preapplication
from clerk_console.domain.queue import parse_ticket
from clerk_console.domain.scan import CodeKind
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable, Ticket
from clerk_console.tui.i18n import Messages
from clerk_console.tui.scanner import Scanned
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.printer_status import PrinterStatus
from clerk_console.tui.widgets.prompts import ChoiceModal, TextModal

OUTCOMES = ("accepted", "supplement", "rejected", "consulted", "delivered", "other")
OUTCOME_OF_DECISION = {
    "accepted": "accepted",
    "deferred": "accepted",
    "supplement": "supplement",
    "rejected": "rejected",
}
"""A ticket's outcome when an intake of it was decided: the decision implies it."""


ACTIVE = ("called", "serving")


class CounterScreen(StaffScreen):
    """One counter: call, serve and finish tickets."""

    # The footer shows the keys of every hour; F9 lists them all (Textual's footer does not
    # wrap, and 80 columns hold about seven).
    BINDINGS = [
        Binding("n", "act('call-next')", "key.call_next"),
        Binding("f", "finish", "key.finish"),
        Binding("N", "finish(True)", "key.finish_next"),
        Binding("i", "intake", "key.intake"),
        Binding("s", "cases", "key.cases"),
        Binding("r", "act('recall')", "key.recall"),
        Binding("x", "act('no-show')", "key.no_show", show=False),
        Binding("a", "act('serve')", "key.serve", show=False),
        Binding("b", "act('requeue')", "key.requeue", show=False),
        Binding("p", "act('park')", "key.park", show=False),
        Binding("t", "transfer", "key.transfer", show=False),
        Binding("c", "call_number", "key.call_number", show=False),
        Binding("w", "walk_in", "key.walk_in", show=False),
        Binding("space", "toggle_pause", "key.pause", show=False),
        Binding("ctrl+o", "logout", "key.logout", show=False),
    ]

    def __init__(self, t: Messages, counter: int) -> None:
        super().__init__(t)
        self.counter = counter
        self.ticket: Ticket | None = None
        self.paused = False
        self.busy = False
        self.visit_key: str | None = None  # the ticket at hand was served offline (its key)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="counter-screen"):
            with Vertical(id="counter-main"):
                yield Static("", id="counter-title")
                yield Static("", id="current")
                yield Static("", id="current-detail")
                yield Static("", id="last-action")
                yield PrinterStatus(self.t, id="printer-status")
            yield Static("", id="lines")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.place(self.t("place.counter", counter=self.counter))
        login = self.client.login_info
        who = login.name if login else ""
        self.query_one("#counter-title", Static).update(
            self.t("counter.title", counter=self.counter, clerk=who)
        )
        self._show_ticket()
        self._say(self.t("counter.ready"))
        if self.console.catalog_error:  # the clerk learns it now, not at the first intake
            self._say(self.t("counter.catalog_failed", error=self.console.catalog_error), True)
        self.follow_feed()
        self.tell_open_draft()
        self.resume_offline_visit()

    @work(group="visit")
    async def resume_offline_visit(self) -> None:
        """A visit served offline and not finished when the console stopped: at hand again."""
        store = self.console.store
        if store is None:
            return
        open_visit = await asyncio.to_thread(store.open_offline_visit, self.counter)
        if open_visit is not None:
            self.visit_key, visit = open_visit
            started = datetime.fromisoformat(visit["started_at"])
            self._show_offline_visit(visit["ticket"], visit["line"], started)

    def on_screen_resume(self) -> None:
        self.tell_open_draft()

    @work(group="drafts", exclusive=True)
    async def tell_open_draft(self) -> None:
        """An intake left open (Esc, a restart) is said, so it is not forgotten."""
        store = self.console.store
        if store is None:
            return
        drafts = await asyncio.to_thread(store.open_drafts, self.counter)
        if not drafts:
            return
        draft = await asyncio.to_thread(store.load_draft, drafts[0])
        who = draft.applicant.name if draft is not None and draft.applicant.name else "—"
        self._say(self.t("counter.open_draft", who=who))

    # --- showing ----------------------------------------------------------------------

    def _show_ticket(self) -> None:
        current = self.query_one("#current", Static)
        detail = self.query_one("#current-detail", Static)
        t = self.ticket
        if t is None or t.status not in ("called", "serving"):
            current.update(Text(self.t("counter.no_ticket"), style="dim"))
            detail.update(self.t("counter.paused") if self.paused else "")
            return
        current.update(Text(t.number, style="bold reverse"))
        waited = int(((t.called_at or _now()) - t.issued_at).total_seconds() // 60)
        flags = [self.t(f"ticket_status.{t.status}"), self.t("counter.waited", minutes=waited)]
        if t.recalls:
            flags.append(self.t("counter.recalls", n=t.recalls))
        if t.priority:
            flags.append(self.t("counter.priority"))
        detail.update(" · ".join(flags))

    def _show_lines(self, queue: dict[str, Any]) -> None:
        table = Table(title=self.t("counter.lines"), title_justify="left", expand=True)
        table.add_column(self.t("col.line"))
        table.add_column(self.t("col.waiting"), justify="right")
        table.add_column(self.t("col.estimate"), justify="right")
        mine = next((c for c in queue["counters"] if c["number"] == self.counter), None)
        served = mine["lines"] if mine else []
        for line in queue["lines"]:
            style = "bold" if line["prefix"] in served else "dim"
            table.add_row(
                Text(f"{line['prefix']} {line['name']}", style=style),
                str(line["waiting"]),
                self.t("counter.minutes", n=line["estimated_wait_seconds"] // 60)
                if line["waiting"]
                else self.t("counter.no_wait"),
            )
        self.query_one("#lines", Static).update(table)

    # --- following the hall -----------------------------------------------------------

    def _take_counter(self, queue: dict[str, Any]) -> None:
        """This counter as the platform holds it: the ticket at hand (after a logout, a
        restart or a crash it is still here) and whether it is paused. Not while a request
        of this screen is on its way: its answer is newer."""
        mine = next((c for c in queue["counters"] if c["number"] == self.counter), None)
        if mine is None or self.busy or self.visit_key is not None:
            return  # (a visit served offline is this screen's, not the platform's, yet)
        at_hand = Ticket.of(mine["ticket"]) if mine.get("ticket") else None
        paused = mine.get("status") == "paused"
        if (at_hand, paused) != (self.ticket, self.paused):
            self.ticket, self.paused = at_hand, paused
            self._show_ticket()

    @work(exclusive=True, group="feed")
    async def follow_feed(self) -> None:
        """Refresh the lines whenever the platform reports a change (long-poll)."""
        cursor = 0
        away = False
        while True:
            try:
                queue = await self.client.queue()
                if away:  # the words about the platform being away no longer hold
                    away = False
                    self._say(self.t("counter.platform_back"))
                self._take_counter(queue)
                self._show_lines(queue)
                cursor = max(cursor, int(queue.get("cursor", 0)))
                while True:
                    changes, cursor = await self.client.changes(cursor, wait=10)
                    if changes:
                        break
            except PlatformUnreachable:
                if not away and self.visit_key is None:  # an offline visit says more
                    self._say(self.t("error.unreachable"), error=True)
                away = True
                await _sleep(2)
            except PlatformRefused as exc:
                self._failed(exc)
                return

    # --- actions ------------------------------------------------------------------------

    def action_act(self, action: str, body: dict[str, Any] | None = None) -> None:
        if self.busy:
            return  # one request at a time: a double press never calls two tickets
        self.busy = True
        self.send_action(action, body)

    @work(group="action")
    async def send_action(self, action: str, body: dict[str, Any] | None) -> None:
        before = self.ticket
        try:
            ticket = await self.client.counter_action(self.counter, action, body)
        except PlatformRefused as exc:
            if body and "finish" in body and exc.code == "nothing_waiting":
                self._say(self.t("counter.nothing_to_follow"), error=True)
            elif exc.code in ("counter_busy", "not_at_hand"):
                # The platform holds another ticket here than this screen shows (a step
                # whose answer was lost did get done): show that one, finish nothing.
                await self._ticket_from_platform()
            else:
                self._failed(exc)
        except PlatformUnreachable as exc:
            if action in ("call", "walk-in") and body and self.ticket is None:
                await self._serve_offline(body.get("number"), body.get("line"))
            else:
                self._failed(exc)
        else:
            self.ticket = ticket
            self._show_ticket()
            outcome = (body or {}).get("outcome") or (body or {}).get("finish")
            if outcome and before is not None:
                said = self.t(
                    "done.finished_as",
                    number=before.number,
                    outcome=self.t(f"outcome.{outcome}"),
                )
                if action == "call-next":
                    said += self.t("done.call_next", number=ticket.number)
            else:
                said = self.t(f"done.{action.replace('-', '_')}", number=ticket.number)
            self._say(said)
        finally:
            self.busy = False

    async def _serve_offline(self, number: str | None, line: str | None) -> None:
        """The platform away: the ticket typed or scanned (or a walk-in) is served here all
        the same, kept in the store at once and sent when it is finished and the platform
        answers (it finishes the ticket as served then, or records the visit on it)."""
        store, login = self.console.store, self.client.login_info
        parsed = parse_ticket(number) if number else None
        line = parsed[0] if parsed else (line or "")
        if store is None or not line:
            self._failed(PlatformUnreachable("offline"))
            return
        now = _now()
        clerk = login.username if login else ""
        self.visit_key = await asyncio.to_thread(
            store.start_offline_visit,
            self.counter,
            clerk,
            number.upper() if number else None,
            line,
            now,
        )
        self._show_offline_visit(number.upper() if number else None, line, now)

    def _show_offline_visit(self, number: str | None, line: str, started: datetime) -> None:
        shown = number or self.t("counter.walk_in_mark", line=line)
        self.ticket = Ticket(
            id=-1,
            number=shown,
            line=line,
            status="serving",
            priority=False,
            counter=self.counter,
            issued_at=started,
            called_at=started,
            recalls=0,
            outcome=None,
            walk_in=number is None,
        )
        self._show_ticket()
        self._say(self.t("counter.served_offline", number=shown), error=True)

    @work(group="action")
    async def finish_offline(self, outcome: str, then_next: bool) -> None:
        """A visit served offline ends: kept with its outcome, sent when the platform is
        back; with N the next ticket is asked for (offline, that says so)."""
        store, key, ticket = self.console.store, self.visit_key, self.ticket
        if store is None or key is None or ticket is None:
            return
        login = self.client.login_info
        await asyncio.to_thread(
            store.finish_offline_visit, key, outcome, _now(), login.username if login else ""
        )
        self.visit_key, self.ticket = None, None
        self._show_ticket()
        said = self.t(
            "done.finished_as", number=ticket.number, outcome=self.t(f"outcome.{outcome}")
        )
        self._say(said + self.t("counter.sent_later"))
        self.console.check_sync()
        if then_next:
            self.action_act("call-next")

    async def _ticket_from_platform(self) -> None:
        """Take the ticket at hand as the platform holds it, and say which it is."""
        try:
            queue = await self.client.queue()
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        self.busy = False
        self._take_counter(queue)
        number = self.ticket.number if self.ticket is not None else "—"
        self._say(self.t("counter.at_hand_on_platform", number=number), error=True)

    def action_finish(self, then_next: bool = False) -> None:
        """Finish with an outcome; with `then_next`, call the next ticket in the same
        request (if nothing is waiting, the ticket stays at hand: nothing changes). After
        an intake of this ticket was decided, its outcome is the decision's, not asked."""
        self.finish(then_next)

    @work(group="finish", exclusive=True)
    async def finish(self, then_next: bool) -> None:
        store, ticket = self.console.store, self.ticket
        decided = None
        if store is not None and ticket is not None and ticket.status in ACTIVE:
            decided = await asyncio.to_thread(
                store.ticket_decision, ticket.number, self.counter, ticket.issued_at
            )

        # The ticket is named: a request sent again after its answer was lost finishes
        # nothing else (the platform answers what it did the first time).
        named = {"ticket": ticket.number} if ticket is not None else {}

        def chosen(outcome: str | None) -> None:
            if outcome and self.visit_key is not None:
                self.finish_offline(outcome, then_next)
            elif outcome and then_next:
                self.action_act("call-next", {"finish": outcome, **named})
            elif outcome:
                self.action_act("finish", {"outcome": outcome, **named})

        if decided is not None:
            chosen(OUTCOME_OF_DECISION[decided])
            return
        choices = [(o, self.t(f"outcome.{o}")) for o in OUTCOMES]
        self.app.push_screen(ChoiceModal(self.t, self.t("counter.ask_outcome"), choices), chosen)

    def action_transfer(self) -> None:
        def typed(answer: str | None) -> None:
            if not answer:
                return
            if answer.isdigit():
                self.action_act("transfer", {"counter": int(answer)})
            elif len(answer) == 1 and answer.isalpha():
                self.action_act("transfer", {"line": answer.upper()})
            else:
                self._say(self.t("counter.bad_target", answer=answer), error=True)

        self.app.push_screen(TextModal(self.t, self.t("counter.ask_target"), "B / 7"), typed)

    def action_cases(self, find: str | None = None) -> None:
        from clerk_console.tui.screens.cases import CasesScreen

        ticket = self.ticket.number if self.ticket and self.ticket.status in ACTIVE else None
        self.app.push_screen(CasesScreen(self.t, ticket, find))

    def _catalog_missing(self) -> bool:
        """Say why an intake cannot open yet (still loading, or what went wrong and what to
        do); False when it can."""
        if self.console.catalog is not None and self.console.store is not None:
            return False
        error = self.console.catalog_error
        if error:
            self._say(self.t("counter.catalog_failed", error=error), error=True)
        else:
            self._say(self.t("counter.catalog_not_ready"), error=True)
        return True

    def action_intake(self) -> None:
        """Take in the applicant at hand (受理); an unfinished intake of this counter reopens."""
        if not self._catalog_missing():
            self.open_intake()

    @work(group="intake")
    async def open_intake(self, preapplication: str | None = None) -> None:
        """Reopen this counter's unfinished intake, or start one (from a pre-application)."""
        from clerk_console.tui.screens.intake import IntakeScreen

        store = self.console.store
        assert store is not None
        drafts = await asyncio.to_thread(store.open_drafts, self.counter)
        ticket = self.ticket.number if self.ticket and self.ticket.status in ACTIVE else None
        login = self.client.login_info
        clerk = login.username if login else ""
        loaded = self.console.catalog
        if drafts and loaded is not None:
            current, where = loaded.catalog, (self.counter, ticket)
            screen = await IntakeScreen.reopen(self.t, store, current, where, drafts[0], clerk)
            if screen is not None:
                self.app.push_screen(screen)
                return
        pulled = None
        if preapplication is not None:
            try:
                data = await self.client.preapplication(preapplication)
            except (PlatformRefused, PlatformUnreachable) as exc:
                self._failed(exc)
                return
            pulled = from_preapplication(
                data, f"{self.counter:03d}-{uuid4().hex[:12]}", self.counter, clerk, ticket
            )
        self.app.push_screen(
            IntakeScreen(self.t, self.counter, ticket, pulled, clerk=clerk, pulled=preapplication)
        )

    def on_scanned(self, message: Scanned) -> None:
        """A barcode scan at the counter: a ticket is called, a case shown, a pre-application
        taken in; anything else is said as read."""
        code = message.code
        if code.kind is CodeKind.TICKET:
            self.action_act("call", {"number": code.value})
        elif code.kind is CodeKind.CASE:
            self.action_cases(find=code.value)  # a receipt or notice scanned: that case
        elif code.kind is CodeKind.PREAPPLICATION:
            if not self._catalog_missing():
                self.open_intake(code.value)
        elif code.kind is CodeKind.ELICENCE:
            self._say(self.t("scan.elicence_in_intake"), error=True)
        else:
            self._say(self.t("scan.unknown", raw=code.raw.strip()), error=True)

    def action_call_number(self) -> None:
        def typed(answer: str | None) -> None:
            if not answer:
                return
            if parse_ticket(answer) is None:
                self._say(self.t("counter.bad_number", answer=answer), error=True)
                return
            self.action_act("call", {"number": answer.upper()})

        self.app.push_screen(TextModal(self.t, self.t("counter.ask_number"), "B017"), typed)

    def action_walk_in(self) -> None:
        def typed(answer: str | None) -> None:
            if not answer:
                return
            if len(answer) != 1 or not answer.isalpha():
                self._say(self.t("counter.bad_line", answer=answer), error=True)
                return
            self.action_act("walk-in", {"line": answer.upper()})

        self.app.push_screen(TextModal(self.t, self.t("counter.ask_line"), "A"), typed)

    def action_toggle_pause(self) -> None:
        if not self.busy:
            self.busy = True
            self.set_status("open" if self.paused else "paused")

    @work(group="action")
    async def set_status(self, status: str) -> None:
        try:
            await self.client.set_counter_status(self.counter, status)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
        else:
            self.paused = status == "paused"
            self._show_ticket()
            self._say(self.t(f"done.{status}"))
        finally:
            self.busy = False


def _now() -> datetime:
    return datetime.now(UTC)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
