"""Cases sent by the counters: stored once per idempotency key, on both databases."""

from __future__ import annotations

from typing import Any

from central.conftest import Platform
from sqlmodel import Session, func, select

from clerk_console.central.models import CaseRow

CLERK = ("clerk01", "111111")
NUMBER = "JY01-20261123-05-0001"


def minimal_data(**more: Any) -> dict[str, Any]:
    """The least a counter's case carries: who applies and for what."""
    return {
        "applicant": {"kind": "person", "name": "张三"},
        "selection": {"items": ["BDC-01"]},
        **more,
    }


def send(p: Platform, headers: dict[str, str], key: str | None, **case: Any) -> Any:
    body = {"number": NUMBER, "status": "accepted", "data": minimal_data()} | case
    extra = {"Idempotency-Key": key} if key else {}
    return p.client.post("/cases", json=body, headers=headers | extra)


def stored(p: Platform) -> int:
    with Session(p.engine) as s:
        return int(s.exec(select(func.count()).select_from(CaseRow)).one())


def test_a_case_resent_is_stored_once(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    first = send(p, clerk, "draft-0001")
    assert first.status_code == 201, first.text
    assert first.json()["clerk"] == "clerk01" and first.json()["counter"] == 5
    again = send(p, clerk, "draft-0001")  # the answer was lost; the counter sends again
    assert again.status_code == 200 and again.json() == first.json()
    assert stored(p) == 1
    fetched = p.client.get(f"/cases/{NUMBER.lower()}", headers=clerk)
    assert fetched.status_code == 200
    # The sender's answer is masked (it has what it sent); its own counter reads it in full.
    masked, full = first.json(), fetched.json()
    assert (masked["masked"], full["masked"]) == (True, False)
    assert (masked["data"]["applicant"]["name"], full["data"]["applicant"]["name"]) == (
        "张*",
        "张三",
    )
    assert {k: v for k, v in full.items() if k not in ("data", "masked")} == {
        k: v for k, v in masked.items() if k not in ("data", "masked")
    }


def test_what_a_case_cannot_be(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    assert send(p, clerk, "draft-0001").status_code == 201
    other = send(p, clerk, "draft-0001", status="rejected")
    assert other.status_code == 409 and other.json()["error"] == "idempotency_conflict"
    taken = send(p, clerk, "draft-0002")
    assert taken.status_code == 409 and taken.json()["error"] == "case_exists"
    no_key = send(p, clerk, None, number="JY01-20261123-05-0002")
    assert no_key.status_code == 400 and no_key.json()["error"] == "idempotency_key_required"
    bad = send(p, clerk, "draft-0003", number="not-a-case-number")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_case_number"
    elsewhere = send(p, clerk, "draft-0004", number="JY01-20261123-07-0001")
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "not_your_counter"
    missing = p.client.get("/cases/JY01-20261123-05-0999", headers=clerk)
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_case"
    assert stored(p) == 1


def test_a_supplement_notice_is_taken_up_again_at_another_counter(platform: Platform) -> None:
    from clerk_console.central.models import CaseEvent

    p = platform
    first_clerk = p.login(*CLERK, counter=5)
    notice = send(p, first_clerk, "draft-0001", status="supplement")
    assert notice.status_code == 201, notice.text
    # The applicant comes back with what was missing, to counter 6 this time.
    other_clerk = p.login("clerk02", "111112", counter=6)
    data = minimal_data(continues=NUMBER, history=[{"kind": "supplement"}])
    again = send(p, other_clerk, "draft-0099", status="rejected", data=data)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "rejected" and again.json()["clerk"] == "clerk02"
    assert [h["kind"] for h in again.json()["data"]["history"]] == ["supplement"]
    assert stored(p) == 1  # the same case, not a second one
    # Each sending answers what it stored, again and again.
    assert send(p, first_clerk, "draft-0001", status="supplement").status_code == 200
    assert send(p, other_clerk, "draft-0099", status="rejected", data=data).status_code == 200
    with Session(p.engine) as s:
        trail = s.exec(select(CaseEvent).where(CaseEvent.case_number == NUMBER)).all()
    [continued] = [e for e in trail if e.kind == "case.continued"]
    assert continued.username == "clerk02" and '"from": "supplement"' in continued.detail_json
    # A decided case is not taken up again, and a case the platform never had is not.
    decided = send(p, other_clerk, "draft-0100", status="accepted", data=data)
    assert decided.status_code == 409 and decided.json()["error"] == "case_exists"
    stranger = dict(data, continues="JY01-20261123-05-0777")
    unknown = send(p, other_clerk, "draft-0101", number="JY01-20261123-05-0777", data=stranger)
    assert unknown.status_code == 409 and unknown.json()["error"] == "unknown_case"


def test_one_case_one_spelling_one_hall_and_the_clerk_who_took_it(platform: Platform) -> None:
    """A case number with a stray space or in lower case is the same case, not a second
    one; another hall's case number is refused; the case keeps the clerk who took the
    intake, even when the next login at that counter sends it."""
    p = platform
    first = p.login(*CLERK, counter=5)
    assert send(p, first, "draft-0001", taken_by="clerk01").status_code == 201
    for spelling in (NUMBER + " ", " " + NUMBER.lower()):
        again = send(p, first, f"draft-{spelling!r}", number=spelling)
        assert again.status_code == 409 and again.json()["error"] == "case_exists", again.text
    assert stored(p) == 1
    foreign = send(p, first, "draft-foreign", number="ZZ99-20261123-05-0001")
    assert foreign.status_code == 400 and foreign.json()["error"] == "foreign_case"
    # clerk01 logs out with a case still in the outbox; clerk02 logs in at counter 5 and
    # the outbox sends it: it was clerk01's intake.
    p.client.post("/auth/logout", headers=first)
    second = p.login("clerk02", "111112", counter=5)
    late = send(p, second, "draft-0002", number="JY01-20261123-05-0002", taken_by="clerk01")
    assert late.status_code == 201 and late.json()["clerk"] == "clerk01"
    # A name that is no clerk of this hall is not taken: the sender is recorded.
    odd = send(p, second, "draft-0003", number="JY01-20261123-05-0003", taken_by="nobody")
    assert odd.status_code == 201 and odd.json()["clerk"] == "clerk02"


def test_a_case_sent_many_times_at_once_is_stored_once_and_nothing_fails(
    platform: Platform,
) -> None:
    """Resends racing the first sending (an outbox on two threads, a retry after a lost
    answer): one stored, the others answered as replays; another key for the same number is
    a 409. Never a 500, whose log would carry the applicant's numbers."""
    from concurrent.futures import ThreadPoolExecutor

    p = platform
    clerk = p.login(*CLERK, counter=5)
    with ThreadPoolExecutor(max_workers=12) as pool:
        same_key = list(pool.map(lambda _i: send(p, clerk, "draft-race").status_code, range(12)))
    assert sorted(same_key) == [200] * 11 + [201], same_key
    number = "JY01-20261123-05-0002"
    with ThreadPoolExecutor(max_workers=12) as pool:
        keys = list(
            pool.map(
                lambda i: send(p, clerk, f"draft-race-{i}", number=number).status_code, range(12)
            )
        )
    assert sorted(keys) == [201] + [409] * 11
    assert stored(p) == 2
