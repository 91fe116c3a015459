"""Every key of a screen one key away: a footer that keeps the key-help key in sight at its
right edge (Textual's footer does not wrap, so on 80 columns the last keys fall off), and
the key-help panel it opens, listing every key the screen answers to at that moment."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static
from textual.widgets._footer import FooterKey

from clerk_console.tui.i18n import Messages, translate_bindings

HELP_KEY = "f9"
"""The key that opens the key-help panel, on every screen."""


class ConsoleFooter(Footer):
    """The keys of the moment; the key-help key docked at the right, never cut off.

    Textual's footer builds new key widgets on every change of the bindings (each focus
    move), several times for one step of the intake: a step change took 80 ms in it. This
    one keeps a pool of key widgets and only relabels them, once a frame at most, and only
    when the keys it shows did change."""

    POOL = 16
    _pending = False
    _shown: tuple[tuple[str, str, bool], ...] = ()

    def compose(self) -> ComposeResult:
        for _ in range(self.POOL):
            key = FooterKey("", "", "", "", classes="-pooled").data_bind(compact=Footer.compact)
            key.display = False
            yield key
        helper = FooterKey(HELP_KEY, "", "", "keys", classes="-command-palette -help")
        helper.display = False
        yield helper.data_bind(compact=Footer.compact)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._pending:
            return
        if self.is_attached and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._rebuild)

    def _rebuild(self) -> None:
        self._pending = False
        if not self.is_attached or not self.screen.is_attached:
            return  # its screen has gone (switched away) before this frame
        shown: list[tuple[Binding, bool]] = []
        actions: set[str] = set()
        helper: tuple[Binding, bool] | None = None
        for key, (_n, binding, enabled, _t) in self.screen.active_bindings.items():
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            if key == HELP_KEY:
                helper = (binding, enabled)
            else:
                shown.append((binding, enabled))
        signature = tuple((b.key, b.description, e) for b, e in shown)
        if helper is not None:
            signature += ((helper[0].key, helper[0].description, helper[1]),)
        if signature == self._shown:
            return
        self._shown = signature
        pool = list(self.query(".-pooled").results(FooterKey))
        for widget, item in zip(pool, [*shown, *[None] * len(pool)], strict=False):
            if item is None:
                widget.display = False
                continue
            self._label(widget, *item)
        self.styles.grid_size_columns = max(1, min(len(shown), len(pool)))
        help_key = self.query_one(".-help", FooterKey)
        if helper is not None:
            self._label(help_key, *helper)
        else:
            help_key.display = False

    def _label(self, widget: FooterKey, binding: Binding, enabled: bool) -> None:
        widget.key, widget.action = binding.key, binding.action
        widget.key_display = self.app.get_key_display(binding)
        widget.description = binding.description
        widget._disabled = not enabled
        widget.set_class(not enabled, "-disabled")
        widget.display = True
        widget.refresh(layout=True)


def _declared(nodes: Iterable[object], package: str) -> set[tuple[str, str]]:
    """(key, action) of the bindings the classes of `package` declare on `nodes`."""
    declared: set[tuple[str, str]] = set()
    for node in nodes:
        for cls in type(node).__mro__:
            if not cls.__module__.startswith(package):
                continue
            for binding in cls.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding):
                    for key in binding.key.split(","):
                        declared.add((key.strip(), binding.action))
    return declared


def _textuals(nodes: Iterable[object]) -> set[tuple[str, str]]:
    """(key, action) of the bindings only Textual's own classes declare (Tab, copy): they
    speak English and are not the clerk's work (Ctrl+Q, ours too, stays)."""
    nodes = list(nodes)
    return _declared(nodes, "textual.") - _declared(nodes, "clerk_console.")


def key_label(display: str) -> str:
    """A key as the footer, the key help and the README write it: F9, Ctrl+O."""
    if re.fullmatch(r"f\d+", display):
        return display.upper()
    if display.startswith("^") and len(display) == 2:
        return "Ctrl+" + display[1].upper()
    return {"esc": "Esc", "space": "Space", "enter": "Enter", "tab": "Tab"}.get(display, display)


def screen_keys(screen: Screen[Any]) -> list[tuple[str, str, bool]]:
    """(key as shown, what it does, whether it works now) for every key `screen` answers
    to now: its focused widget's step's, the screen's and the app's. A text field's editing
    keys and Textual's own (Tab, copy) are left out."""
    focused = screen.focused
    chain: list[object] = [screen, screen.app]
    if focused is not None:
        chain += list(focused.ancestors_with_self)
    textuals = _textuals(chain)
    seen: set[str] = set()
    rows: list[tuple[str, str, bool]] = []
    for key, (namespace, binding, enabled, _tooltip) in screen.active_bindings.items():
        if isinstance(namespace, Input) or binding.system or not binding.description:
            continue
        if (key, binding.action) in textuals or binding.action in seen:
            continue
        seen.add(binding.action)
        label = key_label(screen.app.get_key_display(binding))
        rows.append((label, binding.description, enabled))
    # Keys a widget takes itself (Enter on a row, the arrows), as its step notes them.
    t = getattr(screen, "t", None)
    for node in focused.ancestors_with_self if focused is not None else ():
        for key, message in getattr(node, "KEY_NOTES", ()):
            rows.append((key, t(message) if t else message, True))
    return rows


class KeyHelp(ModalScreen[None]):
    """Every key of the screen below, with what it does; Esc or F9 closes it."""

    BINDINGS = [Binding(f"escape,{HELP_KEY}", "close", "key.close_help")]

    def __init__(self, t: Messages, title: str, keys: Iterable[tuple[str, str, bool]]) -> None:
        super().__init__()
        translate_bindings(self._bindings, t)
        self.t, self.title_text, self.keys = t, title, list(keys)

    def compose(self) -> ComposeResult:
        # Two columns of keys when there are many, so a counter's keys fit on 80x24.
        halves = 2 if len(self.keys) > 10 else 1
        table = Table.grid(padding=(0, 2))
        for _ in range(halves):
            table.add_column(no_wrap=True, style="bold")
            table.add_column()
        rows = (len(self.keys) + halves - 1) // halves
        for r in range(rows):
            cells: list[Text] = []
            for h in range(halves):
                index = h * rows + r
                if index < len(self.keys):
                    key, what, enabled = self.keys[index]
                    style = "" if enabled else "dim"
                    cells += [Text(key, style=style or "bold"), Text(what, style=style)]
            table.add_row(*cells)
        with VerticalScroll(classes="modal-box", id="key-help"):
            yield Static(self.title_text, classes="modal-title")
            yield Static(table, id="key-help-table")
            yield Static(self.t("keys.hint"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#key-help").focus()  # ↑↓ scroll it, if it is still too long

    def action_close(self) -> None:
        self.dismiss(None)


def open_key_help(t: Messages, screen: Screen[Any], title: str) -> None:
    """Show every key of `screen` as it is now (the focused field's step included)."""
    screen.app.push_screen(KeyHelp(t, title, screen_keys(screen)))


def focused_within(widget: Widget) -> bool:
    """Whether the focus is inside `widget` (its keys are the ones in force)."""
    focused = widget.screen.focused
    return focused is not None and (focused is widget or widget in focused.ancestors)
