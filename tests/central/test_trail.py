"""The platform's trail (case_event) is chained, sealed with the server's secret and
append-only (issue 12, finding 4): the database refuses to change or remove an event, and
`central audit verify` names the first break of whoever got past that (an edit, an event
removed in the middle, at the end, all of them, or every hash recomputed without the secret)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from central.conftest import HASHER, PG_URL, SECRET, Clock, Platform
from central.test_back_office import CLERK, send
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from clerk_console.central.security import PinHasher
from clerk_console.central.trail import GENESIS, HEAD, Head, event_hash, verify


def trail_with_events(p: Platform) -> int:
    """A few real events: cases with their handoffs, full reads; how many."""
    for n in (1, 2):
        send(p, f"JY01-20261123-05-000{n}", ["BDC-01"])
        p.client.get(f"/cases/JY01-20261123-05-000{n}", headers=p.login(*CLERK, counter=5))
    with Session(p.engine) as s:
        verdict = verify(s, HASHER.keyed_digest)
    assert verdict.broken_at is None, verdict
    assert verdict.checked >= 4
    return verdict.checked


def tamper(p: Platform, *sql: str) -> None:
    """What someone with the database in hand does: the guards off first."""
    with p.engine.begin() as conn:
        unguard(conn, p.backend)
        for statement in sql:
            conn.execute(text(statement))


def unguard(conn: Connection, backend: str) -> None:
    if backend == "postgres":
        conn.execute(text("ALTER TABLE case_event DISABLE TRIGGER USER"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS case_event_sealed"))
        conn.execute(text("DROP TRIGGER IF EXISTS case_event_kept"))


def verdict_of(p: Platform) -> tuple[int | None, str]:
    with Session(p.engine) as s:
        found = verify(s, HASHER.keyed_digest)
    return found.broken_at, found.reason


def test_the_database_refuses_to_change_or_remove_an_event(platform: Platform) -> None:
    p = platform
    trail_with_events(p)
    refused = [
        "UPDATE case_event SET username = 'x' WHERE seq = 2",
        "DELETE FROM case_event WHERE seq = 2",
    ]
    if p.backend == "postgres":
        refused.append("TRUNCATE case_event")
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), p.engine.begin() as conn:
            conn.execute(text(statement))
    assert verdict_of(p) == (None, "")


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (
            lambda n: ["UPDATE case_event SET username = 'someone' WHERE seq = 2"],
            (2, "event changed"),
        ),
        (lambda n: ["DELETE FROM case_event WHERE seq = 2"], (2, "missing event")),
        (lambda n: [f"DELETE FROM case_event WHERE seq > {n - 3}"], None),  # the last three
        (lambda n: [f"DELETE FROM case_event WHERE seq = {n}"], None),  # the last one
        (lambda n: ["DELETE FROM case_event"], (1, "events 1–{n} removed")),
        (
            lambda n: ["DELETE FROM case_event", f"DELETE FROM platform_meta WHERE key = '{HEAD}'"],
            (1, "head missing"),
        ),
    ],
    ids=[
        "edit",
        "delete-middle",
        "delete-tail-3",
        "delete-last",
        "delete-all",
        "delete-all-and-head",
    ],
)
def test_verify_names_the_first_break(
    platform: Platform,
    attack: Callable[[int], list[str]],
    expected: tuple[int, str] | None,
) -> None:
    p = platform
    n = trail_with_events(p)
    tamper(p, *attack(n))
    broken_at, reason = verdict_of(p)
    if expected is None:  # removed from the end: the sealed head still counts them
        kept = n - (3 if "> " in attack(n)[0] else 1)
        assert (broken_at, reason) == (kept + 1, f"events {kept + 1}–{n} removed")
    else:
        assert (broken_at, reason) == (expected[0], expected[1].format(n=n))


def test_hashes_recomputed_without_the_secret_are_seen(platform: Platform) -> None:
    """An edit with every following hash and the head redone, by someone who has the
    database but not the server's secret (a guess at it, or plain SHA-256)."""
    p = platform
    n = trail_with_events(p)
    forger = PinHasher("not-the-secret", time_cost=1, memory_cost=1024).keyed_digest
    with p.engine.begin() as conn:
        unguard(conn, p.backend)
    with Session(p.engine) as s, s.begin():
        from sqlmodel import col, select

        from clerk_console.central.models import CaseEvent, PlatformMeta

        prev = GENESIS
        for row in s.exec(select(CaseEvent).order_by(col(CaseEvent.seq))):
            if row.seq == 2:
                row.username = "someone"
            row.prev_hash = prev
            row.hash = event_hash(forger, prev, row)
            prev = row.hash
            s.add(row)
        head = s.get(PlatformMeta, HEAD)
        assert head is not None
        head.value = Head(n, prev, forger(f"head|{n}|{prev}")).text()
        s.add(head)
    assert verdict_of(p) == (1, "event changed")  # not even the first is sealed by the key


