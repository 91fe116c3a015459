"""The supervisor's board at 100 counters: what one refresh costs, the refresh the board does
on every feed event (goal <= 50 ms).

A fresh platform gets --history tickets of earlier days in bulk (bench/reports.py's fill), 100
counters, and a busy afternoon today: --today tickets served, waiting or gone, each open
counter holding one, ratings and their follow-ups. Then, --rounds times: a real feed event (a
kiosk issues a ticket through POST /tickets), and the board read again as the console does,
GET /hall through the real HTTP stack (FastAPI in-process over the ASGI transport), and drawn:
the supervisor's screen (Textual, headless, 120×40) shows that answer (`_show`: the lines'
table, the alerts, the 100 counters' rows).

    python3 bench/board.py [--history 200000] [--today 6000] [--db postgres sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reports import COUNTERS, LINES, add_counters, fill, platform, working_days

from clerk_console.central.models import (
    LineDayCounter,
    RatingFollowUpRow,
    RatingRow,
    TicketRow,
)


def busy_afternoon(engine: Engine, tickets: int, now: datetime) -> None:
    """Today: most tickets served, a tenth waiting, some gone; every counter open with a
    ticket at hand; a third of the served rated."""
    rng = random.Random(3)
    day = now.date()
    opening = now - timedelta(hours=6)
    rows, ratings, follow_ups = [], [], []
    seqs = dict.fromkeys(LINES, 0)
    with Session(engine) as s:
        next_id = int(s.execute(text("SELECT coalesce(max(id), 0) FROM ticket")).scalar_one()) + 1
        next_rating = (
            int(s.execute(text("SELECT coalesce(max(id), 0) FROM rating")).scalar_one()) + 1
        )
    at_hand: dict[int, int] = {}
    for n in range(tickets):
        line = rng.choice(LINES)
        seqs[line] += 1
        issued = opening + timedelta(seconds=int(n * 6 * 3600 / tickets))
        counter = rng.randrange(1, COUNTERS + 1)
        kind = rng.random()
        row: dict[str, Any] = {
            "id": next_id,
            "number": f"{line}{seqs[line]:03d}",
            "line": line,
            "day": day,
            "seq": seqs[line],
            "priority": False,
            "appointment_at": None,
            "target_counter": None,
            "issued_at": issued,
            "recalls": 0,
            "walk_in": False,
            "estimated_wait_seconds": rng.randrange(0, 1800),
            "outcome": None,
            "counter": None,
            "served_by": None,
            "called_at": None,
            "finished_at": None,
            "status": "waiting",
        }
        if issued < now - timedelta(minutes=40) and kind > 0.05:
            called = issued + timedelta(seconds=rng.randrange(60, 1800))
            gone = kind < 0.1
            row |= {
                "status": "no_show" if gone else "finished",
                "counter": counter,
                "served_by": f"clerk{counter:03d}",
                "called_at": called,
                "finished_at": called + timedelta(seconds=rng.randrange(120, 900)),
                "outcome": None if gone else "consulted",
            }
            if not gone and rng.random() < 0.33:
                level = rng.choices((1, 2, 3, 4, 5), (70, 15, 7, 5, 3))[0]
                ratings.append(
                    {
                        "id": next_rating,
                        "service": "ticket",
                        "ref": f"{day.isoformat()}/{row['number']}",
                        "level": level,
                        "reasons_json": "[]",
                        "comment": "",
                        "channel": "pad",
                        "counter": counter,
                        "clerk": f"clerk{counter:03d}",
                        "items_json": "[]",
                        "departments_json": "[]",
                        "rated_at": row["finished_at"],
                        "day": day,
                        "recorded_by": None,
                        "counted": True,
                    }
                )
                if level >= 4:
                    follow_ups.append(
                        {
                            "rating_id": next_rating,
                            "status": "open",
                            "due_on": day + timedelta(days=21),
                            "appealed": False,
                            "opened_at": now,
                            "updated_at": now,
                            "closed_at": None,
                        }
                    )
                next_rating += 1
        elif counter not in at_hand and issued < now - timedelta(minutes=5):
            row |= {
                "status": "serving",
                "counter": counter,
                "served_by": f"clerk{counter:03d}",
                "called_at": now - timedelta(minutes=rng.randrange(1, 30)),
            }
            at_hand[counter] = next_id
        rows.append(row)
        next_id += 1
    with Session(engine) as s, s.begin():
        s.execute(insert(TicketRow), rows)
        if ratings:
            s.execute(insert(RatingRow), ratings)
        if follow_ups:
            s.execute(insert(RatingFollowUpRow), follow_ups)
        # The kiosk numbers on from these (numbering never counts rows).
        s.execute(
            insert(LineDayCounter),
            [{"line": line, "day": day, "last": last} for line, last in seqs.items()],
        )
        for number in range(1, COUNTERS + 1):
            s.execute(
                text(
                    "UPDATE counter SET status = :st, clerk = :clerk, current_ticket = :t "
                    "WHERE number = :n"
                ),
                {
                    "st": "paused" if number % 17 == 0 else "open",
                    "clerk": f"clerk{number:03d}",
                    "t": at_hand.get(number),
                    "n": number,
                },
            )
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('ticket', 'id'), "
                    "(SELECT max(id) FROM ticket))"
                )
            )
        c.execute(text("ANALYZE"))


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    median = statistics.median(ordered)
    return f"median {median:6.1f} ms, p95 {p95:6.1f} ms, worst {ordered[-1]:6.1f} ms"


async def draw(halls: list[dict[str, Any]]) -> list[float]:
    """The supervisor's screen showing each answer in turn; ms a drawing."""
    from clerk_console.config import ConsoleConfig, validate
    from clerk_console.tui.app import ClerkConsoleApp
    from clerk_console.tui.screens.supervisor import SupervisorScreen

    settings = validate(ConsoleConfig, {"data_dir": tempfile.mkdtemp()})
    app = ClerkConsoleApp(settings, platform=None, start="display")
    spent = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = SupervisorScreen(app.t)
        screen.follow = lambda: None  # type: ignore[method-assign]  # shown by hand here
        await app.push_screen(screen)
        await pilot.pause()
        for hall in halls:
            screen.hall = hall
            started = time.perf_counter()
            screen._show()
            await pilot.pause()  # the frame painted
            spent.append((time.perf_counter() - started) * 1000)
    return spent


