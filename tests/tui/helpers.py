"""Helpers for driving the console in tests."""

from __future__ import annotations

from contextlib import suppress
from io import StringIO
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

LIFELONG = {"feed", "intake-save", "hot-folder", "outbox", "spool", "sync"}
"""Worker groups that follow something for as long as their screen lives."""


async def settle(pilot: Pilot[None]) -> None:
    """Wait until background loading is done (or has failed) and the screen has caught up."""
    await pilot.pause()  # let the first frame pass, so start-up work has begun
    for worker in list(pilot.app.workers):
        if worker.group in LIFELONG:
            continue  # runs for as long as its screen lives
        with suppress(WorkerFailed):  # a failure is for the test to look at, not to raise
            await worker.wait()
    await pilot.pause()
    # No blinking cursor, so screenshots are the same every time.
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


def plain(widget: Static, width: int = 200) -> str:
    """What a Static shows, as plain text."""
    out = StringIO()
    Console(file=out, width=width, color_system=None, legacy_windows=False).print(
        widget.content  # type: ignore[arg-type]
    )
    return out.getvalue()


async def log_in(pilot: Pilot[None], user: str, pin: str) -> None:
    """Type a login into the login screen (the counter field keeps what it holds)."""
    await pilot.press(*user, "enter", *pin, "enter", "enter")
    await settle(pilot)


def told(app: App[None]) -> list[str]:
    """Every notification the app gives from now on, kept (a toast leaves the screen after
    its time, which a busy machine can outlast before the test looks)."""
    said: list[str] = []
    real = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        said.append(str(message))
        real(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return said
