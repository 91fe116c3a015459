"""Call-next throughput: N counters calling at once over HTTP, and the raw SQL claim.

For each database (PostgreSQL at CLERK_TEST_PG_URL, and SQLite) and each N in --counters:
a fresh platform is initialised and served by `clerk-console central serve` (uvicorn, its
own process); --tickets tickets are laid down; N counters (asyncio tasks, one supervisor
login acting at every counter) call next and finish until nothing is left. Printed per run:
calls per second, p50/p99 latency of call-next, and double calls (a ticket given to two
counters; must be 0). The baseline runs the same claim as plain SQL from N threads, with no
HTTP and no ORM.

    python3 bench/call_next.py [--counters 1 10 100] [--tickets 6000] [--db postgres sqlite]
                               [--workers 2] [--rate 500 800]

Goal (issue 3): at 100 counters on PostgreSQL >= 1,000 calls/s, p99 <= 50 ms, 0 double
calls, and >= 25% of the raw-SQL baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import Session

from clerk_console.central.db import drop_schema, make_engine
from clerk_console.central.models import CounterRow, TicketRow
from clerk_console.domain.queue import format_ticket

PG_URL = os.environ.get("CLERK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def platform_env() -> dict[str, str]:
    """The platform's environment: this one, or CLERK_BENCH_PLATFORM's checkout (served.py)."""
    env = dict(os.environ)
    if os.environ.get("CLERK_BENCH_PLATFORM"):
        env["PYTHONPATH"] = os.environ["CLERK_BENCH_PLATFORM"]
    return env


def prepare(db: str, workdir: Path, counters: int, tickets: int, workers: int) -> tuple[str, Path]:
    """A fresh platform with `counters` open counters and `tickets` waiting tickets."""
    url = PG_URL if db == "postgres" else f"sqlite:///{workdir / 'central.db'}"
    if db == "postgres":
        engine = make_engine(url, pool_size=2)
        drop_schema(engine)
        engine.dispose()
    config = workdir / "central.toml"
    config.write_text(
        f'database_url = "{url}"\ndata_dir = "{workdir}"\nsecret = "{SECRET}"\n'
        f"port = {free_port()}\nworkers = {workers}\npool_size = {max(5, 40 // workers)}\n",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "clerk_console", "central", "init", "--config", str(config)],
        check=True,
        capture_output=True,
        env=platform_env(),
    )
    engine = make_engine(url, pool_size=2)
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        for n in range(101, 101 + counters):
            s.add(
                CounterRow(number=n, name="bench", lines="A,B,C,D,E", status="open", updated_at=now)
            )
        for i in range(tickets):
            line, seq = "ABCDE"[i % 5], i // 5 + 1
            s.add(
                TicketRow(
                    number=format_ticket(line, seq),
                    line=line,
                    day=now.date(),
                    seq=seq,
                    issued_at=now - timedelta(seconds=tickets - i),
                )
            )
    engine.dispose()
    return url, config


class Connection:
    """One keep-alive HTTP/1.1 connection. The bench's own client is kept small so that the
    figures measure the platform, not the client (httpx costs more CPU than the server)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(
        self, path: str, token: str, body: dict[str, Any] | None, key: str | None = None
    ) -> tuple[int, Any]:
        """POST `body` as JSON under the login `token` (and an `Idempotency-Key`)."""
        data = json.dumps(body).encode() if body is not None else b""
        extra = f"Idempotency-Key: {key}\r\n" if key else ""
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length")
        )
        return int(lines[0].split()[1]), json.loads(
            await self.reader.readexactly(length) or b"null"
        )

    def close(self) -> None:
        self.writer.close()


