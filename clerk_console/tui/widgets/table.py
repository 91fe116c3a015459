"""A DataTable that keeps its rendered cells while nothing they show has changed.

Textual's DataTable throws away every rendered cell whenever its styles are re-applied (which
happens each time it gains or loses focus, or a step that holds it is shown again) and
whenever it receives a Resize, even one to the same size. Rendering a cell goes through Rich's
Padding and wrapping, so redrawing the twelve rows of a company's checklist cost tens of
milliseconds on every step change. Its caches are already keyed by the focus state, the cursor
and a counter bumped when the rows or columns change, so they stay valid across those events:
this class clears them only when the styles it paints with really changed, or the size did.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import DataTable


class SteadyTable(DataTable[Any]):
    """DataTable whose rendered cells survive focus changes and same-size resizes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._painted_with: dict[object, tuple[Style, ...]] = {}
        self._sized: tuple[Size, Size, Size] | None = None

    def _paint_styles(self) -> tuple[Style, ...]:
        """What a cell is painted with in the current state: the table's own style and its
        components' (cursor, header, stripes, hover), which follow focus and theme."""
        components = sorted(self.COMPONENT_CLASSES)
        return (
            self.rich_style,
            *(self.get_component_rich_style(name, partial=True) for name in components),
        )

    def notify_style_update(self) -> None:
        Widget.notify_style_update(self)  # the widget's own style caches, before reading them
        state = self.get_pseudo_class_state()
        try:
            painted_with = self._paint_styles()
        except KeyError:  # styled before its components are: nothing is cached yet
            super().notify_style_update()
            return
        known = self._painted_with.get(state)
        if known != painted_with:
            # A state not painted since the last clear, or new styles (a theme, a class):
            # start afresh, as DataTable always does. A theme change forgets the other states.
            if known is not None:
                self._painted_with.clear()
            self._painted_with[state] = painted_with
            super().notify_style_update()
            return
        # This state (focused or not) paints as it did when its cells were cached, and the
        # cell caches are keyed by the state. The style lookup is not, so it alone is cleared.
        self._get_styles_to_render_cell.cache_clear()
        self._styles_cache.clear()
        self.refresh()

    def _on_resize(self, event: events.Resize) -> None:
        sized = (event.size, event.virtual_size, event.container_size)
        if sized == self._sized:
            # Textual calls each class's handler in turn; DataTable's would invalidate
            # every cell for a size that did not change.
            event.prevent_default()
        self._sized = sized
