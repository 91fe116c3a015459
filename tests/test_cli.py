"""`clerk-console` as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from clerk_console.catalog_files import default_data_dir

DATA_DIR = default_data_dir()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clerk_console", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_help_lists_the_subcommands() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("catalog", "audit", "--lang", "--config"):
        assert command in out.stdout


def test_the_language_goes_before_or_after_the_screen_command() -> None:
    for command in ("kiosk", "guide", "display"):
        out = run(command, "--help")
        assert out.returncode == 0 and "--lang [zh|en]" in out.stdout, command
    wrong = run("kiosk", "--lang", "fr")
    assert wrong.returncode == 2 and "'fr' is not one of 'zh', 'en'" in wrong.stderr


def test_catalog_check_of_the_shipped_catalog() -> None:
    out = run("catalog", "check")
    assert out.returncode == 0, out.stderr
    assert "valid, version" in out.stdout
    assert "40 items" in out.stdout and "6 bundles" in out.stdout
    assert "hall JY01 江阳区政务服务中心: 8 counters" in out.stdout


def test_catalog_check_reports_every_error_with_file_and_key(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    items = copy / "catalog" / "items" / "scjg.toml"
    text = items.read_text(encoding="utf-8")
    text = text.replace('department = "SCJG"', 'department = "SCJJ"', 1)
    text = text.replace("promised_days = 1", "promised_days = 99", 1)
    items.write_text(text, encoding="utf-8")
    out = run("catalog", "check", str(copy))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert "items/scjg.toml: item[SCJG-QY01].department: unknown department 'SCJJ'" in lines
    assert any(
        line.startswith("items/scjg.toml: item[SCJG-QY01].promised_days: promised 99 days")
        for line in lines
    )
    assert "2 errors" in out.stderr


def test_catalog_check_names_the_hall_file(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    hall = copy / "demo" / "hall.toml"
    hall.write_text(hall.read_text(encoding="utf-8").replace('"E", "A"]', '"E", "Q"]'), "utf-8")
    out = run("catalog", "check", str(copy))
    assert out.returncode == 1
    assert "demo/hall.toml: counter[8].lines: unknown line 'Q'" in out.stdout.splitlines()


def test_catalog_check_of_an_empty_directory(tmp_path: Path) -> None:
    out = run("catalog", "check", str(tmp_path))
    assert out.returncode == 1
    assert "no *.toml catalog files" in out.stdout


def test_a_bad_setting_stops_start_up_with_one_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "console.toml"
    config.write_text("[counter]\nnumber = 'five'\n", encoding="utf-8")
    out = run("--config", str(config))
    assert out.returncode == 2
    assert f"{config}: counter.number: expected an integer (got 'five')" in out.stderr
    out = run(env={"CLERK_LANGUAGE": "fr"})
    assert out.returncode == 2
    assert "environment variable CLERK_LANGUAGE: language" in out.stderr


def test_audit_verify_intact_then_broken(tmp_path: Path) -> None:
    env = {"CLERK_DATA_DIR": str(tmp_path)}
    out = run("audit", "verify", env=env)
    assert out.returncode == 1 and "no local store" in out.stderr

    from clerk_console.store.local import LocalStore

    store = LocalStore.open(tmp_path)
    for n in range(3):
        store.append_audit("clerk01", "case.accepted", f"JY01-20261123-05-000{n + 1}")
    db = store.path
    store.close()
    out = run("audit", "verify", env=env)
    assert out.returncode == 0, out.stderr
    assert "audit log intact: 3 entries" in out.stdout

    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 2")
    conn.commit()
    conn.close()
    out = run("audit", "verify", env=env)
    assert out.returncode == 1
    assert "audit log BROKEN at entry 2 (hash mismatch)" in out.stderr


def test_audit_verify_checks_the_log_against_the_platforms_anchors(tmp_path: Path) -> None:
    """The log anchored on the (embedded) platform as the console works; its last entry
    then removed, which its own chain cannot show: `audit verify` names it. With a platform
    it cannot reach, it says the check against the platform was not made (exit 3)."""
    import asyncio

    from clerk_console.cli import load_settings, platform_factory
    from clerk_console.store.local import LocalStore
    from clerk_console.sync.outbox import push_outbox

    env = {"CLERK_DATA_DIR": str(tmp_path)}
    settings = load_settings(None, env)
    store = LocalStore.open(tmp_path)
    for n in range(3):
        store.append_audit("clerk01", "case.accepted", f"JY01-20261123-05-000{n + 1}")

    async def anchor() -> None:
        client = platform_factory(settings)()
        await client.login("clerk01", "111111", 5)
        assert (await push_outbox(store, client)).error == ""
        await client.aclose()

    asyncio.run(anchor())
    db = store.path
    store.close()
    out = run("audit", "verify", env=env)
    assert out.returncode == 0, out.stderr
    assert "audit log intact: 3 entries, checked against 1 anchor on the platform" in out.stdout

    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq = 3")
    conn.commit()
    conn.close()
    out = run("audit", "verify", env=env)
    assert out.returncode == 1
    assert "audit log BROKEN at entry 3 (entries removed" in out.stderr

    away = run("audit", "verify", env={**env, "CLERK_PLATFORM__URL": "http://127.0.0.1:9"})
    assert away.returncode == 3
    assert "NOT checked against the platform" in away.stderr


def test_sync_status_says_the_platform_and_what_waits_for_it(tmp_path: Path) -> None:
    """Online on the embedded platform with an empty outbox; with the platform away (a URL
    nothing answers), OFFLINE with the case that waits and why it was refused (exit 3)."""
    env = {"CLERK_DATA_DIR": str(tmp_path)}
    out = run("sync", "status", env=env)
    assert out.returncode == 0, out.stderr
    assert "platform: online (embedded), hall JY01" in out.stdout

    from clerk_console.store.local import LocalStore

    store = LocalStore.open(tmp_path)
    with store.session() as s, s.begin():
        from datetime import UTC, datetime

        from clerk_console.store.models import OutboxRow

        s.add(
            OutboxRow(
                kind="case",
                idempotency_key="005-status",
                payload_json="{}",
                created_at=datetime(2026, 11, 28, 1, 30, tzinfo=UTC),
                attempts=2,
                last_error="invalid_request: body.data.applicant: Field required",
            )
        )
    # The console running at this counter found the platform gone at 09:40 (local time).
    went = datetime(2026, 11, 28, 9, 40).astimezone()
    store.set_platform_down_since(went)
    store.close()
    away = run("sync", "status", env={**env, "CLERK_PLATFORM__URL": "http://127.0.0.1:9"})
    assert away.returncode == 3
    assert "platform: OFFLINE (http://127.0.0.1:9)" in away.stdout
    assert "not reached from this console since 2026-11-28 09:40" in away.stdout
    assert "outbox: 1 waiting (1 case), the oldest since 2026-11-28" in away.stdout
    assert "last refusal: invalid_request: body.data.applicant: Field required" in away.stdout
    assert "print queue: 0 waiting" in away.stdout


def test_report_writes_the_numbers_for_a_supervisor_only(tmp_path: Path) -> None:
    """`clerk-console report` logs in as a supervisor (the PIN from $CLERK_REPORT_PIN here,
    else asked), writes text to the screen or a workbook to --out; a wrong PIN is
    refused (exit 4), a platform away says so (exit 3), a bad date is usage (exit 2). (The
    English, the CSV and a clerk's refusal are tested on the platform and in report_files.)"""
    from openpyxl import load_workbook

    env = {"CLERK_DATA_DIR": str(tmp_path / "console"), "CLERK_REPORT_PIN": "222222"}
    out = run("report", "day", "2026-11-23", "--user", "super01", env=env)
    assert out.returncode == 0, out.stderr
    assert "江阳区政务服务中心 日报（2026-11-23）" in out.stdout and "全部案件" in out.stdout
    book = tmp_path / "week.xlsx"
    wrote = run(
        "report", "week", "2026-11-26", "--format", "xlsx", "--out", str(book),
        "--user", "super01", env=env,
    )  # fmt: skip
    assert wrote.returncode == 0, wrote.stderr
    assert f"report written to {book}" in wrote.stdout
    assert load_workbook(book)["概要"]["B2"].value == "2026-11-23..2026-11-29"

    wrong = run("report", "day", "--user", "super01", env={**env, "CLERK_REPORT_PIN": "000000"})
    assert wrong.returncode == 4 and "refused" in wrong.stderr
    away = run(
        "report",
        "day",
        "--user",
        "super01",
        env={**env, "CLERK_PLATFORM__URL": "http://127.0.0.1:9"},
    )
    assert away.returncode == 3 and "does not answer" in away.stderr
    bad = run("report", "day", "2026-13-01", "--user", "super01", env=env)
    assert bad.returncode == 2 and "2026-13-01" in bad.stderr
    nowhere = run(
        "report", "day", "--out", str(tmp_path / "no" / "such.txt"), "--user", "super01", env=env
    )
    assert nowhere.returncode == 2 and "no folder" in nowhere.stderr
