"""What every logged-in staff screen shares: the platform client, a status line, the guide
key and logging out."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import Static

from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from clerk_console.sync.client import PlatformClient


class StaffScreen(ConsoleScreen):
    """Base of the counter, kiosk and supervisor screens."""

    SHOWS_SYNC = True

    # The service guide is one key away on every screen (F1 again closes it).
    # The print queue too: a printer's fault shows on every staff screen, and is fixed there.
    # Both are listed by F9 and named where they matter (the printer's warning says F6), so
    # the footer keeps its room for each screen's own keys.
    BINDINGS = [
        Binding("f1", "guide", "key.guide", show=False),
        Binding("f6", "print_queue", "key.print_queue", show=False),
    ]

    MESSAGE_ID = "#last-action"
    """The Static where the screen says what happened."""

    def __init__(self, t: Messages) -> None:
        super().__init__(t)

    @property
    def client(self) -> PlatformClient:
        client = self.console.client
        assert client is not None  # staff screens exist only after a login
        return client

    def _say(self, text: str, error: bool = False) -> None:
        style = "bold red" if error else "green"
        self.query_one(self.MESSAGE_ID, Static).update(Text(text, style=style))

    def _failed(self, error: PlatformRefused | PlatformUnreachable) -> None:
        self._say(explain(self.t, error), error=True)

    def action_print_queue(self) -> None:
        from clerk_console.tui.screens.print_queue import PrintQueueScreen

        login = self.console.client.login_info if self.console.client else None
        clerk = login.username if login else ""
        counter = login.counter if login else None
        self.app.push_screen(PrintQueueScreen(self.t, clerk, counter))

    def action_guide(self) -> None:
        from clerk_console.tui.screens.guide import GuideScreen

        self.app.push_screen(GuideScreen(self.t))

    @work(group="action")
    async def action_logout(self) -> None:
        """Ctrl+O. With the platform away, or the login expired, the logout is done here
        all the same; the platform is told when it answers (it then frees the counter)."""
        client = self.client
        login, token = client.login_info, client.token
        try:
            await client.logout()
        except PlatformRefused as exc:
            if exc.status != 401:  # not an expired or ended login: something to read
                self._failed(exc)
                return
        except PlatformUnreachable:
            store = self.console.store
            if token is not None and store is not None and login is not None:
                await asyncio.to_thread(store.queue_logout, token, login.username, login.counter)
            self.console.notify(self.t("login.logged_out_offline"), timeout=15)
        client.token, client.login_info = None, None
        self.console.unconfirmed_login = None
        self.after_logout()

    def after_logout(self) -> None:
        """Where a logout leads: back to the screen before the login, emptied for the next
        person."""
        self.app.pop_screen()
        reset = getattr(self.app.screen, "reset", None)
        if callable(reset):
            reset()
