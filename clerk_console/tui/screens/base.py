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

    def place(self, where: str = "") -> None:
        """The header's second half: the hall, and where this screen works (a counter, the
        kiosk, a department), so no screen claims a counter it is not at."""
        hall = self.console.settings.hall.name
        self.sub_title = self.t("app.place", hall=hall, where=where) if where else hall

    def department_name(self, code: str | None) -> str:
        """A department by its name (the catalog's), not its code."""
        loaded = self.console.catalog
        if code and loaded is not None and code in loaded.catalog.departments:
            return loaded.catalog.departments[code].name
        return code or ""

    def action_keys(self) -> None:
        """F9: every key of this screen as it stands, with what it does."""
        open_key_help(self.t, self, self.t("keys.title"))
