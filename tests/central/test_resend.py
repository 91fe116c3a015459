"""A case sent again after the platform changed its copy (issue 13, finding 3): the same
key and body answer the case as stored, never a 409 that would keep the counter's outbox
row (and every later intake) queued for ever."""

from __future__ import annotations

from central.conftest import Platform
from central.test_back_office import CLERK, QYKB, case_body

NUMBER = "JY01-20261123-05-0001"


def test_a_resend_after_the_platform_changed_the_case_is_a_replay(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    body = case_body(NUMBER, QYKB)
    headers = clerk | {"Idempotency-Key": "draft-resend"}
    first = p.client.post("/cases", json=body, headers=headers)
    assert first.status_code == 201, first.text
    # The platform changes its copy: the instant item is decided at the counter.
    result = {"name": "税务信息确认", "issued_on": "2026-11-23", "medium": "electronic"}
    decided = p.client.post(f"/cases/{NUMBER}/instant/SW-01", json=result, headers=clerk)
    assert decided.status_code == 200, decided.text
    # The first answer was lost; the outbox sends the same case under the same key.
    again = p.client.post("/cases", json=body, headers=headers)
    assert again.status_code == 200, again.text
    stored = p.client.get(f"/cases/{NUMBER}", headers=clerk).json()
    assert stored["data"]["instant"]["SW-01"]["name"] == "税务信息确认"  # nothing undone


def test_a_sending_stored_before_the_shape_was_checked_is_still_a_replay(
    platform: Platform,
) -> None:
    """An outbox row sent to an older platform, its answer lost, sent again after the
    upgrade: the fingerprint is of what was sent, so it is the same sending."""
    import json
    from datetime import UTC, datetime

    from sqlmodel import Session

    from clerk_console.central.cases import body_digest
    from clerk_console.central.models import CaseRow, CaseSubmission

    p = platform
    body = case_body(NUMBER, ["BDC-01"])
    raw = json.dumps(body["data"], ensure_ascii=False, sort_keys=True)
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with Session(p.engine) as s, s.begin():  # as the older platform stored it
        s.add(
            CaseRow(
                number=NUMBER,
                idempotency_key="draft-old",
                hall="JY01",
                counter=5,
                clerk="clerk01",
                status="accepted",
                data_json=raw,
                received_at=at,
            )
        )
        s.flush()
        s.add(
            CaseSubmission(
                idempotency_key="draft-old",
                case_number=NUMBER,
                status="accepted",
                body_sha256=body_digest(NUMBER, "accepted", raw),
                received_at=at,
            )
        )
    headers = p.login(*CLERK, counter=5) | {"Idempotency-Key": "draft-old"}
    again = p.client.post("/cases", json=body, headers=headers)
    assert again.status_code == 200, again.text
