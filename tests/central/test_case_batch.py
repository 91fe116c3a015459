"""A counter's backlog in batches (issue 13, outbox drain): `POST /cases/batch` stores each
case exactly as `POST /cases` would (handoffs, due dates, trail, the applicant's message),
answers every key's outcome in order, and one refused case holds back none of the others."""

from __future__ import annotations

import json
from typing import Any

from central.conftest import HASHER, Platform
from central.test_back_office import CLERK, QYKB, case_body
from sqlmodel import Session, col, select

from clerk_console.central.models import CaseEvent, HandoffRow, NotificationRow
from clerk_console.central.trail import verify


def number(n: int) -> str:
    return f"JY01-20261123-05-{n:04d}"


def handoffs_of(p: Platform, case: str) -> list[tuple[str, str, str | None]]:
    with Session(p.engine) as s:
        rows = s.exec(
            select(HandoffRow)
            .where(HandoffRow.case_number == case)
            .order_by(col(HandoffRow.department))
        )
        return [(r.department, r.status, str(r.due_on)) for r in rows]


def trail_of(p: Platform, case: str) -> list[tuple[str, str]]:
    with Session(p.engine) as s:
        rows = s.exec(
            select(CaseEvent).where(CaseEvent.case_number == case).order_by(col(CaseEvent.seq))
        )
        return [(e.kind, json.loads(e.detail_json).get("department", "")) for e in rows]


def messages_of(p: Platform, case: str) -> list[tuple[str, str]]:
    with Session(p.engine) as s:
        rows = s.exec(select(NotificationRow).where(NotificationRow.case_number == case))
        return [(m.kind, m.status) for m in rows]


def batch(items: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return {"cases": [{**body, "key": key} for key, body in items]}


def test_a_batch_stores_each_case_as_one_sending_would(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    # The same case sent alone, for comparison.
    alone = p.client.post(
        "/cases", json=case_body(number(1), QYKB), headers=clerk | {"Idempotency-Key": "key-alone"}
    )
    assert alone.status_code == 201, alone.text
    items = [(f"key-batch-{n}", case_body(number(n), QYKB)) for n in (2, 3, 4)]
    answer = p.client.post("/cases/batch", json=batch(items), headers=clerk)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["key"], r["status"], r["number"]) for r in results] == [
        ("key-batch-2", 201, number(2)),
        ("key-batch-3", 201, number(3)),
        ("key-batch-4", 201, number(4)),
    ]
    for n in (2, 3, 4):
        assert handoffs_of(p, number(n)) == handoffs_of(p, number(1))
        assert trail_of(p, number(n)) == trail_of(p, number(1))
        stored = p.client.get(f"/cases/{number(n)}", headers=clerk).json()
        assert stored["progress"] == "in_progress" and stored["clerk"] == "clerk01"
        assert set(stored["data"]["instant"]) == {"SW-01"}  # decided at the counter
    assert p.client.app.state.notifier.wait(30)  # type: ignore[attr-defined]
    for n in (1, 2, 3, 4):
        assert messages_of(p, number(n)) == [("accepted", "sent")]
    with Session(p.engine) as s:
        assert verify(s, HASHER.keyed_digest).broken_at is None  # one chain, unbroken
    # The batch's answer was lost: sent again, every case is a replay, nothing doubles.
    again = p.client.post("/cases/batch", json=batch(items), headers=clerk)
    assert [r["status"] for r in again.json()["results"]] == [200, 200, 200]
    assert all(len(handoffs_of(p, number(n))) == len(QYKB) - 1 for n in (2, 3, 4))
    assert all(len(messages_of(p, number(n))) == 1 for n in (2, 3, 4))


def test_each_refusal_is_said_for_its_own_key_and_the_rest_are_stored(
    platform: Platform,
) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    headers = clerk | {"Idempotency-Key": "key-seven"}
    taken = p.client.post("/cases", json=case_body(number(7), ["BDC-01"]), headers=headers)
    assert taken.status_code == 201, taken.text
    items = [
        ("key-new-1", case_body(number(8), ["BDC-01"])),
        ("key-seven", case_body(number(7), ["BDC-01"])),  # sent before: a replay
        ("key-other", case_body(number(7), ["GA-YZ01"])),  # another case's number
        ("key-seven", case_body(number(9), ["BDC-01"])),  # a key used for another case
        ("key-bad-number", case_body("JY01-2026-05", ["BDC-01"])),  # no case number
        ("key-far-hall", case_body("ZZ09-20261123-05-0001", ["BDC-01"])),  # another hall's
        ("key-unknown", case_body(number(10), ["NO-SUCH"])),  # not in the catalog
        ("key-new-2", case_body(number(11), ["BDC-01"])),
    ]
    answer = p.client.post("/cases/batch", json=batch(items), headers=clerk)
    assert answer.status_code == 200, answer.text
    outcomes = [(r["key"], r["status"], r.get("error")) for r in answer.json()["results"]]
    assert outcomes == [
        ("key-new-1", 201, None),
        ("key-seven", 200, None),
        ("key-other", 409, "case_exists"),
        ("key-seven", 409, "idempotency_conflict"),
        ("key-bad-number", 400, "bad_case_number"),
        ("key-far-hall", 400, "foreign_case"),
        ("key-unknown", 400, "unknown_item"),
        ("key-new-2", 201, None),
    ]
    for stored in (8, 11):
        assert p.client.get(f"/cases/{number(stored)}", headers=clerk).status_code == 200
    for refused in (9, 10):
        assert p.client.get(f"/cases/{number(refused)}", headers=clerk).status_code == 404
    with Session(p.engine) as s:
        assert verify(s, HASHER.keyed_digest).broken_at is None


def test_a_clerk_sends_only_the_cases_of_their_own_counter(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    items = [
        ("key-own-counter", case_body(number(1), ["BDC-01"])),
        ("key-other", case_body("JY01-20261123-06-0001", ["BDC-01"])),
    ]
    answer = p.client.post("/cases/batch", json=batch(items), headers=clerk)
    assert answer.status_code == 200, answer.text
    outcomes = [(r["status"], r.get("error")) for r in answer.json()["results"]]
    assert outcomes == [(201, None), (403, "not_your_counter")]
    nobody = p.client.post("/cases/batch", json=batch(items))
    assert nobody.status_code == 401
    too_many = batch([(f"key-{n:04d}", case_body(number(n), ["BDC-01"])) for n in range(101)])
    assert p.client.post("/cases/batch", json=too_many, headers=clerk).status_code == 422
