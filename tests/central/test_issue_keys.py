"""Issuing under a kiosk's key (issue 13, finding 2): one press, one ticket, however often
(and however concurrently) it is sent."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from central.conftest import Platform
from sqlmodel import Session, select

from clerk_console.central.api import IssuedOut
from clerk_console.central.models import (
    ChangeRow,
    LineDayCounter,
    TicketEvent,
    TicketIssue,
    TicketRow,
)


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


def test_a_slip_has_the_documented_shape_and_records_the_issue(platform: Platform) -> None:
    """A slip is answered as it is built (no second validation on the kiosks' hot path): it
    must be what the OpenAPI document promises, and the issue is recorded as the rest of
    the queue records it, on both databases alike."""
    p = platform
    guide = p.login("guide01", "333333")
    late = (p.clock.now - timedelta(hours=2)).isoformat()
    plain = p.client.post("/tickets", json={"line": "B"}, headers=guide)
    green = p.client.post(
        "/tickets",
        json={"line": "B", "priority": True, "appointment_at": late},
        headers=guide | {"Idempotency-Key": "press-green"},
    )
    again = p.client.post(
        "/tickets", json={"line": "B"}, headers=guide | {"Idempotency-Key": "press-green"}
    )
    for r in (plain, green, again):
        assert r.headers["content-type"] == "application/json"
        assert IssuedOut.model_validate(r.json()).model_dump() == r.json()
    assert (plain.status_code, green.status_code, again.status_code) == (201, 201, 200)
    assert again.json() == green.json()
    ticket = green.json()["ticket"]
    assert ticket["number"] == "B002" and ticket["priority"] is True
    assert ticket["appointment_at"] is None  # two hours late: it queues as usual
    assert ticket["issued_at"] == p.clock.now.isoformat()
    assert green.json()["waiting_ahead"] == 1
    with Session(p.engine) as s:
        event = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket["id"])).one()
        feed = [
            json.loads(c.payload_json)
            for c in s.exec(select(ChangeRow).where(ChangeRow.topic == "ticket"))
        ]
    assert (event.kind, event.username, event.counter) == ("issued", "guide01", None)
    assert json.loads(event.detail_json) == {"priority": True, "appointment_late": True}
    assert feed == [
        {"event": "issued", "ticket": plain.json()["ticket"]},
        {"event": "issued", "ticket": ticket},
    ]


def test_a_line_that_gave_out_its_last_number_says_so(platform: Platform) -> None:
    """B9999 is the last number of a day; the next press is refused in words (not a crash)
    and leaves nothing behind, and other lines go on."""
    p = platform
    guide = p.login("guide01", "333333")
    with Session(p.engine) as s, s.begin():
        s.add(LineDayCounter(line="B", day=p.clock.now.date(), last=9998))
    last = p.client.post("/tickets", json={"line": "B"}, headers=guide)
    assert last.status_code == 201 and last.json()["ticket"]["number"] == "B9999"
    full = p.client.post(
        "/tickets", json={"line": "B"}, headers=guide | {"Idempotency-Key": "press-full"}
    )
    assert full.status_code == 409 and full.json()["error"] == "line_full"
    assert "9999" in full.json()["message"]
    with Session(p.engine) as s:
        assert len(s.exec(select(TicketRow)).all()) == 1
        assert s.get(TicketIssue, "press-full") is None
    assert p.client.post("/tickets", json={"line": "A"}, headers=guide).status_code == 201


def test_issuing_refuses_who_may_not_and_what_is_not_there(platform: Platform) -> None:
    p = platform
    guide = p.login("guide01", "333333")
    clerk = p.login("clerk01", "111111", counter=5)
    refused = [
        (p.client.post("/tickets", json={"line": "B"}, headers=clerk), 403, "role_forbidden"),
        (p.client.post("/tickets", json={"line": "Z"}, headers=guide), 404, "unknown_line"),
        (
            p.client.post(
                "/tickets", json={"line": "B"}, headers={"Authorization": "Bearer nonsense"}
            ),
            401,
            "not_logged_in",
        ),
    ]
    for answer, status, code in refused:
        assert (answer.status_code, answer.json()["error"]) == (status, code)
    p.clock.advance(minutes=61)  # the test platform's logins last an hour
    expired = p.client.post("/tickets", json={"line": "B"}, headers=guide)
    assert (expired.status_code, expired.json()["error"]) == (401, "login_expired")
    with Session(p.engine) as s:
        assert s.exec(select(TicketRow)).all() == []


def test_presses_at_once_each_count_the_people_ahead(platform: Platform) -> None:
    """Kiosks of one line pressing at the same moment take turns for the numbers: each slip
    counts exactly the tickets numbered before it, those that were still being issued when
    it began included."""
    p = platform
    guide = p.login("guide01", "333333")
    p.client.post("/tickets", json={"line": "C"}, headers=guide)  # another line's: not ahead

    def press(i: int) -> dict[str, Any]:
        answer = p.client.post(
            "/tickets", json={"line": "B"}, headers=guide | {"Idempotency-Key": f"press-{i:04}"}
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    with ThreadPoolExecutor(max_workers=12) as pool:
        slips = list(pool.map(press, range(36)))
    ahead = {slip["ticket"]["number"]: slip["waiting_ahead"] for slip in slips}
    assert ahead == {f"B{n:03}": n - 1 for n in range(1, 37)}
