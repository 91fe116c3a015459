"""The hall display (叫号屏): the latest call in large digits (`B017 → 5号窗口`), the last few
calls, and each counter's current ticket, following the platform's change feed. Public: no
login. Optionally spoken through espeak-ng."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.base import ConsoleScreen
from clerk_console.tui.widgets.keys import ConsoleFooter

if TYPE_CHECKING:
    from clerk_console.sync.client import PlatformClient

CALL_EVENTS = ("called", "called_back", "recalled")
RECENT = 8
HISTORY = 300  # changes looked back at when the display starts


class DisplayScreen(ConsoleScreen):
    """The big screen of the hall."""

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.recent: deque[tuple[str, int]] = deque(maxlen=RECENT)

    def compose(self) -> ComposeResult:
        with Vertical(id="display"):
            yield Static(self.console.settings.hall.name, id="display-hall")
            with Horizontal(id="latest"):
                yield Digits("", id="latest-number")
                yield Static("", id="latest-counter")
            with Horizontal(id="display-tables"):
                yield Static("", id="recent-calls")
                yield Static("", id="counter-board")
            yield Static(self.t("display.waiting_for_platform"), id="display-status")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.display")  # not the counter's name
        self.place()
        self.follow()

    async def _client(self) -> PlatformClient:
        while self.console.client is None:  # the platform connects after the first frame
            if self.console.platform_error:
                raise PlatformUnreachable(self.console.platform_error)
            await asyncio.sleep(0.2)
        return self.console.client

    @work(exclusive=True, group="feed")
    async def follow(self) -> None:
        """Show every call as the platform reports it (long-poll)."""
        status = self.query_one("#display-status", Static)
        while True:
            try:
                client = await self._client()
                queue = await client.queue()
                self._show_counters(queue["counters"])
                status.update("")
                cursor = int(queue.get("cursor", 0))
                if not self.recent:
                    # Started mid-day: show the latest calls already made, quietly.
                    history, _ = await client.changes(max(0, cursor - HISTORY))
                    for call in [c["data"] for c in history if _is_call(c)][-RECENT:]:
                        self.show_call(
                            call["ticket"]["number"], int(call["ticket"]["counter"]), False
                        )
                while True:
                    changes, cursor = await client.changes(cursor, wait=10)
                    calls = [c["data"] for c in changes if _is_call(c)]
                    for call in calls:
                        self.show_call(call["ticket"]["number"], int(call["ticket"]["counter"]))
                    if changes:
                        self._show_counters((await client.queue())["counters"])
            except (PlatformRefused, PlatformUnreachable) as exc:
                status.update(explain(self.t, exc))
                await asyncio.sleep(2)

    def show_call(self, number: str, counter: int, fresh: bool = True) -> None:
        """Put a call up in large digits and in the list; a fresh one is highlighted for a
        few seconds (and spoken, if so configured)."""
        self.recent.appendleft((number, counter))
        self.query_one("#latest-number", Digits).update(number)
        self.query_one("#latest-counter", Static).update(
            self.t("display.to_counter", counter=counter)
        )
        latest = self.query_one("#latest", Horizontal)
        if fresh:
            latest.add_class("new")
            self.set_timer(4, lambda: latest.remove_class("new"))
        table = Table(title=self.t("display.recent"), title_justify="left", expand=True)
        table.add_column(self.t("display.number"))
        table.add_column(self.t("display.counter"))
        for n, c in self.recent:
            table.add_row(n, self.t("display.counter_n", counter=c))
        self.query_one("#recent-calls", Static).update(table)
        if fresh and self.console.settings.display.speak:
            self.announce(self.t("display.announce", number=number, counter=counter))

    def _show_counters(self, counters: list[dict[str, Any]]) -> None:
        table = Table(title=self.t("display.now_serving"), title_justify="left", expand=True)
        table.add_column(self.t("display.counter"))
        table.add_column(self.t("display.number"))
        for c in counters:
            if c["status"] == "closed":
                continue
            ticket = c.get("ticket")
            table.add_row(
                self.t("display.counter_n", counter=c["number"]),
                ticket["number"] if ticket else "—",
            )
        self.query_one("#counter-board", Static).update(table)

    @work(thread=True, group="speech")
    def announce(self, text: str) -> None:
        """Speak a call through espeak-ng, if it is installed (a thread: it takes seconds)."""
        program = shutil.which("espeak-ng")
        if program is None:
            return
        settings = self.console.settings.display
        command = [program, "-v", settings.voice]
        if settings.speak_to:
            command += ["-w", str(Path(settings.speak_to).expanduser())]
        # A failing speech must not disturb the board: its output goes nowhere.
        subprocess.run(
            [*command, text], check=False, timeout=30, capture_output=True, stdin=subprocess.DEVNULL
        )


def _is_call(change: dict[str, Any]) -> bool:
    data = change.get("data", {})
    return change.get("topic") == "ticket" and data.get("event") in CALL_EVENTS
