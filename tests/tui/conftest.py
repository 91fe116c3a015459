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
