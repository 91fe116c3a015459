"""Many counters calling at once: every ticket called exactly once, none lost."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from central.conftest import HASHER, fresh_engine
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from clerk_console.central.db import init_platform
from clerk_console.central.errors import PlatformError
from clerk_console.central.models import CounterRow, TicketRow
from clerk_console.central.queue import Actor, QueueRules, call_next, finish
from clerk_console.config import CentralConfig, validate
from clerk_console.domain.queue import format_ticket

COUNTERS = 50
TICKETS = 5000
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LINES = "A,B,C,D,E"


def hall_with_tickets(backend: str, tmp_path: Path, tickets: int, counters: int) -> Engine:
    engine = fresh_engine(backend, tmp_path)
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": "x"})
    init_platform(engine, config, HASHER)
    with Session(engine) as s, s.begin():
        for number in range(101, 101 + counters):
            s.add(
                CounterRow(
                    number=number, name="综合窗口", lines=LINES, status="open", updated_at=NOW
                )
            )
        # Issuing has its own tests; here the tickets are laid down in bulk.
        for i in range(tickets):
            line, seq = "ABCDE"[i % 5], i // 5 + 1
            s.add(
                TicketRow(
                    number=format_ticket(line, seq),
                    line=line,
                    day=NOW.date(),
                    seq=seq,
                    priority=i % 17 == 0,
                    issued_at=NOW + timedelta(milliseconds=i),
                )
            )
    return engine


def serve_all(
    engine: Engine, counter: int, claim: Callable[[Session, int], int | None]
) -> list[int]:
    """One counter calling and finishing until nothing is left; the ids it was given."""
    actor = Actor(f"clerk{counter}", "clerk", counter=counter)
    called: list[int] = []
    while True:
        with Session(engine) as s, s.begin():
            ticket_id = claim(s, counter)
        if ticket_id is None:
            return called
        called.append(ticket_id)
        with Session(engine) as s, s.begin():
            finish(s, counter, "consulted", actor, NOW)


def atomic_claim(s: Session, counter: int) -> int | None:
    try:
        return call_next(
            s, counter, Actor(f"clerk{counter}", "clerk", counter=counter), NOW, QueueRules()
        ).id
    except PlatformError as exc:
        assert exc.code == "nothing_waiting", exc.code
        return None


def double_calls(called: list[int]) -> dict[int, int]:
    return {ticket: n for ticket, n in Counter(called).items() if n > 1}


def test_fifty_counters_five_thousand_tickets_each_called_once(
    backend: str, tmp_path: Path
) -> None:
    engine = hall_with_tickets(backend, tmp_path, TICKETS, COUNTERS)
    with ThreadPoolExecutor(COUNTERS) as pool:
        results = list(
            pool.map(lambda c: serve_all(engine, c, atomic_claim), range(101, 101 + COUNTERS))
        )
    called = [t for result in results for t in result]
    assert double_calls(called) == {}
    with Session(engine) as s:
        all_ids = set(s.exec(select(TicketRow.id)))
        states = Counter(s.exec(select(TicketRow.status)))
    assert set(called) == all_ids and len(called) == TICKETS  # none lost
    assert states == {"finished": TICKETS}
    assert sum(1 for r in results if r) > COUNTERS // 2  # the work really was shared
    engine.dispose()


def naive_claim(barrier: threading.Barrier) -> Callable[[Session, int], int | None]:
    """The control: read the first waiting ticket, then write it in a second step without
    checking that it is still waiting. The barrier makes two counters read before either
    writes, as happens under load."""

    def claim(s: Session, counter: int) -> int | None:
        ticket = s.exec(
            select(TicketRow)
            .where(TicketRow.status == "waiting")
            .order_by(col(TicketRow.id))
            .limit(1)
        ).first()
        s.commit()  # the read's transaction ends: nothing holds the ticket now
        if ticket is None:
            return None
        barrier.wait(timeout=10)
        with s.begin():
            s.exec(select(TicketRow).where(TicketRow.id == ticket.id)).one().status = "called"
        return ticket.id

    return claim


def test_the_naive_claim_is_caught_calling_twice(backend: str, tmp_path: Path) -> None:
    engine = hall_with_tickets(backend, tmp_path, tickets=1, counters=2)
    barrier = threading.Barrier(2)
    claim = naive_claim(barrier)

    def once(counter: int) -> int | None:
        with Session(engine) as s:
            return claim(s, counter)

    with ThreadPoolExecutor(2) as pool:
        called = [t for t in pool.map(once, (101, 102)) if t is not None]
    assert len(double_calls(called)) == 1  # the same ticket went to both counters
    engine.dispose()
