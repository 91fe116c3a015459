"""The supervisor's live hall board (大厅管理): per line the waiting, the longest and recent
waits, served and no-shows; the alerts (red: people wait on it now; yellow: the back office's
and the follow-ups' deadlines), acknowledged with `a`; per counter its state, clerk, ticket
and for how long, today's count, mean service, idle time, ratings and printer; the slips'
estimates against the waits. Live from the change feed, and read again every few seconds
for the alerts that time alone raises (a wait growing past its threshold).

Pause or resume a counter, move a waiting ticket, unlock a login locked by wrong PINs, see
the deadlines (`l`) and the bad ratings' follow-ups (`f`), and export the day's, week's or
month's numbers (`e`)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from clerk_console.domain.queue import parse_ticket
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.prompts import ChoiceModal, TextModal

REFRESH_SECONDS = 10
"""The longest the board goes without reading the hall again (the feed's long-poll)."""

SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow"}


class SupervisorScreen(StaffScreen):
    """The whole hall at a glance."""

    # The footer shows what fits of these, in this order (F9 lists them all).
    BINDINGS = [
        Binding("a", "acknowledge", "key.acknowledge"),
        Binding("e", "export", "key.export_report"),
        Binding("p", "toggle_counter", "key.pause_counter"),
        Binding("f", "follow_ups", "key.follow_ups"),
        Binding("l", "deadlines", "key.deadlines"),
        Binding("m", "move", "key.move"),
        Binding("u", "unlock", "key.unlock"),
        Binding("ctrl+o", "logout", "key.logout"),
    ]

    MESSAGE_ID = "#sv-message"

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.hall: dict[str, Any] = {"lines": [], "counters": [], "alerts": []}
        # What the tables show now, so a refresh redraws only what changed.
        self._alerts_shown: list[tuple[str, Text, Text]] = []
        self._counters_shown: dict[str, tuple[str | Text, ...]] = {}
        self._lines_shown: tuple[Any, ...] = ()
        self._stale = False  # the platform stopped answering: the figures are of earlier

    def _as_of(self) -> str:
        """When the figures on screen were read (the platform's clock, shown locally)."""
        if "at" not in self.hall:
            return "—"
        return datetime.fromisoformat(self.hall["at"]).astimezone().strftime("%H:%M:%S")

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="supervisor"):
            yield Static("", id="sv-lines")
            yield Static("", id="sv-summary")
            yield DataTable(id="sv-alerts", cursor_type="row", show_header=False)
            yield DataTable(id="sv-counters", cursor_type="row", zebra_stripes=True)
            yield Static(self.t("supervisor.hint"), id="sv-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.supervisor")  # not the counter's name
        self.place(self.t("place.supervisor"))
        table = self.query_one("#sv-counters", DataTable)
        for key in COUNTER_COLUMNS:
            table.add_column(self.t(f"supervisor.col_{key}"), key=key)
        alerts = self.query_one("#sv-alerts", DataTable)
        alerts.add_column("", key="alert")
        alerts.add_column("", key="ack")
        alerts.display = False
        table.focus()
        self.follow()

    def on_resize(self) -> None:
        super().on_resize()
        # A few alerts on a small terminal (the counters need the rows), more on a big one.
        self.query_one("#sv-alerts").styles.max_height = 4 if self.size.height < 32 else 8

    @work(exclusive=True, group="feed")
    async def follow(self) -> None:
        """Read the board again whenever anything changes in the hall, and at least every
        REFRESH_SECONDS (a wait passes its threshold with no change to tell of it)."""
        cursor = 0
        while True:
            try:
                self.hall = await self.client.hall()
                self._show()
                if self._stale:  # the platform answers again: say so where it said it was away
                    self._stale = False
                    self._say(self.t("supervisor.back"))
                if not cursor:
                    cursor = int((await self.client.queue()).get("cursor", 0))
                _changes, cursor = await self.client.changes(cursor, wait=REFRESH_SECONDS)
            except PlatformUnreachable as exc:
                self._stale = True
                self._say(
                    self.t("supervisor.stale", at=self._as_of(), reason=explain(self.t, exc)),
                    error=True,
                )
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

    # --- showing the board ----------------------------------------------------------------

    def _show(self) -> None:
        limit = self.hall.get("thresholds", {}).get("wait_minutes")
        signature = (repr(self.hall["lines"]), limit, repr(self._summary_of()))
        if signature != self._lines_shown:
            self._lines_shown = signature
            self._show_lines(limit)
        self._show_alerts()
        self._show_counters()

    def _summary_of(self) -> tuple[Any, ...]:
        return tuple(self.hall.get(k) for k in ("estimates", "handoffs", "follow_ups"))

    def _show_lines(self, limit: int | None) -> None:
        t = self.t
        lines = Table(
            title=t("supervisor.lines"),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            padding=(0, 1),
        )
        for key in LINE_COLUMNS:
            first = key == "line"
            lines.add_column(
                t(f"supervisor.col_{key}"), justify="left" if first else "right", no_wrap=first
            )
        for line in self.hall["lines"]:
            longest = _short(t, line["longest_wait_seconds"])
            over = limit is not None and line["longest_wait_seconds"] > limit * 60
            lines.add_row(
                f"{line['prefix']} {line['name']}",
                str(line["waiting"]),
                Text(longest, style="bold red") if over and line["waiting"] else longest,
                _short(t, line.get("hour_wait_seconds", 0)),
                _short(t, line["average_wait_seconds"]),
                str(line["served"]),
                str(line.get("no_shows", 0)),
                _short(t, line["estimated_wait_seconds"]),
            )
        self.query_one("#sv-lines", Static).update(lines)
        self.query_one("#sv-summary", Static).update(summary(t, self.hall, self.size.width - 2))

    def _show_alerts(self) -> None:
        table = self.query_one("#sv-alerts", DataTable)
        alerts = self.hall.get("alerts", [])
        rows = [
            (
                alert["key"],
                Text(
                    alert_words(self.t, alert),
                    style="dim"
                    if alert.get("acknowledged")
                    else SEVERITY_STYLE.get(alert["severity"], ""),
                ),
                Text(acknowledged_words(self.t, alert["acknowledged"]), style="dim")
                if alert.get("acknowledged")
                else Text(""),
            )
            for alert in alerts
        ]
        if rows == self._alerts_shown:
            return  # the same alerts: the cursor stays where the supervisor put it
        if [r[0] for r in rows] == [r[0] for r in self._alerts_shown]:
            # The same alerts with new figures (a wait a minute longer): those cells only.
            for (key, words, ack), (_k, old_words, old_ack) in zip(
                rows, self._alerts_shown, strict=True
            ):
                if words != old_words:
                    table.update_cell(key, "alert", words, update_width=True)
                if ack != old_ack:
                    table.update_cell(key, "ack", ack, update_width=True)
            self._alerts_shown = rows
            return
        self._alerts_shown = rows
        row = table.cursor_row
        table.clear()
        for key, words, ack in rows:
            table.add_row(words, ack, key=key)
        table.display = bool(rows)
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))

    def _show_counters(self) -> None:
        """The counters' rows: built once, then only the cells that changed are redrawn
        (a feed event changes one counter or two; a hall has up to a hundred)."""
        table = self.query_one("#sv-counters", DataTable)
        rows = {str(c["number"]): self._counter_cells(c) for c in self.hall["counters"]}
        if list(rows) != list(self._counters_shown):
            row = table.cursor_row
            table.clear()
            for key, cells in rows.items():
                table.add_row(*cells, key=key)
            if rows:
                table.move_cursor(row=min(row, len(rows) - 1))
        else:
            for key, cells in rows.items():
                before = self._counters_shown[key]
                for column, old, new in zip(COUNTER_COLUMNS, before, cells, strict=True):
                    if old != new:
                        table.update_cell(key, column, new)
        self._counters_shown = rows

    def _counter_cells(self, c: dict[str, Any]) -> tuple[str | Text, ...]:
        t = self.t
        ticket = c.get("ticket")
        at_hand = c.get("at_hand_seconds")
        if at_hand is None and ticket and ticket.get("called_at") and "at" in self.hall:
            # An older platform's board: reckoned here from the platform's own time.
            now = datetime.fromisoformat(self.hall["at"])
            at_hand = int((now - datetime.fromisoformat(ticket["called_at"])).total_seconds())
        printer = c.get("printer") or {}
        rated = c.get("ratings", 0)
        return (
            t("supervisor.counter_short", counter=c["number"]),
            t(f"supervisor.status_{c['status']}"),
            c.get("clerk") or "—",
            ticket["number"] if ticket else "—",
            _short(t, at_hand) if at_hand is not None else "",
            str(c.get("served", 0)),
            _short(t, c.get("average_service_seconds", 0)) if c.get("served") else "—",
            _short(t, c.get("idle_seconds", 0)),
            f"{c.get('good_ratings', 0)}/{rated}" if rated else "—",
            Text(t("supervisor.printer_fault"), style="bold red")
            if printer.get("state") == "fault"
            else t("supervisor.printer_ok"),
        )

    # --- alerts ---------------------------------------------------------------------------

    def _selected_alert(self) -> dict[str, Any] | None:
        alerts = self.hall.get("alerts", [])
        if not alerts:
            return None
        table = self.query_one("#sv-alerts", DataTable)
        return dict(alerts[min(table.cursor_row, len(alerts) - 1)])

    def action_acknowledge(self) -> None:
        """Acknowledge the alert under the alerts' cursor (Tab moves there), with a note."""
        alert = self._selected_alert()
        if alert is None:
            self._say(self.t("supervisor.no_alerts"))
            return
        if alert.get("acknowledged"):
            self._say(acknowledged_words(self.t, alert["acknowledged"]))
            return

        def noted(note: str | None) -> None:
            if note is not None:  # Esc: not acknowledged
                self.acknowledge(alert, note)

        self.app.push_screen(
            TextModal(
                self.t,
                self.t("supervisor.ask_ack", alert=alert_words(self.t, alert)),
                self.t("supervisor.ack_placeholder"),
            ),
            noted,
        )

    @work(group="action")
    async def acknowledge(self, alert: dict[str, Any], note: str) -> None:
        try:
            await self.client.acknowledge_alert(alert["key"], note)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
        else:
            self._say(self.t("supervisor.acknowledged", alert=alert_words(self.t, alert)))

    # --- the numbers ----------------------------------------------------------------------

    def action_export(self) -> None:
        """Choose the period, then the file's kind; the file goes to the reports folder."""
        t = self.t
        periods = [(k, t(f"supervisor.period_{k}")) for k in ("day", "week", "month")]
        formats = [(k, t(f"supervisor.format_{k}")) for k in ("xlsx", "csv", "txt")]

        def period_chosen(kind: str | None) -> None:
            if kind is None:
                return

            def format_chosen(fmt: str | None) -> None:
                if fmt is not None:
                    self.export(kind, fmt)

            self.app.push_screen(ChoiceModal(t, t("supervisor.ask_format"), formats), format_chosen)

        self.app.push_screen(ChoiceModal(t, t("supervisor.ask_period"), periods), period_chosen)

    @work(group="action")
    async def export(self, kind: str, fmt: str) -> None:
        from clerk_console.report_files import write_report

        self._say(self.t("supervisor.exporting"))
        try:
            report = await self.client.report(kind)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        folder = reports_folder(self.app)
        try:
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            path = await asyncio.to_thread(write_report, report, self.t, fmt, folder)
        except OSError as exc:
            self._say(self.t("supervisor.export_failed", folder=folder, reason=exc), error=True)
            return
        self._say(self.t("supervisor.exported", path=path))

    # --- counters and tickets -------------------------------------------------------------

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


