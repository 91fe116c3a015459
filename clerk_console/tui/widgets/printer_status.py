"""One line per printer that has a fault, in words a clerk understands: which printer, what
is wrong, what to do, and how many jobs wait for it; a line too for a printer that is well
but warns (its paper nearly used up). Empty while every printer is well."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from clerk_console.tui.i18n import Messages

if TYPE_CHECKING:
    from clerk_console.devices.spool import PrinterState


def describe(t: Messages, state: PrinterState) -> str:
    """A fault, or a warning, as the clerk reads it (empty when the printer is well)."""
    if state.fault is None:
        if state.warning:
            return t(f"printer.warning_{state.warning}", name=state.name, where=state.where)
        return ""
    words = t(
        f"printer.fault_{state.fault}", name=state.name, where=state.where, detail=state.detail
    )
    if state.waiting:
        words += " " + t("printer.waiting", n=state.waiting)
    return words


class PrinterStatus(Static):
    """Follows the app's `printer_states`."""

    def __init__(self, t: Messages, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.t = t

    def on_mount(self) -> None:
        self.watch(self.app, "printer_states", self._show)

    def _show(self, states: tuple[PrinterState, ...]) -> None:
        text = Text()
        for state in states:
            if line := describe(self.t, state):
                # A fault stops printing (red); a warning does not, yet (yellow).
                style = "bold red" if state.fault else "bold yellow"
                text.append(("\n" if text else "") + line, style=style)
        self.update(text)
        self.display = bool(text)
