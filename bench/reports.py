"""The month's report over a long history (goal: a month over 1,000,000 tickets of history
in <= 2 s on PostgreSQL), and the day's and the week's beside it.

A fresh platform gets --tickets tickets in bulk, spread over the working days of --months
months back from today (or all in the current month with --months 1): five lines, 100
counters, a clerk each, waits and service times drawn at random, one in twenty a no-show,
a third taken in as a case (one to three items, a handoff each, one in ten decided late),
half of the served rated (one in twelve badly, with its follow-up). Then the report of the
current month (and of today's day and week) is timed: the bare SQL underneath
(`period_report`), and GET /reports/{kind} through the real HTTP stack (FastAPI in-process
over the ASGI transport) with its JSON.

    python3 bench/reports.py [--tickets 1000000] [--months 12] [--db postgres sqlite]

PostgreSQL: CLERK_BENCH_PG_URL (default the database clerk_bench on 127.0.0.1, made if
missing; never the tests' database, so it may run while they do).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, insert, text
from sqlmodel import Session

from clerk_console.central.api import create_app
from clerk_console.central.db import drop_schema, init_platform, make_engine
from clerk_console.central.handoffs import BackOffice
from clerk_console.central.models import (
    CaseItem,
    CaseRow,
    CounterRow,
    HandoffRow,
    RatingDepartment,
    RatingFollowUpRow,
    RatingItem,
    RatingRow,
    TicketRow,
)
from clerk_console.central.reports import period_report
from clerk_console.central.security import PinHasher
from clerk_console.config import CentralConfig, validate
from clerk_console.domain.report import Period

BENCH_PG = os.environ.get(
    "CLERK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/clerk_bench"
)
HASHER = PinHasher("bench-secret", time_cost=1, memory_cost=1024)
LINES = "ABCDE"
COUNTERS = 100
CHUNK = 20_000
DECISIONS = ("accepted", "deferred", "supplement", "rejected")


def bench_database(url: str) -> None:
    """Make the bench's PostgreSQL database if it is not there yet."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            return
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def platform(
    db: str, workdir: Path, reuse: bool = False
) -> tuple[TestClient, Engine, CentralConfig]:
    if db == "postgres":
        bench_database(BENCH_PG)
        engine = make_engine(BENCH_PG, pool_size=10)
        if not reuse:
            drop_schema(engine)
    else:
        engine = make_engine(f"sqlite:///{workdir / 'central.db'}", pool_size=10)
    config = validate(CentralConfig, {"data_dir": str(workdir), "secret": "bench-secret"})
    init_platform(engine, config, HASHER)
    return TestClient(create_app(config, engine, hasher=HASHER)), engine, config


def working_days(months: int, today: date) -> list[date]:
    """Monday to Friday from `months` months back (or this month's first) up to today."""
    start = today.replace(day=1) if months <= 1 else today - timedelta(days=round(months * 30.4))
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    return [d for d in days if d.weekday() < 5]


def add_counters(engine: Engine, count: int, now: datetime) -> None:
    """Counters up to `count` (the demo hall has 8), each serving two lines."""
    with Session(engine) as s, s.begin():
        known = {n for (n,) in s.execute(text("SELECT number FROM counter"))}
        rows = [
            {
                "number": n,
                "name": "综合窗口",
                "lines": f"{LINES[n % 5]},{LINES[(n + 1) % 5]}",
                "status": "closed",
                "clerk": None,
                "current_ticket": None,
                "updated_at": now,
                "printer_state": "ok",
                "printer_message": "",
                "printer_since": None,
            }
            for n in range(1, count + 1)
            if n not in known
        ]
        if rows:
            s.execute(insert(CounterRow), rows)