LINE_COLUMNS = ("line", "waiting", "longest", "hour", "average", "served", "no_shows", "estimate")
COUNTER_COLUMNS = (
    "counter",
    "status",
    "clerk",
    "ticket",
    "since",
    "today",
    "service",
    "idle",
    "ratings",
    "printer",
)


def reports_folder(app: Any) -> Path:
    """Where exported reports go: the console's `reports_dir`, else reports/ in its data."""
    settings = app.settings
    if settings.reports_dir:
        return Path(settings.reports_dir).expanduser()
    return Path(settings.data_path()) / "reports"


def alert_words(t: Messages, alert: dict[str, Any]) -> str:
    """An alert as the supervisor reads it."""
    params = dict(alert.get("params", {}))
    if alert["kind"] == "printer":
        params["message"] = printer_words(t, str(params.get("message", "")))
    if "lines" in params:
        params["lines"] = t.join(str(params["lines"]))  # A、C, not AC
    if "status" in params:
        params["status_words"] = t(f"supervisor.status_{params['status']}")
    return t(f"supervisor.alert_{alert['kind']}", **params)


def printer_words(t: Messages, message: str) -> str:
    """A console's printer report ("receipt:paper_out,tickets:refused") in words."""
    parts = []
    for part in message.split(","):
        name, _, code = part.strip().partition(":")
        key = f"supervisor.fault_{code}"
        parts.append(f"{name} {t(key) if t.has(key) else code}".strip())
    return t.join(p for p in parts if p) or t("supervisor.fault_error")


