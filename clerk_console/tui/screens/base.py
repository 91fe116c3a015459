"""What every screen of the console shares: its message catalogue, key labels in the
clerk's language, and the app (for its store, settings and platform client)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from clerk_console.tui.i18n import Messages, translate_bindings

if TYPE_CHECKING:
    from clerk_console.tui.app import ClerkConsoleApp


class ConsoleScreen(Screen[None]):
    """Base of every screen: `t` translates, the footer's labels are already translated."""

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
