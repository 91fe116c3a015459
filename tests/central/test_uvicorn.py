"""The platform served by uvicorn on 127.0.0.1, spoken to over real sockets."""

from __future__ import annotations

import json

import httpx


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