def acknowledged_words(t: Messages, ack: dict[str, Any]) -> str:
    """Who acknowledged an alert, when, and their note."""
    at = datetime.fromisoformat(ack["at"]).astimezone().strftime("%H:%M")
    if ack.get("note"):
        return t("supervisor.acknowledged_note", by=ack["by"], at=at, note=ack["note"])
    return t("supervisor.acknowledged_by", by=ack["by"], at=at)


def summary(t: Messages, hall: dict[str, Any], width: int = 200) -> Text:
    """One line under the lines: the estimates' error, the back office, the follow-ups;
    a line each, when they do not fit in `width` together (never broken mid-phrase)."""
    lines: list[Text] = []
    for part in _summary_parts(t, hall):
        if lines and lines[-1].cell_len + 3 + part.cell_len <= width:
            lines[-1] = Text(" · ").join([lines[-1], part])
        else:
            lines.append(part)
    return Text("\n").join(lines)


def _summary_parts(t: Messages, hall: dict[str, Any]) -> list[Text]:
    estimates = hall.get("estimates") or {}
    if estimates.get("tickets"):
        bias = estimates["mean_bias_seconds"]
        first = Text(
            t(
                f"supervisor.estimate_{'late' if bias > 0 else 'early'}",
                n=estimates["tickets"],
                error=estimates["mean_error_seconds"] // 60,
                bias=abs(bias) // 60,
            )
        )
    else:
        first = Text(t("supervisor.estimate_none"))
    handoffs = hall.get("handoffs") or {}
    follow_ups = hall.get("follow_ups") or {}
    return [
        first,
        Text(
            t(
                "supervisor.summary_handoffs",
                due=handoffs.get("due_today", 0),
                overdue=handoffs.get("overdue", 0),
            ),
            style="yellow" if handoffs.get("overdue") else "",
        ),
        Text(
            t(
                "supervisor.summary_follow_ups",
                open=follow_ups.get("open", 0),
                overdue=follow_ups.get("overdue", 0),
            ),
            style="red" if follow_ups.get("overdue") else "",
        ),
    ]


def _short(t: Messages, seconds: int) -> str:
    return t("supervisor.min", n=max(seconds, 0) // 60)
