"""Ratings (好差评) through real HTTP, on SQLite and PostgreSQL: one rating a service from
the rating pad, a phone call or the receipt's and slip's password; a bad rating's follow-up
through verification, putting right and the call back, due 15 working days later; an appeal
granted or upheld; the public endpoint's refusals; the feed tells staff, not the public."""

from __future__ import annotations

from typing import Any

from central.conftest import HASHER, Platform
from central.test_back_office import send
from sqlmodel import Session, col, select

from clerk_console.central.models import RatingEvent
from clerk_console.central.ratings import ticket_code

CLERK = ("clerk01", "111111")
SUPER = ("super01", "222222")
NUMBER = "JY01-20261123-05-0001"
SLIP_CODES: dict[str, str] = {}  # ticket → the rating code its slip printed


def served_ticket(p: Platform, counter: int = 5, clerk: tuple[str, str] = CLERK) -> str:
    """A ticket issued, called and finished at `counter`; its number."""
    guide = p.login("guide01", "333333")
    issued = p.client.post("/tickets", json={"line": "A"}, headers=guide)
    assert issued.status_code == 201, issued.text
    SLIP_CODES[issued.json()["ticket"]["number"]] = issued.json()["rating_code"]
    login = p.login(*clerk, counter=counter)
    called = p.client.post(f"/counters/{counter}/call-next", headers=login)
    assert called.status_code == 200, called.text
    number = str(called.json()["number"])
    body = {"outcome": "consulted", "ticket": number}
    done = p.client.post(f"/counters/{counter}/finish", json=body, headers=login)
    assert done.status_code == 200, done.text
    return number


