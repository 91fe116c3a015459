"""Case numbers (受理编号) unique without the network, and query passwords.

A case number is hall + date + counter + console mark + that console's sequence of the day
at that counter: ``JY01-20261128-05B-0001``. The console mark (B) is given once to each
console's store by the platform, at its first login, and never given again; so two consoles
that never talk to each other (a second console at the same counter number, a store rebuilt
mid-day) can never give out the same number. Numbers made before marks existed
(``JY01-20261122-05-0003``) still read.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

_CASE = re.compile(
    r"^(?P<hall>[A-Z0-9]{2,8})-(?P<day>\d{8})-(?P<counter>\d{2,3})(?P<mark>[A-Z]{0,3})-(?P<seq>\d{4,})$"
)
_MARK_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_CONSOLE_TAG = 26 + 26**2 + 26**3  # A … ZZZ


def console_mark(tag: int) -> str:
    """The letters of a console's tag: 1 → A, 26 → Z, 27 → AA, … (bijective base 26)."""
    if not 1 <= tag <= MAX_CONSOLE_TAG:
        raise ValueError(f"console tag must be 1–{MAX_CONSOLE_TAG}")
    letters = ""
    while tag:
        tag, rest = divmod(tag - 1, 26)
        letters = _MARK_LETTERS[rest] + letters
    return letters


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """The parts of a case number."""

    hall: str
    day: date
    counter: int
    sequence: int
    mark: str = ""  # the console's letters; empty in numbers made before marks

    def __str__(self) -> str:
        return f"{self.hall}-{self.day:%Y%m%d}-{self.counter:02d}{self.mark}-{self.sequence:04d}"


def format_case_number(hall: str, day: date, counter: int, sequence: int, tag: int) -> str:
    """``JY01-20261122-05B-0003`` for console tag 2."""
    if not re.fullmatch(r"[A-Z0-9]{2,8}", hall):
        raise ValueError(f"hall code {hall!r} must be 2–8 capital letters or digits")
    if not 1 <= counter <= 999:
        raise ValueError("counter number must be 1–999")
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return str(CaseNumber(hall, day, counter, sequence, console_mark(tag)))


def parse_case_number(text: str) -> CaseNumber | None:
    """The parts of a case number, or None if `text` is not one."""
    m = _CASE.match(text.strip().upper())
    if m is None:
        return None
    raw_day = m["day"]
    try:
        day = date(int(raw_day[:4]), int(raw_day[4:6]), int(raw_day[6:]))
    except ValueError:
        return None
    return CaseNumber(m["hall"], day, int(m["counter"]), int(m["seq"]), m["mark"])


def new_query_password(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A 6-digit query password for tracking a case; pass `randbelow` to make it repeatable."""
    return f"{randbelow(1_000_000):06d}"
