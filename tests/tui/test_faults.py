"""Faults of the machine, said in words with what to do: a damaged local store (kept aside,
never deleted), a read-only data directory, a damaged platform database, and a crash
(logged in the data directory without local variables; no PIN or ID number anywhere)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from textual.widgets import Static

from clerk_console.cli import embedded_platform, make_app
from clerk_console.config import ConsoleConfig
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.counter import CounterScreen
from clerk_console.tui.screens.intake import IntakeScreen
from clerk_console.tui.screens.login import LoginScreen

from tui.helpers import log_in, plain, settle

SIZE = (100, 30)
GARBAGE = bytes(range(256)) * 80  # not a database, and no two pages alike


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` made really read-only: by its mode for an ordinary user; for root (whom
    modes do not stop), by a read-only bind mount onto itself."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a read-only folder for root needs a bind mount: {mounted.stderr!r}")
    try:
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True
        )
        yield
    finally:
        # Lazily: a connection the test's platform still holds must not keep it mounted.
        subprocess.run(["umount", "-l", str(folder)], check=True, capture_output=True)


@pytest.fixture
def own_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder for this test (where a crash log goes when the data
    directory cannot be written)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def message(app: object, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static), width=300)  # type: ignore[attr-defined]


async def test_a_damaged_store_is_kept_aside_and_the_counter_goes_on(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    data = settings.data_path()
    data.mkdir(parents=True, exist_ok=True)
    (data / "console.db").write_bytes(GARBAGE)
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "已原样保留为" in app.store_notice and "请通知管理员" in app.store_notice
        [aside] = data.glob("console.db.damaged-*")
        assert aside.read_bytes() == GARBAGE  # kept as it was, nothing deleted
        assert str(aside) in app.store_notice
        await log_in(pilot, "clerk01", "111111")
        await pilot.press("i")  # a new store: the counter works
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
    assert "opening the local store" in (data / "crash.log").read_text(encoding="utf-8")


async def test_a_read_only_data_directory_is_said_in_words(
    settings: ConsoleConfig, own_temp: Path
) -> None:
    data = settings.data_path()
    # A console that has run before: its store and its embedded platform exist.
    LocalStore.open(data).close()
    embedded_platform(settings)
    with read_only(data):
        app = make_app(settings)  # the embedded platform, as a counter runs it
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            said = message(app, "#login-message")
            assert f"无法写入本机数据目录 {data}（只读或没有权限）" in said
            await log_in(pilot, "clerk01", "111111")
            # The login could not be recorded: said, and the console still runs.
            assert isinstance(app.screen, LoginScreen)
            said = message(app, "#login-message")
            assert "中心平台无法保存（它的数据目录只读或没有权限）" in said
    logs = list(own_temp.rglob("crash.log"))
    assert logs, "the details went to a log in the temporary folder"
    text = "".join(log.read_text(encoding="utf-8") for log in logs)
    assert "111111" not in text and ("Read-only" in text or "readonly" in text)


async def test_a_damaged_platform_database_is_said_in_words(settings: ConsoleConfig) -> None:
    central = settings.data_path() / "central"
    central.mkdir(parents=True, exist_ok=True)
    (central / "central.db").write_bytes(GARBAGE)
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        said = message(app, "#login-message")
        assert f"中心平台的数据文件（在 {central}）已损坏" in said and "从备份恢复" in said
        assert "sqlalche" not in said and "sqlite" not in said.lower()
    assert (central / "central.db").read_bytes() == GARBAGE  # left as it was


async def test_a_crash_is_logged_without_local_variables(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient]
) -> None:
    app = make_app(settings, platform=platform)

    def crash() -> None:
        pin = "135790"  # a local a traceback with locals would print
        id_number = "11010519491231002X"
        raise RuntimeError(f"a bug, with an ID number in its words: {id_number} {len(pin)}")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await log_in(pilot, "clerk01", "111111")
            assert isinstance(app.screen, CounterScreen)
            app.call_later(crash)
            await pilot.pause()
    log = (settings.data_path() / "crash.log").read_text(encoding="utf-8")
    assert "RuntimeError: a bug, with an ID number in its words: 110105********002X" in log
    assert "135790" not in log and "11010519491231002X" not in log and "111111" not in log
    said = app.crash_words  # what the terminal shows as the console stops
    assert "控制台遇到内部错误，已停止" in said and str(settings.data_path() / "crash.log") in said
