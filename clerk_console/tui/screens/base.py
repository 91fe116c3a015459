"""What every screen of the console shares: its message catalogue, key labels in the
clerk's language, and the app (for its store, settings and platform client)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.screen import Screen

from clerk_console.tui.i18n import Messages, translate_bindings
from clerk_console.tui.widgets.keys import HELP_KEY, open_key_help

if TYPE_CHECKING:
    from clerk_console.tui.app import ClerkConsoleApp


class ConsoleScreen(Screen[None]):
    """Base of every screen: `t` translates, the footer's labels are already translated, and
    F9 lists every key of the screen (the footer shows the keys of the moment)."""

    BINDINGS = [Binding(HELP_KEY, "keys", "key.all_keys")]

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

    def action_keys(self) -> None:
        """F9: every key of this screen as it stands, with what it does."""
        open_key_help(self.t, self, self.t("keys.title"))
