"""The hall display speaks a new call through espeak-ng (real espeak-ng, writing the
announcement to a WAV file instead of the sound card). CI installs espeak-ng; on a machine
without it the test skips and says why."""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Digits, Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.display import DisplayScreen

from tui.helpers import plain, settle


@pytest.fixture
def espeak() -> None:
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CLERK_TEST_REQUIRE_ESPEAK") == "1":
            pytest.fail("espeak-ng is required here (CLERK_TEST_REQUIRE_ESPEAK=1)")
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")


async def test_a_new_call_is_announced(
    espeak: None,
    settings: ConsoleConfig,
    platform: Callable[[], PlatformClient],
    tmp_path: Path,
) -> None:
    spoken = tmp_path / "call.wav"
    settings = replace(
        settings, display=replace(settings.display, speak=True, speak_to=str(spoken))
    )
    staff = platform()
    await staff.login("guide01", "333333")
    await staff.issue_ticket("B")
    display = make_app(settings, platform=platform, start="display")
    async with display.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert isinstance(display.screen, DisplayScreen)
        assert not spoken.exists()  # nothing called yet: nothing said
        status = display.screen.query_one("#display-status", Static)
        for _ in range(100):  # until the display follows the feed: calls from now are new
            if not plain(status).strip():
                break
            await pilot.pause(0.1)
        clerk = platform()
        await clerk.login("clerk01", "111111", counter=5)
        await clerk.counter_action(5, "call-next")
        size = -1
        for _ in range(100):  # until espeak-ng has written the whole file
            await pilot.pause(0.2)
            if spoken.exists() and spoken.stat().st_size == size > 1000:
                break
            size = spoken.stat().st_size if spoken.exists() else -1
        assert display.screen.query_one("#latest-number", Digits).value == "B001"
    with wave.open(str(spoken)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
    # "请B001号到5号窗口办理" takes a few seconds to say; an empty or failed run does not.
    assert 1.5 < seconds < 15