def test_central_audit_verify_on_the_command_line(platform: Platform) -> None:
    p = platform
    n = trail_with_events(p)
    env = {
        **os.environ,
        "CLERK_CENTRAL_DATA_DIR": str(p.config.data_path()),
        "CLERK_CENTRAL_SECRET": SECRET,
    }
    if p.backend == "postgres":
        env["CLERK_CENTRAL_DATABASE_URL"] = PG_URL

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clerk_console", "central", "audit", "verify"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    intact = run()
    assert intact.returncode == 0, intact.stderr
    assert f"platform trail intact: {n} events" in intact.stdout
    tamper(p, f"DELETE FROM case_event WHERE seq = {n}")
    broken = run()
    assert broken.returncode == 1
    assert f"platform trail BROKEN at event {n}: events {n}–{n} removed" in broken.stderr


def test_on_postgresql_the_platforms_role_cannot_touch_the_trail(tmp_path: Path) -> None:
    """The platform running as a role that does not own the tables (`central grant`):
    it works, adds to the trail, and can neither change, remove nor unguard an event."""
    from central.conftest import fresh_engine
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import ProgrammingError

    from clerk_console.central.api import create_app
    from clerk_console.central.db import grant_app_role, init_platform, make_engine
    from clerk_console.config import CentralConfig, validate

    owner = fresh_engine("postgres", tmp_path)
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET})
    init_platform(owner, config, HASHER)
    with owner.begin() as conn:
        conn.execute(text("DROP ROLE IF EXISTS clerk_app_test"))
        conn.execute(text("CREATE ROLE clerk_app_test LOGIN"))
    grant_app_role(owner, "clerk_app_test")
    app_url = PG_URL.replace("postgres@", "clerk_app_test@", 1)
    engine = make_engine(app_url, pool_size=4)
    try:
        with TestClient(create_app(config, engine, hasher=HASHER)) as client:
            p = Platform(client, engine, Clock(), config, "postgres")
            n = trail_with_events(p)
        for statement in (
            "UPDATE case_event SET username = 'x' WHERE seq = 1",
            "DELETE FROM case_event WHERE seq = 1",
            "TRUNCATE case_event",
            "ALTER TABLE case_event DISABLE TRIGGER USER",
        ):
            with pytest.raises(ProgrammingError), engine.begin() as conn:
                conn.execute(text(statement))
        with Session(engine) as s:
            assert verify(s, HASHER.keyed_digest).checked == n
    finally:
        engine.dispose()
        with owner.begin() as conn:
            conn.execute(text("DROP OWNED BY clerk_app_test"))
            conn.execute(text("DROP ROLE clerk_app_test"))
        owner.dispose()


def test_events_from_before_the_chain_are_sealed_by_the_next_init(platform: Platform) -> None:
    """A platform upgraded from before the chain: its old events (no place, no hash) are
    given theirs, in order, by `central init`; after that they are as guarded as any."""
    from clerk_console.central.db import init_platform

    p = platform
    n = trail_with_events(p)
    with p.engine.begin() as conn:  # as migration 0011 leaves an older event
        conn.execute(
            text(
                "INSERT INTO case_event (case_number, at, kind, username, detail_json, "
                "prev_hash, hash) VALUES ('JY01-20261123-05-0001', :at, 'case.old', 'clerk01', "
                "'{}', '', '')"
            ),
            {"at": p.clock.now},
        )
    assert verdict_of(p) == (n + 1, "unsealed event")
    init_platform(p.engine, p.config, HASHER)
    assert verdict_of(p) == (None, "")
    with pytest.raises(DBAPIError, match="append-only"), p.engine.begin() as conn:
        conn.execute(text("UPDATE case_event SET username = 'x' WHERE kind = 'case.old'"))
