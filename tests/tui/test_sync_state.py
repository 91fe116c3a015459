"""Every staff screen says the sync state (issue 13, finding 8): online, or offline since
when, with what the outbox holds; a change of the platform's presence is said in words;
`clerk-console sync status` says since when too (the store keeps it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from central.conftest import serving
from faultproxy import FaultProxy
from textual.pilot import Pilot

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.domain.intake import Applicant, Intake
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.app import ClerkConsoleApp

from tui.helpers import log_in, settle, told


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[FaultProxy]:
    (tmp_path / "platform").mkdir()
    with serving(tmp_path / "platform") as base:
        parts = urlsplit(base)
        proxy = FaultProxy((str(parts.hostname), int(parts.port or 0)))
        try:
            yield proxy
        finally:
            proxy.close()


async def header_says(pilot: Pilot[None], *words: str) -> str:
    """The header's second half once it says every one of `words` (the sync check runs in
    a worker; this waits for it, bounded only against a hang)."""
    app = pilot.app
    for _ in range(600):
        if all(w in app.screen.sub_title for w in words):
            return app.screen.sub_title
        await pilot.pause(0.05)
    raise AssertionError(f"header never said {words}: {app.screen.sub_title!r}")


def queue_a_case(app: ClerkConsoleApp) -> None:
    """A case closed while the platform is away: its row waits in the outbox."""
    assert app.store is not None
    intake = Intake(key="005-offline", counter=5, clerk="clerk01", applicant=Applicant(name="张三"))
    app.store.save_draft(intake, "JY01", "intake.started")
    number = "JY01-20261128-05A-0001"
    app.store.close_intake(intake, "JY01", number, "", "supplement", {"kind": "supplement"})


async def test_the_header_says_online_offline_since_and_the_outbox(
    settings: ConsoleConfig, proxy: FaultProxy
) -> None:
    quick = replace(
        settings,
        platform=replace(settings.platform, sync_check_seconds=0.2, resend_seconds=0.3),
    )
    app = make_app(quick, platform=lambda: PlatformClient(proxy.url, timeout=2))
    toasts = told(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "clerk01", "111111")
        assert await header_says(pilot, "在线") == "在线 · 江阳区政务服务中心 · 5号窗口"

        proxy.refuse = True  # the cable out
        said = await header_says(pilot, "离线（", "起）", "待发送 0 件")
        assert "在线" not in said
        assert any("中心平台连不上了" in m for m in toasts)
        queue_a_case(app)
        app.check_sync()
        await header_says(pilot, "离线（", "待发送 1 件")
        assert app.store is not None
        down = app.store.platform_down_since()
        assert down is not None
        assert f"离线（{down.astimezone():%H:%M} 起）" in app.screen.sub_title
        await pilot.press("s")  # another staff screen (cases): it says the same
        await settle(pilot)
        await header_says(pilot, "离线（", "待发送 1 件")
        await pilot.press("escape")

        proxy.refuse = False  # back: the outbox drains by itself, and the header says so
        for _ in range(600):
            if app.screen.sub_title.startswith("在线 · 江阳区"):
                break
            await pilot.pause(0.05)
        assert app.screen.sub_title == "在线 · 江阳区政务服务中心 · 5号窗口"
        assert app.store.pending_outbox() == []
        assert app.store.platform_down_since() is None
        assert any("已重新连上中心平台" in m for m in toasts)
