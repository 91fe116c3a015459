"""What every screen of the console shares: its message catalogue, key labels in the
clerk's language, and the app (for its store, settings and platform client)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding
from textual.screen import Screen

from clerk_console.tui.i18n import Messages, translate_bindings
from clerk_console.tui.widgets.keys import HELP_KEY, open_key_help

if TYPE_CHECKING:
    from clerk_console.sync.status import SyncState
    from clerk_console.tui.app import ClerkConsoleApp


def sync_words(t: Messages, state: SyncState) -> str:
    """The sync state as the header says it: 在线, or 离线（10:32 起）, with what waits."""
    if state.online:
        return t("sync.online_waiting", n=state.waiting) if state.waiting else t("sync.online")
    since = state.down_since.astimezone() if state.down_since else None
    now = datetime.now().astimezone()
    at = (
        ""
        if since is None
        else since.strftime("%H:%M" if since.date() == now.date() else "%m-%d %H:%M")
    )
    return t("sync.offline", since=at, n=state.waiting)


class ConsoleScreen(Screen[None]):
    """Base of every screen: `t` translates, the footer's labels are already translated, and
    F9 lists every key of the screen (the footer shows the keys of the moment)."""

    BINDINGS = [Binding(HELP_KEY, "keys", "key.all_keys")]
    NARROW = 110
    """Below this many columns a screen stacks its side-by-side panes (class `-narrow`),
    so on 80 columns a table keeps its essential columns."""

    def __init__(self, t: Messages) -> None:
        super().__init__()
        self.t = t
        translate_bindings(self._bindings, t)

    @property
    def console(self) -> ClerkConsoleApp:
        # Imported here: the app imports the screens.
        from clerk_console.tui.app import ClerkConsoleApp

        assert isinstance(self.app, ClerkConsoleApp)
        return self.app

    def on_resize(self) -> None:
        self.set_class(self.size.width < self.NARROW, "-narrow")

    SHOWS_SYNC: ClassVar[bool] = False
    """Whether the header says the sync state (every screen of a logged-in member of staff)."""

    _where = ""
    _following_sync = False

    def place(self, where: str = "") -> None:
        """The header's second half: the hall, and where this screen works (a counter, the
        kiosk, a department), so no screen claims a counter it is not at; on staff screens
        then the sync state (online, or offline since when, and the outbox)."""
        self._where = where
        if self.SHOWS_SYNC and not self._following_sync:
            self._following_sync = True
            self.watch(self.console, "sync_state", self._show_place, init=False)
        self._show_place()

    def _show_place(self, _state: object = None) -> None:
        hall = self.console.settings.hall.name
        place = self.t("app.place", hall=hall, where=self._where) if self._where else hall
        state = self.console.sync_state if self.SHOWS_SYNC else None
        # The sync state first: on 80 columns the end of the header may be cut.
        self.sub_title = place if state is None else f"{sync_words(self.t, state)} · {place}"

    def department_name(self, code: str | None) -> str:
        """A department by its name (the catalog's), not its code."""
        loaded = self.console.catalog
        if code and loaded is not None and code in loaded.catalog.departments:
            return loaded.catalog.departments[code].name
        return code or ""

    def action_keys(self) -> None:
        """F9: every key of this screen as it stands, with what it does."""
        open_key_help(self.t, self, self.t("keys.title"))
