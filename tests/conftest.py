"""Shared fixtures: the real catalog of record, isolated settings and data directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clerk_console.catalog_files import default_data_dir, load_catalog_and_hall
from clerk_console.config import ConsoleConfig, validate
from clerk_console.domain.catalog import Catalog
from clerk_console.domain.hall import Hall

DATA_DIR = default_data_dir()


def _own_postgres_database() -> None:
    """The tests run in two processes (pytest-xdist): each process but the first gets a
    PostgreSQL database of its own beside CLERK_TEST_PG_URL's (`test_gw1` beside `test`),
    made if missing, because a test empties its database's schema first. Done before any
    test module reads the URL, and inherited by the processes the tests start. Without
    PostgreSQL nothing is made, and its tests skip (or fail in CI) as they say."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker in ("", "gw0"):
        return
    url = os.environ.get("CLERK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    base, name = url.rsplit("/", 1)
    own = f"{name}_{worker}"
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            known = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own})
            if known.first() is None:
                conn.execute(text(f'CREATE DATABASE "{own}"'))
        engine.dispose()
    except Exception:  # no PostgreSQL here: its tests say so themselves
        return
    os.environ["CLERK_TEST_PG_URL"] = f"{base}/{own}"


_own_postgres_database()


@pytest.fixture(scope="session")
def catalog_and_hall() -> tuple[Catalog, Hall]:
    catalog, hall = load_catalog_and_hall(DATA_DIR)
    assert hall is not None
    return catalog, hall


@pytest.fixture(scope="session")
def catalog(catalog_and_hall: tuple[Catalog, Hall]) -> Catalog:
    return catalog_and_hall[0]


@pytest.fixture(scope="session")
def hall(catalog_and_hall: tuple[Catalog, Hall]) -> Hall:
    return catalog_and_hall[1]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer config or data leaks into a test: home and XDG dirs point at tmp."""
    for name in list(__import__("os").environ):
        if name.startswith("CLERK_") and not name.startswith("CLERK_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))


@pytest.fixture
def settings(tmp_path: Path) -> ConsoleConfig:
    """Console settings on the demo catalog with a fresh data directory."""
    return validate(ConsoleConfig, {"data_dir": str(tmp_path / "console-data")})