def rate(p: Platform, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return p.client.post("/ratings", json=body, headers=headers or {})


def test_the_pad_rates_the_service_just_finished_once(platform: Platform) -> None:
    p = platform
    number = served_ticket(p)
    pad = p.login(*CLERK, counter=5)
    state = p.client.get("/counters/5/pad", headers=pad).json()
    assert state["to_rate"]["number"] == number
    assert state["counter"]["clerk_name"] and state["counter"]["clerk"] == "clerk01"

    first = rate(p, pad, ticket=number, level="very_satisfied", channel="pad")
    assert first.status_code == 201, first.text
    rating = first.json()
    assert (rating["counter"], rating["clerk"], rating["channel"]) == (5, "clerk01", "pad")
    assert rating["good"] and rating["follow_up"] is None
    # One rating a service: the pad asks no more, and a second rating is refused.
    assert p.client.get("/counters/5/pad", headers=pad).json()["to_rate"] is None
    again = rate(p, pad, ticket=number, level="dissatisfied", channel="pad")
    assert again.status_code == 409 and again.json()["error"] == "already_rated"
    by_phone = rate(p, pad, ticket=number, level="satisfied", channel="phone")
    assert by_phone.status_code == 409


def test_a_pad_rates_only_its_own_counter_and_only_served_tickets(platform: Platform) -> None:
    p = platform
    number = served_ticket(p)
    other = p.login("clerk02", "111112", counter=6)
    refused = rate(p, other, ticket=number, level="satisfied", channel="pad")
    assert refused.status_code == 403 and refused.json()["error"] == "pad_other_counter"
    assert p.client.get("/counters/5/pad", headers=other).status_code == 403

    guide = p.login("guide01", "333333")
    waiting = p.client.post("/tickets", json={"line": "A"}, headers=guide).json()["ticket"][
        "number"
    ]
    mine = p.login(*CLERK, counter=5)
    not_served = rate(p, mine, ticket=waiting, level="satisfied", channel="pad")
    assert not_served.status_code == 409 and not_served.json()["error"] == "not_served"
    # Half an hour on, the pad no longer offers the ticket nor rates it.
    p.clock.advance(minutes=31)
    assert p.client.get("/counters/5/pad", headers=mine).json()["to_rate"] is None
    late = rate(p, mine, ticket=number, level="satisfied", channel="pad")
    assert late.status_code == 409 and late.json()["error"] == "pad_too_late"
    # Not rated, so a phone call later may still record it.
    assert rate(p, mine, ticket=number, level="satisfied", channel="phone").status_code == 201


def test_a_bad_rating_is_followed_up_to_its_call_back(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["SCJG-QY01", "SW-01"])
    clerk = p.login(*CLERK, counter=5)
    given = rate(
        p, clerk, case=NUMBER, level="dissatisfied", reasons=["efficiency"], comment="等了很久"
    )
    assert given.status_code == 201, given.text
    rating = given.json()
    assert rating["channel"] == "phone" and rating["recorded_by"] == "clerk01"
    assert rating["items"] == ["SCJG-QY01", "SW-01"]
    assert rating["departments"] == ["SCJG", "SW"]
    # Monday 23 November: 15 working days later is Monday 14 December.
    assert rating["follow_up"] == {
        "status": "open",
        "due_on": "2026-12-14",
        "appealed": False,
        "overdue": False,
        "closed_at": None,
    }
    rid = rating["id"]
    boss = p.login(*SUPER)
    step = p.client.post(f"/ratings/{rid}/verify", json={"note": "核实属实"}, headers=clerk)
    assert step.status_code == 403
    early = p.client.post(f"/ratings/{rid}/call-back", json={"note": "x"}, headers=boss)
    assert early.status_code == 409 and early.json()["error"] == "step_refused"
    blank = p.client.post(f"/ratings/{rid}/verify", json={"note": "  "}, headers=boss)
    assert blank.status_code == 400
    for name, note in (("verify", "核实属实"), ("rectify", "增开窗口"), ("call-back", "回访满意")):
        answer = p.client.post(f"/ratings/{rid}/{name}", json={"note": note}, headers=boss)
        assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert detail["follow_up"]["status"] == "closed" and detail["follow_up"]["closed_at"]
    assert [(e["kind"], e["username"], e.get("note")) for e in detail["events"]] == [
        ("rated", "clerk01", None),
        ("verify", "super01", "核实属实"),
        ("rectify", "super01", "增开窗口"),
        ("call_back", "super01", "回访满意"),
    ]
    # The rated clerk reads their own rating; another clerk does not.
    assert p.client.get(f"/ratings/{rid}", headers=clerk).status_code == 200
    other = p.login("clerk02", "111112", counter=6)
    assert p.client.get(f"/ratings/{rid}", headers=other).status_code == 403


def test_an_appeal_granted_takes_the_rating_out_and_is_made_once(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["SCJG-QY01"])
    clerk = p.login(*CLERK, counter=5)
    rid = rate(p, clerk, case=NUMBER, level="very_dissatisfied").json()["id"]
    boss = p.login(*SUPER)
    other = p.login("clerk02", "111112", counter=6)
    note = {"note": "申请人误评，录音可证"}
    assert p.client.post(f"/ratings/{rid}/appeal", json=note, headers=other).status_code == 403
    assert p.client.post(f"/ratings/{rid}/appeal", json=note, headers=clerk).status_code == 200
    upheld = p.client.post(f"/ratings/{rid}/uphold", json={"note": "评价属实"}, headers=boss)
    assert upheld.json()["follow_up"]["status"] == "verified"
    second = p.client.post(f"/ratings/{rid}/appeal", json=note, headers=clerk)
    assert second.status_code == 409

    # Another case, whose appeal is granted: it stays recorded, it no longer counts.
    send(p, "JY01-20261123-05-0002", ["SCJG-QY01"])
    rid2 = rate(p, clerk, case="JY01-20261123-05-0002", level="dissatisfied").json()["id"]
    p.client.post(f"/ratings/{rid2}/appeal", json=note, headers=clerk)
    granted = p.client.post(f"/ratings/{rid2}/grant", json={"note": "误评属实"}, headers=boss)
    assert granted.status_code == 200
    assert granted.json()["counted"] is False
    assert granted.json()["follow_up"]["status"] == "withdrawn"


def test_an_overdue_follow_up_is_listed_as_overdue(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["SCJG-QY01"])
    clerk = p.login(*CLERK, counter=5)
    rid = rate(p, clerk, case=NUMBER, level="dissatisfied").json()["id"]
    boss = p.login(*SUPER)
    listed = p.client.get("/ratings", params={"follow_up": "open"}, headers=boss).json()
    assert [r["id"] for r in listed] == [rid]
    assert p.client.get("/ratings", params={"follow_up": "overdue"}, headers=boss).json() == []
    p.clock.advance(days=22)  # Tuesday 15 December: a day past its due day
    boss = p.login(*SUPER)
    overdue = p.client.get("/ratings", params={"follow_up": "overdue"}, headers=boss).json()
    assert [(r["id"], r["follow_up"]["overdue"]) for r in overdue] == [(rid, True)]
    assert p.client.get("/ratings", headers=clerk).status_code in (401, 403)


def test_the_receipts_password_rates_a_case_without_a_login(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["SCJG-QY01"])
    wrong = rate(p, case=NUMBER, password="654321", level="satisfied")
    assert wrong.status_code == 403 and wrong.json()["error"] == "bad_password"
    unknown = rate(p, case="JY01-20261123-05-0099", password="123456", level="satisfied")
    assert unknown.status_code == 403 and unknown.json()["error"] == "bad_password"
    none = rate(p, case=NUMBER, level="satisfied")
    assert none.status_code == 400 and none.json()["error"] == "password_required"
    reasons = rate(p, case=NUMBER, password="123456", level="satisfied", reasons=["attitude"])
    assert reasons.status_code == 400 and reasons.json()["error"] == "bad_reasons"
    right = rate(p, case=NUMBER, password="123456", level="basically_satisfied")
    assert right.status_code == 201, right.text
    assert right.json()["level"] == "basically_satisfied"
    assert "clerk" not in right.json()  # the public answer names nobody who served
    again = rate(p, case=NUMBER, password="123456", level="very_dissatisfied")
    assert again.status_code == 409 and again.json()["error"] == "already_rated"


def test_the_slips_code_rates_a_ticket_and_guessing_locks(platform: Platform) -> None:
    p = platform
    number = served_ticket(p)
    day = p.clock.now.date()
    code = SLIP_CODES[number]  # as the slip printed it
    assert code == ticket_code(HASHER.keyed_digest, day, number) and len(code) == 6
    for guess in range(5):
        wrong = f"{(int(code) + guess + 1) % 1_000_000:06d}"
        answer = rate(p, ticket=number, day=day.isoformat(), password=wrong, level="satisfied")
        assert answer.status_code in (403, 429)
    p.clock.advance(minutes=2)  # past the address's minute: only the service's lock left
    locked = rate(p, ticket=number, day=day.isoformat(), password=code, level="satisfied")
    assert locked.status_code == 403 and locked.json()["error"] == "password_locked"
    p.clock.advance(minutes=16)
    right = rate(p, ticket=number, day=day.isoformat(), password=code, level="satisfied")
    assert right.status_code == 201, right.text
    assert right.json()["ref"] == f"{day.isoformat()}/{number}"
    with Session(p.engine) as s:
        kinds = list(s.exec(select(RatingEvent.kind).order_by(col(RatingEvent.id))))
    assert kinds == ["rated"]


def test_one_address_is_held_to_its_ratings_a_minute(platform: Platform) -> None:
    p = platform
    answers = [rate(p, case=f"X{n}", password="111111", level="satisfied") for n in range(11)]
    assert [a.status_code for a in answers[:10]] == [403] * 10
    assert answers[10].status_code == 429 and answers[10].json()["error"] == "too_many_ratings"
    p.clock.advance(seconds=61)
    assert rate(p, case="X", password="111111", level="satisfied").status_code == 403


def test_the_feed_tells_staff_of_ratings_and_the_public_not(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["SCJG-QY01"])
    clerk = p.login(*CLERK, counter=5)
    assert rate(p, clerk, case=NUMBER, level="dissatisfied").status_code == 201
    boss = p.login(*SUPER)
    staff = p.client.get("/changes", params={"after": 0}, headers=boss).json()["changes"]
    public = p.client.get("/changes", params={"after": 0}).json()["changes"]
    rated = [c["data"] for c in staff if c["topic"] == "rating"]
    assert [(r["event"], r["rating"]["level"]) for r in rated] == [("rated", "dissatisfied")]
    assert not [c for c in public if c["topic"] == "rating"]


def test_the_reasons_are_the_halls_list(platform: Platform) -> None:
    reasons = platform.client.get("/ratings/reasons").json()
    assert [r["code"] for r in reasons][:5] == [
        "attitude",
        "efficiency",
        "process",
        "environment",
        "result",
    ]
    assert all(r["zh"] and r["en"] for r in reasons)
