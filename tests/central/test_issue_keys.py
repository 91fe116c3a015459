"""Issuing under a kiosk's key (issue 13, finding 2): one press, one ticket, however often
(and however concurrently) it is sent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from central.conftest import Platform


def test_one_key_one_ticket(platform: Platform) -> None:
    p = platform
    guide = p.login("guide01", "333333")

    def press(key: str) -> tuple[int, str]:
        answer = p.client.post(
            "/tickets", json={"line": "B"}, headers=guide | {"Idempotency-Key": key}
        )
        return answer.status_code, answer.json()["ticket"]["number"]

    assert press("press-0001") == (201, "B001")
    assert press("press-0001") == (200, "B001")  # the same press again
    with ThreadPoolExecutor(max_workers=10) as pool:
        racing = list(pool.map(lambda _i: press("press-0002"), range(10)))
    assert sorted(racing) == [(200, "B002")] * 9 + [(201, "B002")]
    assert press("press-0003") == (201, "B003")
    queue = p.client.get("/queue").json()
    assert {line["prefix"]: line["waiting"] for line in queue["lines"]}["B"] == 3
    short = p.client.post("/tickets", json={"line": "B"}, headers=guide | {"Idempotency-Key": "x"})
    assert short.status_code == 422


def test_the_slip_estimates_by_the_recent_pace_and_the_open_counters(platform: Platform) -> None:
    """Two tickets served in ten minutes each at the one open counter: three people ahead
    wait about thirty minutes."""
    p = platform
    guide = p.login("guide01", "333333")
    for _ in range(2):
        p.client.post("/tickets", json={"line": "B"}, headers=guide)
    clerk = p.login("clerk01", "111111", counter=5)
    for _ in range(2):
        p.client.post("/counters/5/call-next", headers=clerk)
        p.clock.advance(minutes=10)
        p.client.post("/counters/5/finish", json={"outcome": "other"}, headers=clerk)
    for _ in range(3):
        p.client.post("/tickets", json={"line": "B"}, headers=guide)
    slip = p.client.post("/tickets", json={"line": "B"}, headers=guide).json()
    open_b = [c for c in p.client.get("/queue").json()["counters"] if c["status"] == "open"]
    assert [c["number"] for c in open_b] == [5]
    assert slip["waiting_ahead"] == 3
    assert slip["estimated_wait_seconds"] == 3 * 600
