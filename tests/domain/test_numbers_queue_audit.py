from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clerk_console.domain.audit import GENESIS, AuditFields, entry_hash, verify_chain
from clerk_console.domain.case_number import (
    MAX_CONSOLE_TAG,
    console_mark,
    format_case_number,
    new_query_password,
    parse_case_number,
)
from clerk_console.domain.queue import (
    WaitingTicket,
    choose_next,
    estimated_wait,
    format_ticket,
    parse_ticket,
)


def test_case_number_form() -> None:
    assert format_case_number("JY01", date(2026, 11, 22), 5, 3, 1) == "JY01-20261122-05A-0003"
    assert format_case_number("JY01", date(2026, 11, 22), 5, 3, 28) == "JY01-20261122-05AB-0003"
    with pytest.raises(ValueError):
        format_case_number("jy01", date(2026, 11, 22), 5, 3, 1)
    with pytest.raises(ValueError):
        format_case_number("JY01", date(2026, 11, 22), 5, 3, 0)
    assert parse_case_number("JY01-20261399-05A-0003") is None
    assert parse_case_number("not a case") is None
    # A number printed before consoles had marks still reads, as itself.
    old = parse_case_number("jy01-20261122-05-0003")
    assert old is not None and old.mark == "" and str(old) == "JY01-20261122-05-0003"


def test_console_marks_are_distinct_letters() -> None:
    marks = [console_mark(tag) for tag in range(1, MAX_CONSOLE_TAG + 1)]
    assert marks[:3] == ["A", "B", "C"] and marks[25:28] == ["Z", "AA", "AB"]
    assert marks[-1] == "ZZZ"
    assert len(set(marks)) == len(marks)
    with pytest.raises(ValueError):
        console_mark(MAX_CONSOLE_TAG + 1)


@given(
    st.from_regex(r"[A-Z0-9]{2,8}", fullmatch=True),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(1, 999),
    st.integers(1, 99999),
    st.integers(1, MAX_CONSOLE_TAG),
)
def test_case_numbers_round_trip(hall: str, day: date, counter: int, seq: int, tag: int) -> None:
    parsed = parse_case_number(format_case_number(hall, day, counter, seq, tag))
    assert parsed is not None
    assert (parsed.hall, parsed.day, parsed.counter, parsed.sequence, parsed.mark) == (
        hall,
        day,
        counter,
        seq,
        console_mark(tag),
    )


@given(
    st.sampled_from([(5, 1, 1), (5, 2, 1), (6, 1, 1), (5, 1, 2)]),
    st.sampled_from([(5, 1, 1), (5, 2, 1), (6, 1, 1), (5, 1, 2)]),
    st.integers(1, 9999),
)
def test_two_consoles_never_share_a_case_number(
    a: tuple[int, int, int], b: tuple[int, int, int], seq: int
) -> None:
    """Counter, console tag, sequence: numbers differ whenever any of them differs, also
    for two consoles at one counter number on one day with the same sequence."""
    day = date(2026, 11, 28)
    same = a == b
    number_a = format_case_number("JY01", day, a[0], seq * a[2], a[1])
    number_b = format_case_number("JY01", day, b[0], seq * b[2], b[1])
    assert (number_a == number_b) == same


def test_query_password_is_six_digits() -> None:
    assert new_query_password(lambda n: 42) == "000042"
    assert len(new_query_password()) == 6 and new_query_password().isdigit()


def test_ticket_numbers() -> None:
    assert format_ticket("B", 17) == "B017"
    assert format_ticket("A", 1234) == "A1234"
    assert parse_ticket("b017") == ("B", 17)
    assert parse_ticket("B17X") is None
    assert parse_ticket("A000") is None  # numbers start at 1: a typed A000 is no ticket
    with pytest.raises(ValueError):
        format_ticket("BB", 1)


NOW = datetime(2026, 11, 23, 10, 0)


def ticket(number: str, minutes_ago: int, **kw: object) -> WaitingTicket:
    return WaitingTicket(number, number[0], NOW - timedelta(minutes=minutes_ago), **kw)  # type: ignore[arg-type]


def test_routing_prefers_priority_then_line_order_then_longest_wait() -> None:
    waiting = [ticket("A001", 50), ticket("B002", 10), ticket("B001", 20), ticket("C001", 90)]
    assert choose_next(waiting, ["B", "A"], NOW).number == "B001"  # type: ignore[union-attr]
    waiting.append(ticket("A002", 1, priority=True))
    assert choose_next(waiting, ["B", "A"], NOW).number == "A002"  # type: ignore[union-attr]
    # A line the counter does not serve is never called.
    assert choose_next([ticket("C001", 90)], ["B", "A"], NOW) is None


def test_appointments_come_first_only_once_due() -> None:
    later = ticket("B003", 1, appointment_at=NOW + timedelta(hours=1))
    soon = ticket("B004", 1, appointment_at=NOW + timedelta(minutes=10))
    waiting = [ticket("B001", 30), later]
    assert choose_next(waiting, ["B"], NOW).number == "B001"  # type: ignore[union-attr]
    assert choose_next([*waiting, soon], ["B"], NOW).number == "B004"  # type: ignore[union-attr]


def test_estimated_wait() -> None:
    assert estimated_wait(5, timedelta(minutes=6), 2) == timedelta(minutes=18)
    assert estimated_wait(0, timedelta(minutes=6), 0) == timedelta(0)


def fields(seq: int, action: str = "x") -> AuditFields:
    return AuditFields(
        seq, f"2026-11-22T10:00:0{seq % 10}+00:00", "clerk01", 5, action, "s", {"n": seq}
    )


def chain(n: int) -> list[tuple[AuditFields, str, str]]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        h = entry_hash(prev, fields(seq))
        rows.append((fields(seq), prev, h))
        prev = h
    return rows


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(chain(5)) is None


def test_any_change_or_removal_is_found() -> None:
    rows = chain(5)
    changed = [*rows[:2], (fields(3, "tampered"), rows[2][1], rows[2][2]), *rows[3:]]
    broken = verify_chain(changed)
    assert broken is not None and (broken.seq, broken.reason) == (3, "hash_mismatch")
    removed = rows[:2] + rows[3:]
    broken = verify_chain(removed)
    assert broken is not None and (broken.seq, broken.reason) == (3, "gap")
