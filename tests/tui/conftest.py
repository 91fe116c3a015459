"""Fixtures of the screen tests."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from clerk_console.cli import embedded_platform
from clerk_console.config import ConsoleConfig
from clerk_console.sync.client import PlatformClient


@pytest.fixture
def platform(settings: ConsoleConfig) -> Callable[[], PlatformClient]:
    """Clients of one embedded platform (the demo hall in the test's data directory)."""
    app = embedded_platform(settings)
    return lambda: PlatformClient(transport=httpx.ASGITransport(app=app))


@pytest.fixture
def snap_compare(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """The plugin's comparison, failing when the app crashed on the way to the picture (a
    crash ends the app with our words on screen, which a picture alone would not tell)."""

    def compare(app: object, *args: object, **kwargs: object) -> bool:
        same = snap_compare(app, *args, **kwargs)
        crashed = getattr(app, "crash_words", "")
        assert not crashed, crashed
        return same

    return compare
