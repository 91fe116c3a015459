"""The supervisor's live board (`GET /hall`), on SQLite and PostgreSQL, against a scripted
morning with a fixed clock: each line's and counter's figures, the slips' estimates against
the waits, and the alerts (a long wait, a long service, a paused counter with people
waiting, a printer in fault, handoffs due, bad ratings waiting for their follow-up), each
acknowledged and recorded, and raised again by a new occurrence only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from central.conftest import HASHER, START, Platform
from central.test_back_office import case_body
from fastapi.testclient import TestClient

from clerk_console.central.api import create_app
from clerk_console.config import CentralConfig, validate

CLERK1 = ("clerk01", "111111")
CLERK2 = ("clerk02", "111112")
SUPER = ("super01", "222222")
MIN = 60


def at(p: Platform, minutes: float) -> None:
    p.clock.now = START + timedelta(minutes=minutes)


def post(p: Platform, path: str, headers: dict[str, str], **body: Any) -> Any:
    answer = p.client.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def board(p: Platform, client: TestClient | None = None) -> dict[str, Any]:
    answer = (client or p.client).get("/hall", headers=p.login(*SUPER))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def kinds(view: dict[str, Any], acknowledged: bool | None = None) -> list[str]:
    return [
        a["kind"]
        for a in view["alerts"]
        if acknowledged is None or (a["acknowledged"] is not None) == acknowledged
    ]


def morning(p: Platform) -> dict[str, int]:
    """09:00 A001–A003 issued, 09:10 A004; counter 5 (clerk01) serves A001 09:05–09:15;
    counter 6 (clerk02) calls A002 at 09:20 (gone at 09:22), then A003 at 09:25 and keeps
    it. The slips' promised waits, by ticket."""
    guide = p.login("guide01", "333333")
    promised = {}
    at(p, 0)
    one, two = p.login(*CLERK1, counter=5), p.login(*CLERK2, counter=6)
    for minute in (0, 0, 0, 10):
        at(p, minute)
        slip = post(p, "/tickets", guide, line="A")
        promised[slip["ticket"]["number"]] = slip["estimated_wait_seconds"]
    at(p, 5)
    post(p, "/counters/5/call-next", one)
    at(p, 15)
    post(p, "/counters/5/finish", one, outcome="consulted", ticket="A001")
    at(p, 20)
    post(p, "/counters/6/call-next", two)
    at(p, 22)
    post(p, "/counters/6/no-show", two)
    at(p, 25)
    assert post(p, "/counters/6/call-next", two)["number"] == "A003"
    return promised


def test_the_boards_figures_at_nine_fifty(platform: Platform) -> None:
    p = platform
    promised = morning(p)
    at(p, 50)
    view = board(p)
    line = next(x for x in view["lines"] if x["prefix"] == "A")
    assert line["waiting"] == 1 and line["longest_ticket"] == "A004"
    assert line["longest_wait_seconds"] == 40 * MIN
    # Waits so far 5, 20 and 25 minutes, all called within the last hour.
    assert line["average_wait_seconds"] == 1000 and line["hour_wait_seconds"] == 1000
    assert (line["served"], line["no_shows"]) == (1, 1)
    counters = {c["number"]: c for c in view["counters"]}
    five, six = counters[5], counters[6]
    assert (five["status"], five["clerk"], five["ticket"]) == ("open", "clerk01", None)
    assert five["served"] == 1 and five["average_service_seconds"] == 10 * MIN
    assert five["idle_seconds"] == 35 * MIN  # open and empty-handed since 09:15
    assert six["ticket"]["number"] == "A003" and six["at_hand_seconds"] == 25 * MIN
    assert six["served"] == 0
    waits = {"A001": 5 * MIN, "A002": 20 * MIN, "A003": 25 * MIN}
    errors = [waits[n] - promised[n] for n in waits]
    assert view["estimates"] == {
        "tickets": 3,
        "mean_error_seconds": round(sum(abs(e) for e in errors) / 3),
        "mean_bias_seconds": round(sum(errors) / 3),
    }
    # 40 minutes' wait (over 30) and 25 minutes at hand (over 20): two red alerts.
    assert sorted(kinds(view)) == ["service", "wait"]
    wait = next(a for a in view["alerts"] if a["kind"] == "wait")
    assert wait["params"] == {"line": "A", "ticket": "A004", "minutes": 40, "waiting": 1}
    assert wait["severity"] == "high" and wait["acknowledged"] is None


def test_an_alert_acknowledged_stays_quiet_until_a_new_one(platform: Platform) -> None:
    p = platform
    morning(p)
    at(p, 50)
    wait = next(a for a in board(p)["alerts"] if a["kind"] == "wait")
    boss = p.login(*SUPER)
    cursor = p.client.get("/changes", params={"after": 0}, headers=boss).json()["cursor"]
    acked = post(p, "/alerts/ack", boss, key=wait["key"], note="已加开窗口")
    assert (acked["by"], acked["note"]) == ("super01", "已加开窗口")
    view = board(p)
    seen = next(a for a in view["alerts"] if a["kind"] == "wait")
    assert seen["acknowledged"]["by"] == "super01" and seen["acknowledged"]["note"] == "已加开窗口"
    assert kinds(view, acknowledged=False) == ["service"]  # the unacknowledged come first
    assert view["alerts"][0]["kind"] == "service"
    # Every board hears of it from the feed; the public does not.
    changes = p.client.get("/changes", params={"after": cursor}, headers=boss).json()["changes"]
    assert any(c["topic"] == "alert" and c["data"]["key"] == wait["key"] for c in changes)
    public = p.client.get("/changes", params={"after": cursor}).json()["changes"]
    assert not any(c["topic"] == "alert" for c in public)
    # A second acknowledgement keeps the first.
    again = post(p, "/alerts/ack", p.login("super01", "222222"), key=wait["key"], note="x")
    assert again["note"] == "已加开窗口"
    # A004 is called; A005, issued at 09:50, has waited 31 minutes at 10:21: a new alert.
    post(p, "/counters/5/call-next", p.login(*CLERK1, counter=5))
    post(p, "/tickets", p.login("guide01", "333333"), line="A")
    at(p, 81)
    fresh = next(a for a in board(p)["alerts"] if a["kind"] == "wait")
    assert fresh["params"]["ticket"] == "A005" and fresh["acknowledged"] is None
    # Only a supervisor acknowledges.
    clerk = p.login(*CLERK1, counter=5)
    assert p.client.post("/alerts/ack", json={"key": "x"}, headers=clerk).status_code == 403


