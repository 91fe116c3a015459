"""Visits served at a counter while the platform was away, told when it is back (issue 13,
finding 6): a waiting ticket is finished as served then, a walk-in gets a ticket of its own,
a ticket the hall moved on meanwhile keeps what the hall did, and a visit sent again is
recorded once."""

from __future__ import annotations

from typing import Any

from central.conftest import Platform

START = "2026-11-23T09:10:00+08:00"
END = "2026-11-23T09:25:00+08:00"


def visit(p: Platform, headers: dict[str, str], key: str, counter: int = 5, **body: Any) -> Any:
    sent = {"line": "B", "started_at": START, "finished_at": END, "outcome": "accepted", **body}
    return p.client.post(
        f"/counters/{counter}/served-offline", json=sent, headers=headers | {"Idempotency-Key": key}
    )


def test_visits_served_offline_are_recorded_once(platform: Platform) -> None:
    p = platform
    guide = p.login("guide01", "333333")
    for _ in range(2):
        assert p.client.post("/tickets", json={"line": "B"}, headers=guide).status_code == 201
    clerk = p.login("clerk01", "111111", counter=5)

    first = visit(p, clerk, "served-0001", ticket="b001")
    assert first.status_code == 200, first.text
    ticket = first.json()["ticket"]
    assert first.json()["matched"] is True
    assert (ticket["number"], ticket["status"], ticket["outcome"], ticket["counter"]) == (
        "B001",
        "finished",
        "accepted",
        5,
    )
    again = visit(p, clerk, "served-0001", ticket="B001")  # its answer was lost: sent again
    assert again.json()["ticket"]["id"] == ticket["id"]

    walk_in = visit(p, clerk, "served-0002", line="A", outcome="consulted").json()
    assert walk_in["ticket"]["number"] == "A001" and walk_in["ticket"]["status"] == "finished"
    assert walk_in["matched"] is True

    # B002 was called at counter 3 while counter 5 served its holder offline: the hall's
    # call stands, the offline visit is recorded on it.
    other = p.login("clerk02", "111112", counter=3)
    assert p.client.post("/counters/3/call-next", headers=other).json()["number"] == "B002"
    moved_on = visit(p, clerk, "served-0003", ticket="B002").json()
    assert moved_on["matched"] is False
    assert (moved_on["ticket"]["status"], moved_on["ticket"]["counter"]) == ("called", 3)

    # A number the platform never gave today (yesterday's slip, a typing slip): the visit
    # is kept as a walk-in, not lost.
    typed = visit(p, clerk, "served-0006", ticket="B099").json()
    assert typed["matched"] is True and typed["ticket"]["walk_in"] is True
    assert typed["ticket"]["number"] == "B003" and typed["ticket"]["status"] == "finished"

    assert visit(p, clerk, "served-0004", counter=3, ticket="B002").status_code == 403
    assert visit(p, clerk, "served-0005", outcome="maybe").status_code == 422
    assert visit(p, clerk, "short").status_code == 422
    queue = p.client.get("/queue").json()
    assert {line["prefix"]: line["waiting"] for line in queue["lines"]}["B"] == 0