def fill(engine: Engine, office: BackOffice, tickets: int, days: list[date]) -> dict[str, int]:
    """The history, written in bulk; how many rows of each kind."""
    rng = random.Random(14)
    items = [(code, spec.department) for code, spec in sorted(office.catalog.items.items())]
    per_day = max(1, tickets // len(days))
    made = {"tickets": 0, "cases": 0, "handoffs": 0, "ratings": 0}
    ticket_id = case_seq = rating_id = 0
    batch: dict[str, list[dict[str, Any]]] = {}

    def flush(force: bool = False) -> None:
        if not force and len(batch.get("ticket", [])) < CHUNK:
            return
        with Session(engine) as s, s.begin():
            for table, model in (
                ("ticket", TicketRow),
                ("case", CaseRow),
                ("case_item", CaseItem),
                ("handoff", HandoffRow),
                ("rating", RatingRow),
                ("rating_item", RatingItem),
                ("rating_department", RatingDepartment),
                ("follow_up", RatingFollowUpRow),
            ):
                if batch.get(table):
                    s.execute(insert(model), batch[table])
        batch.clear()

    def add(table: str, row: dict[str, Any]) -> None:
        batch.setdefault(table, []).append(row)

    for day in days:
        opening = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in China
        seqs = dict.fromkeys(LINES, 0)
        for _ in range(per_day):
            line = rng.choice(LINES)
            seqs[line] += 1
            if seqs[line] > 9999:
                continue
            ticket_id += 1
            issued = opening + timedelta(seconds=rng.randrange(8 * 3600))
            wait = timedelta(seconds=int(rng.expovariate(1 / 900)))
            service = timedelta(seconds=60 + int(rng.expovariate(1 / 420)))
            counter = rng.randrange(1, COUNTERS + 1)
            gone = rng.random() < 0.05
            called = issued + wait
            finished = called + (timedelta(minutes=3) if gone else service)
            number = f"{line}{seqs[line]:03d}"
            add(
                "ticket",
                {
                    "id": ticket_id,
                    "number": number,
                    "line": line,
                    "day": day,
                    "seq": seqs[line],
                    "status": "no_show" if gone else "finished",
                    "priority": False,
                    "appointment_at": None,
                    "target_counter": None,
                    "issued_at": issued,
                    "called_at": called,
                    "finished_at": finished,
                    "counter": counter,
                    "served_by": f"clerk{counter:03d}",
                    "recalls": 0,
                    "outcome": None if gone else "consulted",
                    "walk_in": False,
                    "estimated_wait_seconds": int(wait.total_seconds() * rng.uniform(0.5, 1.5)),
                },
            )
            made["tickets"] += 1
            if gone:
                continue
            chosen = rng.sample(items, rng.choice((0, 0, 1, 1, 2, 3)))
            if chosen:
                case_seq += 1
                case_number = f"JY01-{day:%Y%m%d}-{counter:02d}-{case_seq % 10000:04d}-{case_seq}"
                status = rng.choices(DECISIONS, (80, 5, 12, 3))[0]
                add(
                    "case",
                    {
                        "number": case_number,
                        "idempotency_key": f"bench-{case_seq}",
                        "hall": "JY01",
                        "counter": counter,
                        "clerk": f"clerk{counter:03d}",
                        "status": status,
                        "data_json": "{}",
                        "received_at": finished,
                        "progress": "delivered" if status in ("accepted", "deferred") else "",
                        "delivery_json": "{}",
                        "ticket_id": ticket_id,
                    },
                )
                made["cases"] += 1
                for code, _department in chosen:
                    add("case_item", {"case_number": case_number, "item": code})
                if status in ("accepted", "deferred"):
                    for code, department in chosen:
                        due = day + timedelta(days=rng.choice((1, 3, 5, 10)))
                        late = rng.random() < 0.1
                        shift = rng.choice((1, 2)) if late else -rng.randrange(1 + (due - day).days)
                        decided_on = due + timedelta(days=shift)
                        decided = datetime(
                            decided_on.year, decided_on.month, decided_on.day, 3, tzinfo=UTC
                        )
                        add(
                            "handoff",
                            {
                                "case_number": case_number,
                                "department": department,
                                "items_json": f'["{code}"]',
                                "days": (due - day).days,
                                "waits_for_json": "[]",
                                "status": "approved",
                                "started_at": finished,
                                "pauses_json": "[]",
                                "due_on": due,
                                "assignee": None,
                                "result_json": "{}",
                                "returned_json": "{}",
                                "reason": "",
                                "decided_by": "approver",
                                "decided_at": max(decided, finished),
                                "reminded_at": None,
                                "created_at": finished,
                                "updated_at": finished,
                            },
                        )
                        made["handoffs"] += 1
            if rng.random() < 0.5:
                rating_id += 1
                level = rng.choices((1, 2, 3, 4, 5), (70, 15, 7, 5, 3))[0]
                add(
                    "rating",
                    {
                        "id": rating_id,
                        "service": "ticket",
                        "ref": f"{day.isoformat()}/{number}",
                        "level": level,
                        "reasons_json": "[]",
                        "comment": "",
                        "channel": "pad",
                        "counter": counter,
                        "clerk": f"clerk{counter:03d}",
                        "items_json": "[]",
                        "departments_json": "[]",
                        "rated_at": finished,
                        "day": day,
                        "recorded_by": None,
                        "counted": True,
                    },
                )
                made["ratings"] += 1
                for code, _department in chosen:
                    add("rating_item", {"rating_id": rating_id, "item": code})
                for department in dict.fromkeys(d for _, d in chosen):
                    add("rating_department", {"rating_id": rating_id, "department": department})
                if level >= 4:
                    closed = rng.random() < 0.8
                    add(
                        "follow_up",
                        {
                            "rating_id": rating_id,
                            "status": "closed" if closed else "open",
                            "due_on": day + timedelta(days=21),
                            "appealed": False,
                            "opened_at": finished,
                            "updated_at": finished,
                            "closed_at": finished + timedelta(days=5) if closed else None,
                        },
                    )
            flush()
    flush(force=True)
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            for table in ("ticket", "rating", "handoff"):
                c.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            c.execute(text("ANALYZE"))
        else:
            c.execute(text("ANALYZE"))
    return made


def bare(engine: Engine, period: Period, office: BackOffice) -> None:
    """The report's queries alone."""
    with Session(engine) as s:
        period_report(s, period, office, datetime.now(UTC))


def http(client: TestClient, kind: str, day: date, headers: dict[str, str]) -> None:
    """The report as the console asks for it."""
    answer = client.get(f"/reports/{kind}", params={"day": day.isoformat()}, headers=headers)
    assert answer.status_code == 200, answer.text


def timed(rounds: int, work: Any) -> Iterator[float]:
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        yield (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: time the history the last run left (no fill, ten minutes saved)",
    )
    args = parser.parse_args()
    today = date.today()
    days = working_days(args.months, today)
    for db in args.db:
        with tempfile.TemporaryDirectory() as tmp:
            reuse = args.reuse and db == "postgres"
            client, engine, _config = platform(db, Path(tmp), reuse)
            app = client.app
            now = datetime.now(UTC)
            office = app.state.back_office()
            started = time.perf_counter()
            if reuse:
                with engine.connect() as c:
                    made = {
                        "tickets": c.execute(text("SELECT count(*) FROM ticket")).scalar_one(),
                        "cases": c.execute(text("SELECT count(*) FROM intake_case")).scalar_one(),
                        "handoffs": c.execute(text("SELECT count(*) FROM handoff")).scalar_one(),
                        "ratings": c.execute(text("SELECT count(*) FROM rating")).scalar_one(),
                    }
            else:
                add_counters(engine, COUNTERS, now)
                made = fill(engine, office, args.tickets, days)
            filled = time.perf_counter() - started
            in_month = sum(1 for d in days if d >= today.replace(day=1))
            month_tickets = in_month * (made["tickets"] // len(days))
            print(
                f"{db}: {made['tickets']:,} tickets over {len(days)} working days "
                f"({made['cases']:,} cases, {made['handoffs']:,} handoffs, "
                f"{made['ratings']:,} ratings), filled in {filled:.0f} s; "
                f"this month holds about {month_tickets:,} tickets"
            )
            boss = client.post("/auth/login", json={"username": "super01", "pin": "222222"})
            headers = {"Authorization": f"Bearer {boss.json()['token']}"}
            last_month = today.replace(day=1) - timedelta(days=1)
            for kind, day in (
                ("month", last_month),
                ("month", today),
                ("week", today),
                ("day", today),
            ):
                period = Period.of(kind, day)
                bare_ms = sorted(timed(args.rounds, partial(bare, engine, period, office)))
                http_ms = sorted(timed(args.rounds, partial(http, client, kind, day, headers)))
                with Session(engine) as s:
                    held = s.execute(
                        text("SELECT count(*) FROM ticket WHERE day >= :a AND day < :b"),
                        {"a": period.start, "b": period.end},
                    ).scalar_one()
                print(
                    f"  {kind:5} {period.label()} ({held:,} tickets): "
                    f"SQL median {statistics.median(bare_ms):7.0f} ms "
                    f"(best {bare_ms[0]:.0f}, worst {bare_ms[-1]:.0f}); "
                    f"GET /reports/{kind} median {statistics.median(http_ms):7.0f} ms "
                    f"(worst {http_ms[-1]:.0f})"
                )
            client.close()
            engine.dispose()


if __name__ == "__main__":
    main()
