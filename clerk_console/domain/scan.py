"""Barcode scanners: telling a scan from typing, and what a scanned code is.

A scanner types like a keyboard and ends with Enter, but far faster than a person: every
key follows the one before within a few milliseconds. A burst whose keys all came within
`max_gap` of each other, and long enough not to be a lucky double press, is a scan.

What a code is decides where it goes:
- a ticket number (`B017`): call that ticket, if it waits for this counter;
- a case number (`JY01-20261122-05-0003`), or the receipt's QR (a tracking address that
  ends in `case=<number>`): open that case;
- an online pre-application code (网上预审: `YS` and 10 digits): pull its application in;
- an e-licence code (电子证照: `DZZZ:<registry>:<key>`, e.g.
  `DZZZ:BIZREG:91110000600037341L`): mark the material that registry holds verified;
- anything else: say what was read and that nothing matched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from clerk_console.domain.case_number import parse_case_number
from clerk_console.domain.queue import format_ticket, parse_ticket

MAX_GAP = 0.035
"""Seconds between two keys of a scan; people type at 0.1 s and slower."""
MIN_SCAN_CHARS = 4
"""Shorter bursts are treated as typing (two keys pressed at once are fast too)."""

_PREAPPLICATION = re.compile(r"^YS\d{10}$")
_ELICENCE = re.compile(r"^DZZZ:(?P<registry>[A-Z]{2,12}):(?P<key>\S+)$")
_TRACKING = re.compile(r"[?&]case=(?P<number>[A-Za-z0-9\-]+)")


def is_scan(key_times: Sequence[float], max_gap: float = MAX_GAP) -> bool:
    """Whether keys pressed at `key_times` (seconds, in order) came from a scanner."""
    if len(key_times) < MIN_SCAN_CHARS:
        return False
    return all(b - a <= max_gap for a, b in pairwise(key_times))


class CodeKind(StrEnum):
    """What a scanned code is."""

    TICKET = "ticket"
    CASE = "case"
    PREAPPLICATION = "preapplication"
    ELICENCE = "elicence"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """A code read by a scanner: its kind, its canonical value, and for an e-licence the
    registry that holds it."""

    kind: CodeKind
    value: str
    registry: str = ""
    raw: str = ""


def read_code(raw: str) -> ScannedCode:
    """What `raw` (as the scanner typed it) is."""
    text = raw.strip()
    upper = text.upper()
    ticket = parse_ticket(upper)
    if ticket is not None:
        return ScannedCode(CodeKind.TICKET, format_ticket(*ticket), raw=raw)
    case = parse_case_number(upper)
    if case is not None:
        return ScannedCode(CodeKind.CASE, str(case), raw=raw)
    tracking = _TRACKING.search(text)
    if tracking is not None and parse_case_number(tracking["number"]) is not None:
        return ScannedCode(CodeKind.CASE, str(parse_case_number(tracking["number"])), raw=raw)
    if _PREAPPLICATION.match(upper):
        return ScannedCode(CodeKind.PREAPPLICATION, upper, raw=raw)
    licence = _ELICENCE.match(text)
    if licence is not None:
        return ScannedCode(CodeKind.ELICENCE, licence["key"], registry=licence["registry"], raw=raw)
    return ScannedCode(CodeKind.UNKNOWN, text, raw=raw)
