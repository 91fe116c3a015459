"""The local store: schema, pragmas, audit chain, catalog cache, case sequences."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, inspect

from clerk_console.domain.search import HitKind, SearchKey
from clerk_console.store.local import STORE_FILE, LocalStore
from clerk_console.store.migrations import MIGRATIONS, Migration, migrate
from clerk_console.store.models import StoreModel


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    s = LocalStore.open(tmp_path)
    yield s  # type: ignore[misc]
    s.close()


def test_migrations_create_exactly_the_tables_the_models_describe(store: LocalStore) -> None:
    inspector = inspect(store.engine)
    tables = set(inspector.get_table_names()) - {"schema_migrations"}
    assert tables == set(StoreModel.metadata.tables)
    for name, table in StoreModel.metadata.tables.items():
        db_columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert set(db_columns) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert db_columns[column.name]["nullable"] == column.nullable, (name, column.name)


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    LocalStore.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    conn.isolation_level = None
    assert migrate(conn) == []
    rows = conn.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]


def test_a_failed_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.isolation_level = None
    bad = [
        Migration(1, "ok", "CREATE TABLE a (x INTEGER);"),
        Migration(2, "bad", "CREATE TABLE b (x INTEGER); NONSENSE;"),
    ]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, bad)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables
    assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (1,)


def test_a_store_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    LocalStore.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        LocalStore.open(tmp_path)


def test_durability_pragmas(store: LocalStore) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_audit_log_chains_and_refuses_changes(store: LocalStore) -> None:
    for n in range(4):
        store.append_audit(
            "clerk01", "material.verified", f"case-{n}", {"名称": "身份证"}, counter=5
        )
    assert store.verify_audit() == (4, None)
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = 2")


def test_appending_to_the_audit_log_costs_the_same_however_long_it_is(
    store: LocalStore,
) -> None:
    """A console's log grows all its life: an entry appended after 2,000 does the same work
    as one after 200 (counted in SQLite's own steps, not in time). It read the whole log."""

    def steps_of_one_append() -> int:
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        @event.listens_for(store.engine, "checkout")
        def watch(dbapi: sqlite3.Connection, _record: object, _proxy: object) -> None:
            dbapi.set_progress_handler(count, 100)

        try:
            store.append_audit("clerk01", "test.step", "S1")
        finally:
            event.remove(store.engine, "checkout", watch)
            with store.engine.connect() as conn:
                conn.connection.dbapi_connection.set_progress_handler(None, 0)  # type: ignore[union-attr]
        return steps[0]

    for i in range(200):
        store.append_audit("clerk01", "test.fill", f"F{i}")
    short = steps_of_one_append()
    for i in range(1800):
        store.append_audit("clerk01", "test.fill", f"G{i}")
    long = steps_of_one_append()
    assert long <= short + 2, (short, long)
    assert store.verify_audit() == (2002, None)


def test_audit_verify_names_the_first_tampered_entry(store: LocalStore) -> None:
    for n in range(5):
        store.append_audit("clerk01", "x", f"s{n}")
    # Someone with the file and sqlite3 drops the guard and edits entry 3.
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET subject = 'forged' WHERE seq = 3")
    conn.commit()
    count, broken = store.verify_audit()
    assert count == 5
    assert broken is not None and broken.seq == 3 and broken.reason == "hash_mismatch"


def test_case_sequences_are_per_counter_and_day(store: LocalStore) -> None:
    day = date(2026, 11, 23)
    assert [store.next_case_sequence(day, 5) for _ in range(3)] == [1, 2, 3]
    assert store.next_case_sequence(day, 6) == 1
    assert store.next_case_sequence(date(2026, 11, 24), 5) == 1


def test_catalog_cache_round_trip(store: LocalStore) -> None:
    assert store.cached_catalog() is None
    keys = [SearchKey(HitKind.BUNDLE, "QYKB", "企业开办", "", "qiyekaiban", "qykb", "开公司")]
    store.cache_catalog("v1", "data/catalog", {"a.toml": "x = 1"}, keys)
    store.cache_catalog("v2", "data/catalog", {"a.toml": "x = 2"}, keys)
    cached = store.cached_catalog()
    assert cached is not None and cached.version == "v2"
    assert cached.sources == {"a.toml": "x = 2"} and cached.search_keys == keys
