"""The platform served by uvicorn on 127.0.0.1, spoken to over real sockets."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from central.conftest import HASHER, SECRET

from clerk_console.central.api import create_app
from clerk_console.central.db import init_platform, make_engine
from clerk_console.config import CentralConfig, validate


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET})
    engine = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
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
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def sse_events(client: httpx.Client, url: str, count: int, **headers: str) -> list[dict[str, str]]:
    """Read `count` events from a server-sent event stream."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    with client.stream("GET", url, headers=headers, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                    if len(events) == count:
                        break
                current = {}
                continue
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            current[key] = value
    return events


def test_issue_and_call_over_a_real_socket_with_sse_replay(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as client:
        assert client.get("/health").json()["hall_code"] == "JY01"
        guide = client.post("/auth/login", json={"username": "guide01", "pin": "333333"}).json()
        headers = {"Authorization": f"Bearer {guide['token']}"}
        start = client.get("/changes").json()["cursor"]
        for _ in range(3):
            assert client.post("/tickets", json={"line": "A"}, headers=headers).status_code == 201
        events = sse_events(client, f"/events?after={start}", 3)
        numbers = [json.loads(e["data"])["data"]["ticket"]["number"] for e in events]
        assert numbers == ["A001", "A002", "A003"]
        assert [e["event"] for e in events] == ["ticket"] * 3
        # Reconnecting with the id of the first event replays from just after it.
        replay = sse_events(client, "/events", 2, **{"Last-Event-ID": events[0]["id"]})
        assert [e["id"] for e in replay] == [events[1]["id"], events[2]["id"]]
