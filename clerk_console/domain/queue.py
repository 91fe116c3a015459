"""Queue numbering and routing policy, as pure functions the platform applies in one
transaction.

Numbering: tickets are numbered per line per day (``B017``) from a counter row; these
functions only format and parse. Routing: among the counter's lines, priority tickets (green
channel) and appointments whose window has opened come first; then the counter's lines in its
order of preference; within a line, the longest wait.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

_TICKET = re.compile(r"^(?P<prefix>[A-Z])(?P<seq>\d{3,4})$")


def format_ticket(prefix: str, sequence: int) -> str:
    """``B017``: the line letter and a 3-digit sequence (4 digits past 999)."""
    if not re.fullmatch(r"[A-Z]", prefix):
        raise ValueError(f"line prefix {prefix!r} must be one capital letter")
    if not 1 <= sequence <= 9999:
        raise ValueError("ticket sequence must be 1–9999")
    return f"{prefix}{sequence:03d}"


def parse_ticket(text: str) -> tuple[str, int] | None:
    """(prefix, sequence) of a ticket number, or None (also for A000: numbers start at 1)."""
    m = _TICKET.match(text.strip().upper())
    if m is None or not 1 <= int(m["seq"]) <= 9999:
        return None
    return m["prefix"], int(m["seq"])


@dataclass(frozen=True, slots=True)
class WaitingTicket:
    """What routing needs to know of a waiting ticket."""

    number: str
    line: str
    issued_at: datetime
    priority: bool = False
    appointment_at: datetime | None = None


def is_due_appointment(ticket: WaitingTicket, now: datetime, early: timedelta) -> bool:
    """An appointment counts as due from `early` before its booked time."""
    return ticket.appointment_at is not None and now >= ticket.appointment_at - early


def order_key(
    ticket: WaitingTicket,
    line_rank: dict[str, int],
    now: datetime,
    appointment_early: timedelta = timedelta(minutes=15),
) -> tuple[int, int, datetime]:
    """Sort key: (urgent first, line preference, issue time)."""
    urgent = ticket.priority or is_due_appointment(ticket, now, appointment_early)
    return (0 if urgent else 1, line_rank[ticket.line], ticket.issued_at)


def choose_next(
    waiting: Sequence[WaitingTicket],
    lines: Sequence[str],
    now: datetime,
    appointment_early: timedelta = timedelta(minutes=15),
) -> WaitingTicket | None:
    """The ticket a counter serving `lines` (in preference order) calls next."""
    rank = {line: i for i, line in enumerate(lines)}
    candidates = [t for t in waiting if t.line in rank]
    if not candidates:
        return None
    return min(candidates, key=lambda t: order_key(t, rank, now, appointment_early))


def estimated_wait(ahead: int, average_service: timedelta, open_counters: int) -> timedelta:
    """A rough wait: the people ahead served by the open counters at the average pace."""
    if open_counters <= 0:
        return timedelta(0) if ahead == 0 else average_service * ahead
    rounds = -(-ahead // open_counters)  # ceiling division
    return average_service * rounds