async def http_run(
    port: int, counters: int, combined: bool, rate: float | None = None
) -> tuple[float, list[float], list[int]]:
    """All counters calling until nothing is left: (seconds, call latencies, ticket ids).

    Separate: call-next, then finish, two requests a ticket. Combined: call-next with
    `finish`, which finishes the ticket at hand and calls the next in one request.

    Closed loop (no `rate`): each counter calls again as soon as it has its answer, so the
    figure is the most the platform does; with 100 counters waiting on each other, latency
    is then 100 / throughput by Little's law. Open loop (`rate` calls/s in all): each counter
    calls on a fixed schedule, and latency counts from the scheduled moment (a late answer
    delays the next call, and that delay is counted too): latency at that load."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        login = await client.post("/auth/login", json={"username": "super01", "pin": "222222"})
        token = login.json()["token"]
    latencies: list[float] = []
    called: list[int] = []

    async def counter(number: int) -> None:
        conn = await Connection.open(port)
        body: dict[str, Any] | None = None
        interval = counters / rate if rate else 0.0
        due = begin + (number - 101) / rate if rate else 0.0
        try:
            while True:
                if rate:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                started = due if rate else time.perf_counter()
                due += interval
                status, ticket = await conn.post(f"/counters/{number}/call-next", token, body)
                latencies.append(time.perf_counter() - started)
                if status == 409 and ticket["error"] == "nothing_waiting":
                    if body is not None:  # the last ticket is still at hand
                        await conn.post(f"/counters/{number}/finish", token, {"outcome": "other"})
                    return
                if status != 200:
                    raise RuntimeError(f"call-next answered {status}: {ticket}")
                called.append(int(ticket["id"]))
                if combined:
                    body = {"finish": "other"}
                    continue
                status, answer = await conn.post(
                    f"/counters/{number}/finish", token, {"outcome": "other"}
                )
                if status != 200:
                    raise RuntimeError(f"finish answered {status}: {answer}")
        finally:
            conn.close()

    begin = time.perf_counter() + 0.5  # every connection open before the first call
    await asyncio.gather(*(counter(n) for n in range(101, 101 + counters)))
    return time.perf_counter() - begin, latencies, called


def serve(config: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = next(
        int(line.split("=")[1])
        for line in config.read_text(encoding="utf-8").splitlines()
        if line.startswith("port")
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "clerk_console", "central", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=platform_env(),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the platform did not start")


def raw_claims(
    db: str, url: str, workdir: Path, counters: int, bare: bool = False
) -> tuple[float, list[int], list[float]]:
    """The claim as plain SQL from N threads, each its own connection: the baseline.

    PostgreSQL: the platform's own database function (finish the ticket at hand, claim the
    next, record the event and feed rows), so the gap to HTTP is what HTTP and the
    application cost; with `bare`, a single UPDATE that claims and records nothing.
    SQLite: the claim's select and update under BEGIN IMMEDIATE."""
    day = datetime.now(UTC).date().isoformat()
    claimed: list[int] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def pg_worker(n: int) -> None:
        import psycopg

        dsn = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn, autocommit=True) as conn:
            finish: str | None = None
            expect: str | None = None
            while True:
                started = time.perf_counter()
                try:
                    row = conn.execute(
                        "SELECT id, number FROM clerk_counter_step(%s, 'bench', now(),"
                        " now() + interval '15 minutes', %s, true, %s)",
                        (n, finish, expect),  # names the ticket it finishes, as consoles do
                    ).fetchone()
                except psycopg.Error as exc:
                    if exc.sqlstate == "CC409":
                        return  # nothing waiting
                    raise
                finish = "other"
                assert row is not None
                expect = str(row[1])
                with lock:
                    claimed.append(int(row[0]))
                    latencies.append(time.perf_counter() - started)

    def pg_bare_worker(n: int) -> None:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
            while True:
                with conn.transaction():
                    row = conn.execute(
                        "UPDATE ticket SET status = 'called', counter = %s WHERE id = ("
                        " SELECT id FROM ticket WHERE day = %s AND status = 'waiting'"
                        " ORDER BY issued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
                        (n, day),
                    ).fetchone()
                if row is None:
                    return
                with lock:
                    claimed.append(int(row[0]))

    def sqlite_worker(n: int) -> None:
        conn = sqlite3.connect(workdir / "central.db", timeout=60, isolation_level=None)
        while True:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT id FROM ticket WHERE day = ? AND status = 'waiting'"
                " ORDER BY issued_at, id LIMIT 1",
                (day,),
            ).fetchone()
            if row is not None:
                conn.execute(
                    "UPDATE ticket SET status = 'called', counter = ? WHERE id = ?", (n, row[0])
                )
            conn.execute("COMMIT")
            if row is None:
                conn.close()
                return
            with lock:
                claimed.append(int(row[0]))

    worker = (pg_bare_worker if bare else pg_worker) if db == "postgres" else sqlite_worker
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(101, 101 + counters)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, claimed, latencies


