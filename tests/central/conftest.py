"""A real platform per test: the FastAPI app over SQLite or PostgreSQL, a fixed clock."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from clerk_console.central.api import create_app
from clerk_console.central.db import drop_schema, init_platform, make_engine
from clerk_console.central.security import PinHasher
from clerk_console.config import CentralConfig, validate

PG_URL = os.environ.get("CLERK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("CLERK_TEST_REQUIRE_PG") == "1"
SECRET = "test-secret"
# Weak argon2 parameters keep logins fast in tests; the platform uses OWASP's minimum.
HASHER = PinHasher(SECRET, time_cost=1, memory_cost=1024)
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None."""
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: not here
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def need_postgres() -> None:
    """Skip (on a laptop) or fail (in CI, CLERK_TEST_REQUIRE_PG=1) without PostgreSQL."""
    problem = postgres_problem()
    if problem is None:
        return
    message = f"PostgreSQL at {PG_URL} unreachable: {problem}"
    if REQUIRE_PG:
        pytest.fail(message + " (CLERK_TEST_REQUIRE_PG=1)")
    pytest.skip(message)


class Clock:
    """The platform's clock, moved by the test."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def fresh_engine(backend: str, tmp_path: Path) -> Engine:
    if backend == "postgres":
        need_postgres()
        engine = make_engine(PG_URL, pool_size=60)
        drop_schema(engine)
        return engine
    return make_engine(f"sqlite:///{tmp_path / 'central.db'}", pool_size=60)


@dataclass
class Platform:
    """One platform under test."""

    client: TestClient
    engine: Engine
    clock: Clock
    config: CentralConfig
    backend: str

    def login(self, username: str, pin: str, counter: int | None = None) -> dict[str, str]:
        body: dict[str, Any] = {"username": username, "pin": pin}
        if counter is not None:
            body["counter"] = counter
        r = self.client.post("/auth/login", json=body)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def platform(backend: str, tmp_path: Path) -> Iterator[Platform]:
    config = validate(
        CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET, "token_minutes": 60}
    )
    engine = fresh_engine(backend, tmp_path)
    init_platform(engine, config, HASHER)
    clock = Clock()
    app = create_app(config, engine, clock=clock, hasher=HASHER)
    with TestClient(app) as client:
        yield Platform(client, engine, clock, config, backend)
    engine.dispose()


@contextmanager
def serving(tmp_path: Path, backend: str = "sqlite", **settings: Any) -> Iterator[str]:
    """A platform served by uvicorn on a free port of 127.0.0.1; its base URL."""
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET, **settings})
    engine = fresh_engine(backend, tmp_path)
    init_platform(engine, config, HASHER)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, engine, hasher=HASHER),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # a bound on a broken start, not a timing assumption
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The platform served by uvicorn with its default settings."""
    with serving(tmp_path) as url:
        yield url
