"""Outbox drain: a counter back from an outage with --cases accepted cases in its store,
sent to the platform (served on PostgreSQL, or SQLite) by `push_outbox` as the console sends
them. Printed: cases per second, and that each reached the platform once.

    python3 bench/outbox.py [--cases 1000] [--db postgres sqlite]

Goal (issue 13): >= 500 cases/s to PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from served import central_serve, cpu_seconds
from sqlalchemy import func
from sqlmodel import Session, select

from clerk_console.central.db import drop_schema, make_engine
from clerk_console.central.models import CaseRow
from clerk_console.domain.case_number import format_case_number
from clerk_console.domain.checklist import Selection
from clerk_console.domain.intake import Applicant, Intake, Step
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient
from clerk_console.sync.outbox import push_outbox

PG_URL = os.environ.get(
    "CLERK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/clerk_bench"
)


def fill(store: LocalStore, cases: int) -> None:
    """`cases` accepted 户口迁移 cases closed while the platform was away."""
    day = date.today()
    for i in range(cases):
        intake = Intake(
            key=f"bench-{i:05d}",
            counter=5,
            clerk="clerk01",
            step=Step.DECISION,
            applicant=Applicant(name="张三", id_number="11010519491231002X", mobile="13812345678"),
            selection=Selection(items=("GA-HJ02",)),
        )
        store.save_draft(intake, "JY01", "intake.applicant")
        number = format_case_number("JY01", day, 5, i + 1, 1)
        decision = {
            "kind": "accept",
            "case_number": number,
            "promised": {"GA-HJ02": {"day": "2026-12-31", "provisional": False}},
        }
        store.close_intake(intake, "JY01", number, "123456", "accepted", decision)


async def drain(
    base: str, server: subprocess.Popen[bytes], store: LocalStore
) -> tuple[float, int, float, float]:
    """(seconds, cases sent, CPU seconds of the platform and of PostgreSQL meanwhile)."""
    client = PlatformClient(base, timeout=30)
    await client.login("clerk01", "111111", 5)
    before = cpu_seconds(server)
    started = time.perf_counter()
    report = await push_outbox(store, client)
    seconds = time.perf_counter() - started
    platform, database = (a - b for a, b in zip(cpu_seconds(server), before, strict=True))
    await client.aclose()
    if report.waiting or report.refused:
        raise RuntimeError(f"not drained: {report}")
    return seconds, report.sent, platform, database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"])
    args = parser.parse_args()
    print(f"{args.cases} cases in one console's outbox; load average {os.getloadavg()[0]:.2f}")
    for db in args.db:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            url = PG_URL if db == "postgres" else f"sqlite:///{work / 'central.db'}"
            if db == "postgres":
                engine = make_engine(url, pool_size=1)
                drop_schema(engine)
                engine.dispose()
            store = LocalStore.open(work / "console")
            fill(store, args.cases)
            settings = {"DATA_DIR": str(work), "DATABASE_URL": url, "SECRET": "bench-secret"}
            with central_serve(settings) as (base, server):
                seconds, sent, platform, database = asyncio.run(drain(base, server, store))
            engine = make_engine(url, pool_size=1)
            with Session(engine) as s:
                held = int(s.exec(select(func.count()).select_from(CaseRow)).one())
            engine.dispose()
            store.close()
            print(
                f"  {db:8s} {sent / seconds:6.0f} cases/s ({sent} in {seconds:.1f} s);"
                f" on the platform: {held} (each once: {held == args.cases});"
                f" CPU a case: platform {platform * 1000 / sent:.2f} ms,"
                f" database {database * 1000 / sent:.2f} ms"
            )


if __name__ == "__main__":
    main()
