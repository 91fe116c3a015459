"""The barcode scanner as the console sees it: keys typed very fast, ending with Enter.

The app feeds every key it receives to a `ScanBuffer` before the screens see it. A burst that
`domain.scan.is_scan` calls a scan becomes a `Scanned` message to the active screen, which
routes it by what it reads; the Enter that ended it goes no further, and characters it left
in a field are taken out again. Typing at human speed is never a scan.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message import Message

from clerk_console.domain.scan import MAX_GAP, ScannedCode, is_scan


class Scanned(Message):
    """A code read by the barcode scanner."""

    def __init__(self, code: ScannedCode) -> None:
        super().__init__()
        self.code = code


class ScanBuffer:
    """Collects printable keys with their times; Enter ends a burst."""

    def __init__(
        self, max_gap: float = MAX_GAP, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_gap, self.clock = max_gap, clock
        self.chars: list[str] = []
        self.times: list[float] = []

    def feed(self, key: str, character: str | None) -> str | None:
        """The text of a scan when `key` ends one, else None."""
        now = self.clock()
        if key == "enter":
            text, times = "".join(self.chars), [*self.times, now]
            self.chars, self.times = [], []
            return text if is_scan(times, self.max_gap) else None
        if character is not None and len(character) == 1 and character.isprintable():
            if self.times and now - self.times[-1] > self.max_gap:
                self.chars, self.times = [], []  # a pause: what came before was typing
            self.chars.append(character)
            self.times.append(now)
            return None
        self.chars, self.times = [], []  # any other key breaks a burst
        return None
