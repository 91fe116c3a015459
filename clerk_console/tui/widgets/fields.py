"""A text field for fast typists: Enter acts in order with the keys typed before it, and
keys that arrive after Enter moved the focus on go where the focus is now.

Why: Textual hands each key to the focused widget's own queue. A clerk (or tmux, or a
barcode scanner) typing `张三⏎5105…⏎139…⏎` sends the next field's keys before the field
has handled its Enter, so they used to land in the field just left, and an Enter handled by
a binding read the field before its last keys were in. Here the field handles its Enter
itself, in its own queue (every key before it already in), and passes on any key that was
queued for it after the focus moved away.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.widget import Widget
from textual.widgets import Input, Static


class FieldInput(Input):
    """An input whose Enter calls `on_enter(self)` at once, in order. With `mask` (an ID
    number's or a mobile's), what it holds shows masked while the focus is elsewhere, as
    the rest of the console shows such numbers, unless `revealed` (an audited reveal)."""

    # Class defaults: Input reads its value (below) while it is still being built.
    mask: Callable[[str], str] | None = None
    revealed = False

    def __init__(
        self,
        value: str | None = None,
        placeholder: str = "",
        *,
        on_enter: Callable[[FieldInput], None] | None = None,
        mask: Callable[[str], str] | None = None,
        password: bool = False,
        max_length: int = 0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            value,
            placeholder,
            password=password,
            max_length=max_length,
            id=id,
            classes=classes,
            # Typing into a prefilled field adds to it, it does not wipe it out.
            select_on_focus=False,
        )
        self.on_enter = on_enter
        self.mask = mask
        self.revealed = False

    @property
    def _value(self) -> Text:
        if self.mask is not None and self.value and not self.revealed and not self.has_focus:
            return Text(self.mask(self.value), no_wrap=True, overflow="ignore", end="")
        return super()._value

    def _mark_label(self, typing: bool) -> None:
        """Its row's label stands out while it is typed in. The class goes on the label
        alone: on the row, it restyled the field too (milliseconds a focus move)."""
        for sibling in self.parent.children if self.parent is not None else ():
            if sibling.has_class("field-label") or sibling.has_class("form-label"):
                sibling.set_class(typing, "-typing")

    def on_focus(self) -> None:
        self._mark_label(True)
        if self.mask is not None:
            self.refresh()  # in full while it is being typed or checked

    def on_blur(self) -> None:
        self._mark_label(False)
        if self.mask is not None:
            self.refresh()

    def reveal(self, revealed: bool) -> None:
        """Show the number in full (after an audited reveal) or masked again."""
        self.revealed = revealed
        self.refresh()

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self:
            # Typed for this field, but Enter has since moved the focus on: it belongs
            # where the focus is now.
            event.stop()
            event.prevent_default()
            (focused or self.screen)._forward_event(events.Key(event.key, event.character))
            return
        if event.key == "enter" and self.on_enter is not None:
            event.stop()
            event.prevent_default()
            self.on_enter(self)
            return
        await super()._on_key(event)


def show_text(static: Static, content: str | Text) -> None:
    """Update `static` only when what it shows changes: an update redoes the screen's
    layout, and a key at the counter should not pay for text that stayed the same."""
    if type(static.content) is type(content) and static.content == content:
        return
    static.update(content)


def set_shown(widget: Widget, shown: bool) -> None:
    """Show or hide `widget`, only when that changes (each change redoes the layout)."""
    if widget.display != shown:
        widget.display = shown
