"""Python's full garbage collection moved to the moments the clerk is not pressing keys.

A full pass over the console's objects took 30 to 50 ms on a counter PC, and Python starts
one whenever enough objects have been made, which is in the middle of a key: a step change
that took 30 ms took 80 when one fell in it. The young generations are still collected as
usual (a few ms); the full pass waits for a quiet moment, or at the longest a few minutes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

NEVER = 1_000_000_000
"""A gen-2 threshold Python does not reach: full passes only when `tick` runs them."""


class IdleCollector:
    """Holds back Python's full collections until the console is quiet.

    `touch` on each key or click; `tick` now and then (a timer): it collects when nothing was
    pressed for `quiet` seconds, or when the last full pass is `longest` seconds ago."""

    def __init__(
        self,
        quiet: float = 2.0,
        longest: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet, self.longest, self.clock = quiet, longest, clock
        self.last_input = self.last_collect = clock()
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            young, middle, _ = self._thresholds
            gc.set_threshold(young, middle, NEVER)

    def stop(self) -> None:
        """Python's own thresholds again (tests run many consoles in one process)."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def touch(self) -> None:
        self.last_input = self.clock()

    def tick(self) -> bool:
        """Collect if it is time; True when it did."""
        now = self.clock()
        due = now - self.last_input >= self.quiet or now - self.last_collect >= self.longest
        if not due or gc.get_count()[2] == 0:  # nothing aged into gen 2 since the last pass
            return False
        gc.collect()
        self.last_collect = self.clock()
        return True