def reset_tickets(url: str) -> None:
    """Every ticket waiting again, every counter free; on PostgreSQL vacuumed after, so
    that each run starts from the same table (a reset leaves a dead row version per
    ticket, which the next run's claims would step over: a hall's day never does this)."""
    engine = make_engine(url, pool_size=1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET status = 'waiting', counter = NULL"))
        conn.execute(text("UPDATE counter SET current_ticket = NULL"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE ticket, counter"))
    engine.dispose()


def doubles(ids: list[int]) -> int:
    return sum(1 for n in Counter(ids).values() if n > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counters", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--tickets", type=int, default=6000)
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--workers", type=int, default=2, help="platform processes")
    parser.add_argument("--mode", nargs="+", default=["separate", "combined"])
    parser.add_argument(
        "--rate",
        type=float,
        nargs="*",
        default=[500, 800],
        help="also run combined open loop at these calls/s (all counters together)",
    )
    args = parser.parse_args()
    print(
        f"{args.tickets} tickets per run, {args.workers} platform workers; latency of call-next."
        " separate: call-next then finish (2 requests a ticket); combined: call-next that"
        " finishes the ticket at hand (1 request); closed loop unless '@ rate'"
    )
    for db in args.db:
        for counters in args.counters:
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                url, config = prepare(db, workdir, counters, args.tickets, args.workers)
                plan = [(mode, None) for mode in args.mode]
                plan += [("combined", rate) for rate in args.rate if counters == max(args.counters)]
                runs = []
                for mode, rate in plan:
                    reset_tickets(url)
                    process, port = serve(config)
                    try:
                        run = asyncio.run(http_run(port, counters, mode == "combined", rate))
                    finally:
                        process.terminate()
                        process.wait(timeout=10)
                    runs.append((mode if rate is None else f"{mode} @ {rate:.0f}/s", run))
                baselines = [False, True] if db == "postgres" else [False]
                raw = {}
                raw_p99 = 0.0
                for bare in baselines:
                    reset_tickets(url)
                    raw_seconds, raw_ids, raw_latencies = raw_claims(
                        db, url, workdir, counters, bare
                    )
                    raw[bare] = (len(raw_ids) / raw_seconds, doubles(raw_ids))
                    if not bare and raw_latencies:
                        raw_latencies.sort()
                        raw_p99 = raw_latencies[int(0.99 * (len(raw_latencies) - 1))]
            raw_rate = raw[False][0]
            line = f"{db:8s} {counters:3d} counters: raw SQL {raw_rate:7.0f} claims/s"
            if db == "postgres":
                line += f" p99 {raw_p99 * 1000:.1f} ms"
            if True in raw:
                line += f" (bare single-UPDATE claim {raw[True][0]:.0f}/s)"
            print(f"{line}, double {sum(d for _, d in raw.values())}")
            for mode, (seconds, latencies, called) in runs:
                latencies.sort()
                p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
                rate = len(called) / seconds
                print(
                    f"    {mode:18s} HTTP {rate:6.0f} calls/s,"
                    f" p50 {statistics.median(latencies) * 1000:6.1f} ms, p99 {p99 * 1000:6.1f} ms,"
                    f" double calls {doubles(called)}, tickets {len(set(called))}/{args.tickets},"
                    f" {rate / raw_rate * 100:.0f}% of raw"
                )
    print(
        "goal at 100 counters on PostgreSQL: >= 1000 calls/s, p99 <= 50 ms, 0 double, >= 25% of raw"
    )


if __name__ == "__main__":
    main()
