"""The hall's peak as the hall makes it: every counter its own console, with its own clerk's
login and its own HTTP client, calling next and finishing (one request a ticket, naming the
ticket it finishes, as the counter screen does), against the raw SQL claim in the same run.

Two kinds of console, to find where the time goes:
- `console`: the console's own `PlatformClient` (httpx, retries), one per counter, the
  counters spread over --procs processes (the consoles of a hall are separate machines;
  here they share this machine's cores with the platform);
- `lean`: the same logins and requests from a minimal HTTP/1.1 client (bench/call_next.py's),
  so the gap between the two is the client's cost, not the platform's.

Closed loop: each counter calls again as soon as it has its answer (the most the platform
does). Open loop (`--rate`): calls on a fixed schedule, latency from the scheduled moment.

    python3 bench/counters.py [--counters 100] [--tickets 6000] [--procs 2] [--rate 200]

Goal (issue 13): at 100 counters on PostgreSQL, >= 50% of the raw claim closed loop, and
p99 <= 50 ms at 200 calls/s offered.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from call_next import (
    PG_URL,
    SECRET,
    Connection,
    doubles,
    prepare,
    raw_claims,
    reset_tickets,
    serve,
)
from served import cpu_seconds
from sqlmodel import Session

from clerk_console.central.db import make_engine
from clerk_console.central.models import StaffRow
from clerk_console.central.security import PinHasher

FIRST = 101  # counters 101… are the bench's (prepare() opens them)
PIN = "246810"


def add_clerks(url: str, counters: int) -> None:
    """One clerk per bench counter (bench0101 …), all with the same PIN."""
    pin_hash = PinHasher(SECRET).hash(PIN)
    engine = make_engine(url, pool_size=1)
    with Session(engine) as s, s.begin():
        for n in range(FIRST, FIRST + counters):
            s.add(
                StaffRow(username=f"bench{n:04d}", name=f"窗口{n}", role="clerk", pin_hash=pin_hash)
            )
    engine.dispose()


def console_process(
    port: int, numbers: list[int], kind: str, rate: float | None, total: int, begin: float, out: Any
) -> None:
    """The consoles of `numbers`, in one process: (latencies, ticket ids) sent to `out`."""
    out.put(asyncio.run(consoles(port, numbers, kind, rate, total, begin)))


async def consoles(
    port: int, numbers: list[int], kind: str, rate: float | None, total: int, begin: float
) -> tuple[list[float], list[int]]:
    from clerk_console.sync.client import PlatformClient, PlatformRefused

    latencies: list[float] = []
    called: list[int] = []
    clients = {n: PlatformClient(f"http://127.0.0.1:{port}", timeout=30) for n in numbers}
    for n, client in clients.items():  # each console logs in at its counter, as a clerk
        await client.login(f"bench{n:04d}", PIN, n)
    if time.time() > begin:
        raise RuntimeError("the logins took longer than the start allows for")

    async def counter(n: int) -> None:
        client = clients[n]
        conn = await Connection.open(port) if kind == "lean" else None
        token = client.token or ""
        at_hand: int | None = None
        number_at_hand: str | None = None
        interval = total / rate if rate else 0.0
        due = begin + (n - FIRST) / rate if rate else 0.0
        await asyncio.sleep(max(0.0, begin - time.time()))  # all start together
        while True:
            if rate:
                await asyncio.sleep(max(0.0, due - time.time()))
            started = due if rate else time.time()
            due += interval
            body = {"finish": "other", "ticket": number_at_hand} if number_at_hand else None
            if conn is not None:
                status, answer = await conn.post(f"/counters/{n}/call-next", token, body)
                if status == 409 and answer["error"] == "nothing_waiting":
                    break
                if status != 200:
                    raise RuntimeError(f"call-next answered {status}: {answer}")
                at_hand, number_at_hand = int(answer["id"]), str(answer["number"])
            else:
                try:
                    ticket = await client.counter_action(n, "call-next", body)
                except PlatformRefused as exc:
                    if exc.code == "nothing_waiting":
                        break
                    raise
                at_hand, number_at_hand = ticket.id, ticket.number
            latencies.append(time.time() - started)
            called.append(at_hand)
        if number_at_hand is not None:
            await client.counter_action(n, "finish", {"outcome": "other", "ticket": number_at_hand})
        if conn is not None:
            conn.close()
        await client.aclose()

    await asyncio.gather(*(counter(n) for n in numbers))
    return latencies, called


def run(
    server: subprocess.Popen[bytes],
    port: int,
    counters: int,
    procs: int,
    kind: str,
    rate: float | None,
) -> tuple[float, list[float], list[int], tuple[float, float]]:
    """(seconds, latencies, tickets called, CPU seconds of the platform and of PostgreSQL
    from the first call to the last answer: the logins before are not counted)."""
    numbers = list(range(FIRST, FIRST + counters))
    shares = [numbers[i::procs] for i in range(procs)]
    out: Any = multiprocessing.Queue()
    begin = time.time() + 5 + counters * 0.1  # every console logged in before the first call
    workers = [
        multiprocessing.Process(
            target=console_process, args=(port, share, kind, rate, counters, begin, out)
        )
        for share in shares
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, begin - time.time()))
    before = cpu_seconds(server)
    latencies: list[float] = []
    called: list[int] = []
    for _ in workers:
        part_latencies, part_called = out.get()
        latencies += part_latencies
        called += part_called
    ended = time.time()
    platform, database = (a - b for a, b in zip(cpu_seconds(server), before, strict=True))
    for worker in workers:
        worker.join()
    # Counted from the first call to the moment the last console reported.
    return ended - begin, latencies, called, (platform, database)


def figures(seconds: float, latencies: list[float], called: list[int]) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    return (
        f"{len(called) / seconds:7.0f} calls/s  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms"
        f"  double calls {doubles(called)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counters", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=6000)
    parser.add_argument("--procs", type=int, default=2, help="processes the consoles run in")
    parser.add_argument("--workers", type=int, default=2, help="platform processes")
    parser.add_argument("--rate", type=float, nargs="*", default=[200])
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    args = parser.parse_args()
    print(
        f"{args.counters} counters, each its own clerk's login and client, in {args.procs}"
        f" processes; {args.tickets} tickets; {args.workers} platform workers; {args.db};"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url, config = prepare(args.db, Path(tmp), args.counters, args.tickets, args.workers)
        add_clerks(url, args.counters)
        reset_tickets(url)  # the raw claim starts from the table every run starts from
        seconds, claimed, _ = raw_claims(args.db, url, Path(tmp), args.counters)
        raw = len(claimed) / seconds
        print(
            f"  raw SQL claim (the platform's function, {args.counters} threads):"
            f" {raw:7.0f} claims/s"
        )
        process, port = serve(config)
        try:
            plan: list[tuple[str, float | None]] = [("lean", None), ("console", None)]
            plan += [(kind, rate) for rate in args.rate for kind in ("lean", "console")]
            for kind, rate in plan:
                reset_tickets(url)
                seconds, latencies, called, (platform, database) = run(
                    process, port, args.counters, args.procs, kind, rate
                )
                share = len(called) / seconds / raw
                load = "closed loop" if rate is None else f"@ {rate:.0f}/s"
                each = 1000 / max(1, len(called))
                print(
                    f"  {kind:8s} {load:12s} {figures(seconds, latencies, called)}"
                    f"  {share:5.0%} of raw; CPU a call: platform {platform * each:.2f} ms,"
                    f" database {database * each:.2f} ms"
                )
        finally:
            process.terminate()
            process.wait()
    if args.db == "postgres":
        print(f"  (PostgreSQL at {PG_URL})")


if __name__ == "__main__":
    main()
