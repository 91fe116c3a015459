"""The supervisor's bad ratings (差评整改): every follow-up not done yet, overdue ones first
in red, with the chosen one's steps; keys take the next step, each with a note: verify (核实),
rectify (整改), call back (回访), and decide an appeal (申诉: uphold or grant)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
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

# The key of each step, and the follow-up statuses it applies to (domain.rating's order).
STEP_KEYS = {
    "v": ("verify", ("open",)),
    "r": ("rectify", ("verified",)),
    "c": ("call-back", ("rectified",)),
    "a": ("appeal", ("open", "verified")),
    "u": ("uphold", ("appealed",)),
    "x": ("grant", ("appealed",)),
}


class FollowUpsScreen(StaffScreen):
    """Bad ratings waiting for their follow-up."""

    BINDINGS = [
        *(
            Binding(key, f"step('{key}')", f"key.follow_up_{step[0].replace('-', '_')}")
            for key, step in STEP_KEYS.items()
        ),
        Binding("g", "refresh", "key.refresh"),
        Binding("escape", "close", "key.back_to_hall"),
    ]

    MESSAGE_ID = "#follow-ups-message"

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.ratings: list[dict[str, Any]] = []
        self.reasons: dict[str, dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="follow-ups"):
            yield DataTable(id="follow-ups-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="follow-up-detail")
            yield Static(self.t("follow_ups.hint"), id="follow-ups-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.supervisor")
        self.place(self.t("place.supervisor"))
        table = self.query_one(DataTable)
        for key in ("service", "level", "counter", "status", "due"):
            table.add_column(self.t(f"follow_ups.col_{key}"), key=key)
        table.focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "step":
            return True
        chosen = self._chosen()
        if chosen is None or chosen.get("follow_up") is None:
            return False
        # Only the steps the chosen follow-up can take now are in the footer.
        return chosen["follow_up"]["status"] in STEP_KEYS[str(parameters[0])][1]

    def _chosen(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if not self.ratings or not 0 <= table.cursor_row < len(self.ratings):
            return None
        return self.ratings[table.cursor_row]

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="follow-ups")
    async def load(self) -> None:
        try:
            if not self.reasons:
                self.reasons = {r["code"]: r for r in await self.client.rating_reasons()}
            found = await self.client.ratings(follow_up="open")
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        # Overdue first, then the nearest due day.
        self.ratings = sorted(
            found, key=lambda r: (not r["follow_up"]["overdue"], r["follow_up"]["due_on"])
        )
        self._show()

    def _show(self) -> None:
        t = self.t
        table = self.query_one(DataTable)
        table.clear()
        for r in self.ratings:
            f = r["follow_up"]
            due = Text(f["due_on"], style="bold red" if f["overdue"] else "")
            table.add_row(
                r["ref"],
                t(f"rating.{r['level']}"),
                t("place.counter", counter=r["counter"]) if r["counter"] else "",
                t(f"follow_ups.status_{f['status']}"),
                due,
            )
        if not self.ratings:
            self.query_one("#follow-up-detail", Static).update(t("follow_ups.none"))
        self.refresh_bindings()
        self.show_detail()

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()
        self.show_detail()

    @work(exclusive=True, group="follow-up-detail")
    async def show_detail(self) -> None:
        chosen = self._chosen()
        if chosen is None:
            return
        try:
            detail = await self.client.rating(chosen["id"])
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        t = self.t
        steps = Table(
            title=t("follow_ups.detail_title", service=detail["ref"], clerk=detail["clerk"] or ""),
            title_justify="left",
            expand=True,
        )
        for key in ("at", "step", "who", "note"):
            steps.add_column(t(f"follow_ups.col_{key}"))
        for e in detail["events"]:
            steps.add_row(
                e["at"][:16].replace("T", " "),
                t(f"follow_ups.step_{e['kind']}"),
                e.get("username") or t("follow_ups.applicant"),
                e.get("note", ""),
            )
        said = t.join(self._reason(code) for code in detail["reasons"])
        words = Text(t("follow_ups.said", reasons=said or "—", comment=detail["comment"] or "—"))
        self.query_one("#follow-up-detail", Static).update(Group(words, steps))

    def _reason(self, code: str) -> str:
        reason = self.reasons.get(code)
        if reason is None:
            return code
        return reason["en"] if self.t.lang == "en" else reason["zh"]

    def action_step(self, key: str) -> None:
        chosen = self._chosen()
        if chosen is None:
            return
        step = STEP_KEYS[key][0]

        def noted(note: str | None) -> None:
            if note and note.strip():
                self.take_step(chosen["id"], step, note.strip())
            elif note is not None:
                self._say(self.t("error.note_required"), error=True)

        title = self.t(f"follow_ups.ask_{step.replace('-', '_')}", service=chosen["ref"])
        self.app.push_screen(TextModal(self.t, title), noted)

    @work(exclusive=True, group="follow-up-step")
    async def take_step(self, rating_id: int, step: str, note: str) -> None:
        try:
            done = await self.client.follow_up(rating_id, step, note)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        status = self.t(f"follow_ups.status_{done['follow_up']['status']}")
        self._say(self.t("follow_ups.stepped", service=done["ref"], status=status))
        self.load()

    def action_close(self) -> None:
        self.app.pop_screen()
