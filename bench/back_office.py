"""Back-office figures: the approver's inbox query with 100,000 handoffs in the database
(goal p95 <= 50 ms on PostgreSQL), and the end-to-end time of the whole loop for one case.

The inbox: a fresh platform on PostgreSQL (CLERK_TEST_PG_URL) or SQLite gets --handoffs
handoffs in bulk, spread over the catalog's departments and over due dates from 30 days ago
to 30 days ahead, most of them decided; then GET /handoffs (the first 100, due first) is
timed through the real HTTP stack (FastAPI in-process over the ASGI transport) for one
department, for each filter, and the bare query underneath without HTTP.

The loop: one 企业开办 case sent by a counter, its five handoffs decided by five approvers
(the seal and the rest after the licence), the ready list read, the case handed out after
the ID check: every request over the same HTTP stack, timed as a whole.

    python3 bench/back_office.py [--handoffs 100000] [--db postgres sqlite] [--rounds 200]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from clerk_console.central import handoffs
from clerk_console.central.api import create_app
from clerk_console.central.db import drop_schema, init_platform, make_engine
from clerk_console.central.models import CaseRow, HandoffRow
from clerk_console.central.security import PinHasher
from clerk_console.config import CentralConfig, validate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from central.test_back_office import AGENT_ID, APPROVERS, QYKB, case_body

PG_URL = os.environ.get("CLERK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HASHER = PinHasher("bench-secret", time_cost=1, memory_cost=1024)
DEPARTMENTS = ["SCJG", "GA", "SW", "RS", "YB", "WJ", "GJJ", "BDC", "MZ", "XF", "GS", "GD", "RQ"]


def platform(db: str, workdir: Path) -> tuple[TestClient, Any]:
    url = PG_URL if db == "postgres" else f"sqlite:///{workdir / 'central.db'}"
    engine = make_engine(url, pool_size=10)
    if db == "postgres":
        drop_schema(engine)
    config = validate(CentralConfig, {"data_dir": str(workdir), "secret": "bench-secret"})
    init_platform(engine, config, HASHER)
    return TestClient(create_app(config, engine, hasher=HASHER)), engine


def fill(engine: Any, count: int) -> None:
    """`count` handoffs, five a case, over every department; a fifth still open."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    today = date.today()
    cases, rows = [], []
    for n in range(count // 5):
        number = f"JY01-20260101-{n // 10000 + 1:02d}-{n % 10000:04d}"
        cases.append(
            {
                "number": number,
                "idempotency_key": f"bench-{n}",
                "hall": "JY01",
                "counter": 1,
                "clerk": "clerk01",
                "status": "accepted",
                "data_json": "{}",
                "received_at": now,
                "progress": "in_progress",
                "delivery_json": "{}",
            }
        )
        for k in range(5):
            status = "open" if rng.random() < 0.2 else rng.choice(["approved", "rejected"])
            rows.append(
                {
                    "case_number": number,
                    "department": DEPARTMENTS[(n + k) % len(DEPARTMENTS)],
                    "items_json": '["SCJG-QY01"]',
                    "days": 1,
                    "waits_for_json": "[]",
                    "status": status,
                    "started_at": now,
                    "pauses_json": "[]",
                    "due_on": today + timedelta(days=rng.randint(-30, 30)),
                    "assignee": rng.choice(["scjg01", "scjg02", None]),
                    "result_json": "{}",
                    "returned_json": "{}",
                    "reason": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    with Session(engine) as s, s.begin():
        for start in range(0, len(cases), 5000):
            s.execute(insert(CaseRow), cases[start : start + 5000])
        for start in range(0, len(rows), 5000):
            s.execute(insert(HandoffRow), rows[start : start + 5000])


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[int(p * (len(ordered) - 1))] * 1000


def login(
    client: TestClient, username: str, pin: str, counter: int | None = None
) -> dict[str, str]:
    body: dict[str, Any] = {"username": username, "pin": pin}
    if counter is not None:
        body["counter"] = counter
    token = client.post("/auth/login", json=body).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def bench_inbox(db: str, count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        client, engine = platform(db, Path(folder))
        started = time.perf_counter()
        fill(engine, count)
        print(f"{db}: {count:,} handoffs laid down in {time.perf_counter() - started:.1f} s")
        headers = login(client, *APPROVERS["SCJG"])
        for which in ("all", "mine", "due_today", "overdue", "returned"):
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                answer = client.get("/handoffs", params={"filter": which}, headers=headers)
                times.append(time.perf_counter() - t0)
                assert answer.status_code == 200, answer.text
            print(
                f"  GET /handoffs?filter={which}: {len(answer.json())} rows, "
                f"p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms"
            )
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            with Session(engine) as s:
                handoffs.inbox(s, "SCJG", "all", "scjg01", date.today())
            times.append(time.perf_counter() - t0)
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        print(f"  the query alone: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        client.close()
        engine.dispose()


def bench_loop(db: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        client, engine = platform(db, Path(folder))
        clerk = login(client, "clerk01", "111111", 5)
        approvers = {d: login(client, *APPROVERS[d]) for d in ("SCJG", "GA", "SW", "RS", "GJJ")}
        times = []
        for n in range(rounds):
            number = f"JY01-20261123-05-{n:04d}"
            t0 = time.perf_counter()
            sent = client.post(
                "/cases",
                json=case_body(number, QYKB),
                headers=clerk | {"Idempotency-Key": f"draft-{number}"},
            )
            assert sent.status_code == 201, sent.text
            split = {
                h["department"]: h["id"]
                for h in client.get(f"/cases/{number}/handoffs", headers=clerk).json()
            }
            body = {"name": "结果", "issued_on": "2026-11-23"}
            for department in ("SCJG", "GA", "SW", "RS", "GJJ"):
                done = client.post(
                    f"/handoffs/{split[department]}/approve",
                    json=body,
                    headers=approvers[department],
                )
                assert done.status_code == 200, done.text
            instant = client.post(f"/cases/{number}/instant/SW-01", json=body, headers=clerk)
            assert instant.status_code == 200, instant.text
            client.get("/ready-cases", headers=clerk)
            pickup = {"how": "pickup", "id_number": AGENT_ID, "recipient": "王五"}
            delivered = client.post(f"/cases/{number}/deliver", json=pickup, headers=clerk)
            assert delivered.status_code == 200, delivered.text
            times.append(time.perf_counter() - t0)
        print(
            f"{db}: the whole loop of one case (10 requests): p50 {percentile(times, 0.5):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms over {rounds} cases"
        )
        client.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoffs", type=int, default=100_000)
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    for db in args.db:
        bench_inbox(db, args.handoffs, args.rounds)
        bench_loop(db, max(args.rounds // 10, 5))


if __name__ == "__main__":
    main()
