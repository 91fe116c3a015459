"""Case numbers (受理编号) unique without the network, and query passwords.

A case number is hall + date + counter + that counter's sequence of the day, so two counters
that never talk to each other can never give out the same number.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

_CASE = re.compile(r"^(?P<hall>[A-Z0-9]{2,8})-(?P<day>\d{8})-(?P<counter>\d{2,3})-(?P<seq>\d{4,})$")


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """The parts of a case number."""

    hall: str
    day: date
    counter: int
    sequence: int

    def __str__(self) -> str:
        return f"{self.hall}-{self.day:%Y%m%d}-{self.counter:02d}-{self.sequence:04d}"


def format_case_number(hall: str, day: date, counter: int, sequence: int) -> str:
    """``JY01-20261122-05-0003``."""
    if not re.fullmatch(r"[A-Z0-9]{2,8}", hall):
        raise ValueError(f"hall code {hall!r} must be 2–8 capital letters or digits")
    if not 1 <= counter <= 999:
        raise ValueError("counter number must be 1–999")
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return str(CaseNumber(hall, day, counter, sequence))


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
    return CaseNumber(m["hall"], day, int(m["counter"]), int(m["seq"]))


def new_query_password(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A 6-digit query password for tracking a case; pass `randbelow` to make it repeatable."""
    return f"{randbelow(1_000_000):06d}"
