"""How a handoff reads in a table row, the same in the approver's inbox and the counter's case
detail: its items, status, due date and time state (coloured)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from clerk_console.tui.i18n import Messages

TIME_STATE_STYLE = {"normal": "green", "warning": "bold yellow", "overdue": "bold red"}


def time_state(t: Messages, state: str | None) -> Text:
    """normal / warning / overdue in words and colour; empty for a handoff without a clock."""
    if not state:
        return Text("")
    return Text(t(f"time_state.{state}"), style=TIME_STATE_STYLE.get(state, ""))


def handoff_cells(t: Messages, handoff: dict[str, Any]) -> list[str | Text]:
    """Items, status, due date, time state: the columns both tables share."""
    return [
        t.join(item["name"] for item in handoff["items"]),
        t(f"handoff_status.{handoff['status']}"),
        handoff["due_on"] or "—",
        time_state(t, handoff["time_state"]),
    ]
