"""The console's client against the real platform: in-process (ASGI transport) and over a
socket; refusals and an unreachable platform are told apart."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from central.conftest import HASHER, SECRET, Clock, fresh_engine

from clerk_console.central.api import create_app
from clerk_console.central.db import init_platform
from clerk_console.config import CentralConfig, validate
from clerk_console.sync.client import PlatformClient, PlatformRefused, PlatformUnreachable


@pytest.fixture
def embedded(backend: str, tmp_path: Path) -> httpx.ASGITransport:
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET})
    engine = fresh_engine(backend, tmp_path)
    init_platform(engine, config, HASHER)
    return httpx.ASGITransport(app=create_app(config, engine, clock=Clock(), hasher=HASHER))


async def test_a_counter_session_through_the_client(embedded: httpx.ASGITransport) -> None:
    kiosk = PlatformClient(transport=embedded)
    await kiosk.login("guide01", "333333")
    slips = [await kiosk.issue_ticket("B") for _ in range(2)]
    assert [s.ticket.number for s in slips] == ["B001", "B002"]
    assert slips[1].waiting_ahead == 1 and slips[0].hall_name == "江阳区政务服务中心"

    counter = PlatformClient(transport=embedded)
    login = await counter.login("clerk01", "111111", counter=5)
    assert (login.role, login.counter) == ("clerk", 5)
    called = await counter.counter_action(5, "call-next")
    assert (called.number, called.status, called.counter) == ("B001", "called", 5)
    finished = await counter.counter_action(5, "finish", {"outcome": "accepted"})
    assert finished.outcome == "accepted"
    changes, cursor = await counter.changes(0)
    assert cursor > 0 and any(c["topic"] == "ticket" for c in changes)
    version, sources = await counter.catalog()
    assert len(version) == 16 and "bundles.toml" in sources
    await counter.logout()
    assert counter.token is None
    await kiosk.aclose()
    await counter.aclose()


async def test_refusals_carry_the_platforms_code(embedded: httpx.ASGITransport) -> None:
    client = PlatformClient(transport=embedded)
    with pytest.raises(PlatformRefused) as info:
        await client.login("clerk01", "000000", counter=5)
    assert (info.value.status, info.value.code) == (401, "bad_credentials")
    await client.login("clerk01", "111111", counter=5)
    with pytest.raises(PlatformRefused) as info:
        await client.counter_action(5, "call-next")
    assert (info.value.status, info.value.code) == (409, "nothing_waiting")
    with pytest.raises(PlatformRefused) as info:
        await client.counter_action(5, "finish", {"outcome": "nonsense"})
    assert (info.value.status, info.value.code) == (422, "invalid_request")
    await client.aclose()


async def test_no_platform_is_unreachable_not_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    client = PlatformClient(f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(PlatformUnreachable):
        await client.health()
    await client.aclose()


async def test_a_quiet_long_poll_is_not_the_platform_gone(served: str) -> None:
    """A served platform holds a long-poll for its whole wait when nothing happens (a quiet
    hall); the client waits for it instead of timing out and calling the platform away."""
    client = PlatformClient(served, timeout=1)
    changes, _cursor = await client.changes(10**9, wait=2)  # nothing will come after this
    assert changes == []
    assert client.down_since is None
    await client.aclose()
