"""Issuing tickets as the day fills: a kiosk's ticket at 0 and at 5,000 waiting (goal: the cost
of an issue independent of the day's size, >= 500 issues/s).

A real `clerk-console central serve` (uvicorn, its own process) on PostgreSQL (the database
`clerk_bench` beside CLERK_TEST_PG_URL's, made if missing) or SQLite; kiosks are asyncio
tasks with their own logins and HTTP clients, each press under its own key. Printed per
database and day: issues per second (closed loop), p50/p99 of one issue, the CPU time an
issue cost the platform and the database (steadier than the rate on two shared cores), and
the machine's load average. `--lines A B C D E` spreads the kiosks over lines (a line's
numbers are taken in turn, so one line alone is the worst case). Two kinds of kiosk, one
after the other on the same platform: `lean`, a minimal HTTP client (bench/call_next.py's),
whose figure is the platform's; `httpx`, the client a kiosk runs, which here shares the
platform's two cores. A line gives out 9,999 numbers a day: keep --issues times the kinds
below that.

    python3 bench/issuing.py [--db postgres sqlite] [--waiting 0 5000] [--kiosks 8]
                             [--issues 1000] [--procs N] [--workers N] [--lines B]
                             [--client lean httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from call_next import Connection
from served import central_serve, cpu_seconds
from sqlalchemy import create_engine, text
from sqlmodel import Session

from clerk_console.central.db import drop_schema, make_engine
from clerk_console.central.models import TicketRow
from clerk_console.domain.queue import format_ticket

PG_URL = os.environ.get("CLERK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BENCH_URL = PG_URL.rsplit("/", 1)[0] + "/clerk_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database(db: str, workdir: Path) -> str:
    if db == "sqlite":
        return f"sqlite:///{workdir / 'central.db'}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        known = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'clerk_bench'"))
        if known.first() is None:
            conn.execute(text("CREATE DATABASE clerk_bench"))
    admin.dispose()
    engine = make_engine(BENCH_URL, pool_size=2)
    drop_schema(engine)
    engine.dispose()
    return BENCH_URL


def lay_down(url: str, waiting: int) -> None:
    """`waiting` tickets already waiting today (the morning so far), in line C, so that the
    kiosks' tickets in line B number on from 1."""
    if not waiting:
        return
    engine = make_engine(url, pool_size=2)
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        for i in range(waiting):
            s.add(
                TicketRow(
                    number=format_ticket("C", i + 1),
                    line="C",
                    day=now.date(),
                    seq=i + 1,
                    issued_at=now - timedelta(seconds=waiting - i),
                )
            )
    with engine.connect() as conn:  # as the database's own autovacuum would by then
        conn.execute(text("ANALYZE ticket"))
        conn.commit()
    engine.dispose()


