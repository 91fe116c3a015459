"""A case's body has a checked shape: a malformed one is a 422 naming the field and is not
stored; and nothing already stored (a case from before the check, mended by hand) can make a
list of the whole hall fail (issue 12, finding 3)."""

from __future__ import annotations

from typing import Any

import pytest
from central.conftest import Platform
from central.test_back_office import CLERK, approver, case_body, send
from sqlmodel import Session, func, select

from clerk_console.central.models import CaseRow


def stored(p: Platform) -> int:
    with Session(p.engine) as s:
        return int(s.exec(select(func.count()).select_from(CaseRow)).one())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"materials": {"sale_contract": {"deferred_until": "soon"}}}, "deferred_until"),
        ({"materials": ["sale_contract"]}, "materials"),
        ({"applicant": "张三"}, "applicant"),
        ({"decision": {"kind": "approve"}}, "kind"),
        ({"form": {"company_name": {"nested": 1}}}, "form"),
        ({"selection": {"items": "BDC-01"}}, "items"),
        ({"answers": {"agent": ["yes"]}}, "answers"),
        ({"instant": {"SW-01": {"name": "forged result"}}}, "instant"),
    ],
)
def test_a_malformed_case_is_refused_naming_the_field(
    platform: Platform, change: dict[str, Any], field: str
) -> None:
    p = platform
    body = case_body("JY01-20261123-05-0001", ["BDC-01"])
    body["data"] |= change
    headers = p.login(*CLERK, counter=5) | {"Idempotency-Key": "draft-malformed"}
    answer = p.client.post("/cases", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert field in answer.json()["message"]
    assert stored(p) == 0
    # Mended, the same key is taken: a refusal consumed nothing.
    fixed = case_body("JY01-20261123-05-0001", ["BDC-01"])
    assert p.client.post("/cases", json=fixed, headers=headers).status_code == 201


def test_cases_stored_damaged_do_not_break_the_hall_lists(platform: Platform) -> None:
    """Cases written before the shape was checked: a deferral date that is no date,
    materials as a list, a material the catalog no longer has, no applicant, and text that
    is no JSON at all. Every list still answers, with the sound cases in it."""
    p = platform
    good = "JY01-20261123-05-0001"
    body = case_body(good, ["BDC-01"], {"sale_contract": {"deferred_until": "2026-11-25"}})
    body["status"] = "deferred"
    headers = p.login(*CLERK, counter=5) | {"Idempotency-Key": "draft-good"}
    assert p.client.post("/cases", json=body, headers=headers).status_code == 201
    damaged = {
        "JY01-20261123-05-0002": '{"applicant": {"kind": "person", "name": "张三"}, '
        '"materials": {"sale_contract": {"deferred_until": "not a date"}}}',
        "JY01-20261123-05-0003": '{"applicant": {"kind": "person"}, "materials": ["x"]}',
        "JY01-20261123-05-0004": '{"applicant": {"kind": "person"}, '
        '"materials": {"gone_material": {"deferred_until": "2026-11-24"}}, '
        '"selection": {"items": ["GONE-01"]}, "instant": {"GONE-02": null}}',
        "JY01-20261123-05-0005": '{"materials": {}}',
        "JY01-20261123-05-0006": "this is not JSON",
    }
    for number in damaged:
        send(p, number, ["BDC-01"])  # a sound case with its handoff first...
    with Session(p.engine) as s:  # ...then its stored data damaged, as a hand would
        for number, text in damaged.items():
            row = s.get(CaseRow, number)
            assert row is not None
            row.data_json, row.status = text, "deferred"
            s.add(row)
        s.commit()
    clerk = p.login(*CLERK, counter=5)
    deferrals = p.client.get("/deferrals", headers=clerk)
    assert deferrals.status_code == 200, deferrals.text
    listed = {d["case_number"]: d for d in deferrals.json()}
    assert good in listed
    assert listed["JY01-20261123-05-0004"]["material_name"] == "gone_material"
    for number in damaged:
        found = p.client.get("/cases", params={"q": number}, headers=clerk)
        assert found.status_code == 200, (number, found.text)
        assert [c["number"] for c in found.json()] == [number]
        one = p.client.get(f"/cases/{number}", headers=clerk)
        assert one.status_code == 200, (number, one.text)
    bdc = approver(p, "BDC")
    inbox = p.client.get("/handoffs", headers=bdc)
    assert inbox.status_code == 200, inbox.text
    assert len(inbox.json()) == 1 + len(damaged)
    for handoff in inbox.json():
        detail = p.client.get(f"/handoffs/{handoff['id']}", headers=bdc)
        assert detail.status_code == 200, (handoff["case_number"], detail.text)
    assert p.client.get("/ready-cases", headers=clerk).status_code == 200
    assert p.client.get("/deadlines", headers=p.login("super01", "222222")).status_code == 200