async def rounds(
    app: Any, kiosk: dict[str, str], headers: dict[str, str], count: int
) -> tuple[list[float], list[dict[str, Any]], list[float]]:
    """A feed event, then the board read as the console reads it (httpx over the ASGI
    transport, one event loop: the embedded console's path; a served platform adds the
    network); GET /health the same way, for what the client and the stack cost alone."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    reads, halls, baseline = [], [], []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for n in range(count):
            issued = await http.post("/tickets", json={"line": LINES[n % 5]}, headers=kiosk)
            assert issued.status_code == 201, issued.text
            started = time.perf_counter()
            answer = await http.get("/hall", headers=headers)
            reads.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text
            halls.append(answer.json())
            started = time.perf_counter()
            await http.get("/health")
            baseline.append((time.perf_counter() - started) * 1000)
    return reads, halls, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=200_000)
    parser.add_argument("--today", type=int, default=6000)
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    for db in args.db:
        with tempfile.TemporaryDirectory() as tmp:
            client, engine, _config = platform(db, Path(tmp))
            now = datetime.now(UTC)
            add_counters(engine, COUNTERS, now)
            office = client.app.state.back_office()  # type: ignore[attr-defined]
            history = [d for d in working_days(6, date.today()) if d < date.today()]
            fill(engine, office, args.history, history)
            busy_afternoon(engine, args.today, now)
            guide = client.post("/auth/login", json={"username": "guide01", "pin": "333333"})
            kiosk = {"Authorization": f"Bearer {guide.json()['token']}"}
            boss = client.post("/auth/login", json={"username": "super01", "pin": "222222"})
            headers = {"Authorization": f"Bearer {boss.json()['token']}"}
            reads, halls, baseline = asyncio.run(rounds(client.app, kiosk, headers, args.rounds))
            drawn = asyncio.run(draw(halls[:50]))
            hall = halls[-1]
            print(
                f"{db}: {args.history:,} tickets of history, {args.today:,} today, "
                f"{len(hall['counters'])} counters, {len(hall['alerts'])} alerts"
            )
            print(f"  GET /hall after each feed event: {percentiles(reads)}")
            print(f"  (GET /health through the same client: {percentiles(baseline)})")
            print(f"  the board drawn from it (120x40): {percentiles(drawn)}")
            both = [r + d for r, d in zip(reads[: len(drawn)], drawn, strict=True)]
            print(f"  one refresh, read and drawn:     {percentiles(both)}")
            client.close()
            engine.dispose()


if __name__ == "__main__":
    main()