async def login(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        answer = await client.post("/auth/login", json={"username": "guide01", "pin": "333333"})
        return str(answer.json()["token"])


async def kiosk(
    base: str, token: str, issues: int, latencies: list[float], line: str, lean: bool
) -> None:
    """One kiosk's presses, each under its own key; `lean`: from a minimal HTTP client, so
    that what is measured is the platform (httpx costs more CPU than the server, and here
    it shares the platform's two cores)."""
    if lean:
        conn = await Connection.open(int(base.rsplit(":", 1)[1]))
        try:
            for _ in range(issues):
                start = time.perf_counter()
                status, body = await conn.post(
                    "/tickets", token, {"line": line}, key=f"bench-{uuid.uuid4().hex}"
                )
                latencies.append(time.perf_counter() - start)
                assert status == 201, body
        finally:
            conn.close()
        return
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(issues):
            start = time.perf_counter()
            answer = await client.post(
                "/tickets",
                json={"line": line},
                headers={**headers, "Idempotency-Key": f"bench-{uuid.uuid4().hex}"},
            )
            latencies.append(time.perf_counter() - start)
            assert answer.status_code == 201, answer.text


async def run(
    base: str, kiosks: int, issues: int, lines: list[str], lean: bool
) -> tuple[list[float], float, float]:
    """The kiosks' presses: (latencies, wall-clock start, end). The logins come first and
    are not measured (a PIN check costs a press's time many times over, on purpose)."""
    tokens = [await login(base) for _ in range(kiosks)]
    latencies: list[float] = []
    each = issues // kiosks
    begin = time.time()
    await asyncio.gather(
        *(
            kiosk(base, token, each, latencies, lines[i % len(lines)], lean)
            for i, token in enumerate(tokens)
        )
    )
    return latencies, begin, time.time()


def kiosk_process(
    base: str, kiosks: int, issues: int, lines: list[str], lean: bool, out: Any
) -> None:
    out.put(asyncio.run(run(base, kiosks, issues, lines, lean)))


def run_in(
    procs: int, base: str, kiosks: int, issues: int, lines: list[str], lean: bool
) -> tuple[float, list[float]]:
    """The kiosks spread over `procs` processes (a hall's kiosks are machines of their own:
    one Python process's HTTP client would otherwise be what is measured): (issues per
    second from the first press to the last answer, latencies)."""
    if procs == 1:
        latencies, begin, end = asyncio.run(run(base, kiosks, issues, lines, lean))
        return len(latencies) / (end - begin), latencies
    out: Any = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=kiosk_process,
            args=(base, kiosks // procs, issues // procs, lines, lean, out),
        )
        for _ in range(procs)
    ]
    for worker in workers:
        worker.start()
    latencies = []
    begins, ends = [], []
    for _ in workers:
        some, begin, end = out.get()
        latencies += some
        begins.append(begin)
        ends.append(end)
    for worker in workers:
        worker.join()
    return len(latencies) / (max(ends) - min(begins)), latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--waiting", nargs="+", type=int, default=[0, 5000])
    parser.add_argument("--kiosks", type=int, default=8)
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--procs", type=int, default=1, help="processes the kiosks run in")
    parser.add_argument(
        "--lines", nargs="+", default=["B"], help="the lines the kiosks issue for, in turn"
    )
    parser.add_argument(
        "--client",
        nargs="+",
        choices=["lean", "httpx"],
        default=["lean", "httpx"],
        help="lean: a minimal HTTP client (the platform's figure); httpx: a kiosk's own",
    )
    args = parser.parse_args()
    for db in args.db:
        for waiting in args.waiting:
            workdir = Path(tempfile.mkdtemp(prefix="clerk-bench-issue-"))
            url = database(db, workdir)
            settings = {
                "DATABASE_URL": url,
                "DATA_DIR": str(workdir),
                "SECRET": "bench-secret",
                "POOL_SIZE": "20",
                "WORKERS": str(args.workers),
            }
            morning = functools.partial(lay_down, url, waiting)
            with central_serve(settings, morning) as (base, server):
                for client in args.client:
                    load = os.getloadavg()[0]
                    before = cpu_seconds(server)
                    rate, latencies = run_in(
                        args.procs, base, args.kiosks, args.issues, args.lines, client == "lean"
                    )
                    platform_ms, database_ms = (
                        (after - earlier) * 1000 / len(latencies)
                        for after, earlier in zip(cpu_seconds(server), before, strict=True)
                    )
                    latencies.sort()
                    p50 = statistics.median(latencies) * 1000
                    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
                    print(
                        f"{db:8} {waiting:5} waiting, {client:5}: {rate:6.0f} issues/s,"
                        f" one issue p50 {p50:6.1f} ms p99 {p99:6.1f} ms; CPU an issue:"
                        f" platform {platform_ms:.2f} ms, database {database_ms:.2f} ms"
                        f" ({args.kiosks} kiosks"
                        f" in {args.procs} processes, {args.workers} workers;"
                        f" lines {' '.join(args.lines)}; load before {load:.1f})"
                    )


if __name__ == "__main__":
    main()