def test_a_paused_counter_a_printer_and_a_bad_rating_alert(platform: Platform) -> None:
    p = platform
    morning(p)
    at(p, 30)
    one = p.login(*CLERK1, counter=5)
    assert kinds(board(p)) == []  # A004 has waited 20 minutes, A003 is 5 at hand
    post(p, "/counters/5/status", one, status="paused")
    view = board(p)
    assert kinds(view) == ["counter_paused"]
    paused = view["alerts"][0]
    assert paused["params"] == {"counter": 5, "lines": "A", "waiting": 1}
    # Empty-handed since A001 left at 09:15, paused or not: idle, growing steadily.
    five = next(c for c in view["counters"] if c["number"] == 5)
    assert five["idle_seconds"] == 15 * MIN

    fault = post(p, "/counters/5/printer", one, state="fault", message="receipt: paper_out")
    assert fault == {"state": "fault", "message": "receipt: paper_out"}
    view = board(p)
    five = next(c for c in view["counters"] if c["number"] == 5)
    assert five["printer"]["state"] == "fault" and five["printer"]["since"]
    printer = next(a for a in view["alerts"] if a["kind"] == "printer")
    assert printer["params"] == {"counter": 5, "message": "receipt: paper_out"}
    # A counter reports its own printers only; the same state again changes nothing.
    two = p.login(*CLERK2, counter=6)
    assert (
        p.client.post("/counters/5/printer", json={"state": "ok"}, headers=two).status_code == 403
    )
    post(p, "/counters/5/printer", one, state="fault", message="receipt: paper_out")
    assert next(a for a in board(p)["alerts"] if a["kind"] == "printer")["key"] == printer["key"]
    post(p, "/counters/5/printer", one, state="ok")
    assert "printer" not in kinds(board(p))

    # A003 finished and rated 不满意: its follow-up waits, a yellow alert.
    at(p, 35)
    post(p, "/counters/6/finish", two, outcome="consulted", ticket="A003")
    post(p, "/ratings", two, ticket="A003", level="dissatisfied", reasons=["efficiency"])
    view = board(p)
    assert view["follow_ups"] == {"open": 1, "overdue": 0}
    follow = next(a for a in view["alerts"] if a["kind"] == "follow_ups")
    assert follow["severity"] == "medium" and follow["params"] == {"open": 1, "overdue": 0}
    six = next(c for c in view["counters"] if c["number"] == 6)
    assert (six["ratings"], six["good_ratings"]) == (1, 0)
    # Fifteen working days on, the next morning, it is overdue.
    p.clock.now = datetime(2026, 12, 15, 9, 0, tzinfo=START.tzinfo)
    assert board(p)["follow_ups"] == {"open": 1, "overdue": 1}


def test_handoffs_due_today_alert_and_thresholds_come_from_the_settings(
    platform: Platform,
) -> None:
    p = platform
    clerk = p.login(*CLERK1, counter=5)
    body = case_body("JY01-20261123-05-0001", ["SCJG-QY01"])  # one working day: due Tuesday
    sent = p.client.post("/cases", json=body, headers=clerk | {"Idempotency-Key": "draft-0001"})
    assert sent.status_code == 201, sent.text
    assert board(p)["handoffs"] == {"due_today": 0, "overdue": 0}
    p.clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=START.tzinfo)
    view = board(p)
    assert view["handoffs"] == {"due_today": 1, "overdue": 0}
    assert kinds(view) == ["handoffs"]
    p.clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=START.tzinfo)
    assert board(p)["handoffs"] == {"due_today": 0, "overdue": 1}

    # The same hall with its own thresholds: handoffs alert from 2, waits from 60 minutes.
    config = validate(
        CentralConfig,
        {
            "data_dir": str(p.config.data_path()),
            "secret": "test-secret",
            "token_minutes": 60,
            "alert_handoffs": 2,
            "alert_wait_minutes": 60,
        },
    )
    app = create_app(config, p.engine, clock=p.clock, hasher=HASHER)
    with TestClient(app) as other:
        view = board(p, other)
        assert view["thresholds"]["wait_minutes"] == 60 and view["thresholds"]["handoffs"] == 2
        assert kinds(view) == []


def test_tickets_sent_to_a_closed_counter_alert(platform: Platform) -> None:
    """A ticket moved to one counter waits for it alone: with that counter closed (or
    paused) nobody will call it, whatever other counters serve its line."""
    p = platform
    morning(p)
    at(p, 30)
    boss = p.login(*SUPER)
    post(p, "/tickets/A004/move", boss, counter=7)  # counter 7 is closed
    view = board(p)
    seven = next(c for c in view["counters"] if c["number"] == 7)
    assert seven["status"] == "closed" and seven["waiting_for_it"] == 1
    stranded = next(a for a in view["alerts"] if a["kind"] == "stranded")
    assert stranded["params"] == {"counter": 7, "status": "closed", "waiting": 1}
    assert stranded["severity"] == "high"
