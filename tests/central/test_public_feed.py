"""What the change feed tells without a login (issue 12, finding 5): tickets and counters by
number, as the hall display needs; never who serves, nor cases, bookings or staff."""

from __future__ import annotations

import json
from datetime import timedelta

from central.conftest import Platform
from central.test_back_office import send

CLERK = ("clerk01", "111111")


def test_the_feed_without_a_login_shows_numbers_and_counters_only(platform: Platform) -> None:
    p = platform
    guide = p.login("guide01", "333333")
    booking = {
        "line": "A",
        "starts_at": (p.clock.now + timedelta(hours=1)).isoformat(),
        "ends_at": (p.clock.now + timedelta(hours=2)).isoformat(),
        "name": "王小明",
        "mobile": "13712345678",
    }
    assert p.client.post("/appointments", json=booking, headers=guide).status_code == 201
    assert p.client.post("/tickets", json={"line": "B"}, headers=guide).status_code == 201
    clerk = p.login(*CLERK, counter=5)
    assert p.client.post("/counters/5/call-next", headers=clerk).status_code == 200
    send(p, "JY01-20261123-05-0001", ["BDC-01"])
    supervisor = p.login("super01", "222222")
    p.client.post("/counters/5/takeover", headers=supervisor)

    staff = p.client.get("/changes", params={"after": 0}, headers=supervisor)
    public = p.client.get("/changes", params={"after": 0})
    bad_token = p.client.get("/changes", params={"after": 0}, headers={"Authorization": "Bearer x"})
    assert staff.status_code == public.status_code == bad_token.status_code == 200
    assert public.json() == bad_token.json()
    # Both end at the same cursor: the display follows the same feed, it sees less of it.
    assert public.json()["cursor"] == staff.json()["cursor"]
    assert {c["topic"] for c in staff.json()["changes"]} >= {
        "ticket",
        "counter",
        "case",
        "appointment",
    }
    assert {c["topic"] for c in public.json()["changes"]} == {"ticket", "counter"}
    text = json.dumps(public.json(), ensure_ascii=False)
    for secret in (
        "clerk01",
        "super01",
        "王小明",
        "13712345678",
        "JY01-20261123-05-0001",
        "served_by",
    ):
        assert secret not in text, secret
    calls = [c["data"] for c in public.json()["changes"] if c["data"].get("event") == "called"]
    assert calls == [
        {
            "event": "called",
            "ticket": {
                "number": "B001",
                "line": "B",
                "status": "called",
                "counter": 5,
                "recalls": 0,
            },
        }
    ]
