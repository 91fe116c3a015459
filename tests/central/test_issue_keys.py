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
