"""Who wins when the counter and a department both touch a case (issue 13, finding 8):
the department on its handoff's state, the counter on its own intake. A counter's late
resend (its answer was lost) or its supplement never undoes a department's decision; a
department's decision never rewrites what the counter recorded."""

from __future__ import annotations

from central.conftest import Platform
from central.test_back_office import CLERK, approve, approver, case_body, handoffs_of

NUMBER = "JY01-20261123-05A-0001"
ITEMS = ["GA-HJ02", "BDC-01"]


def test_the_department_wins_on_handoffs_and_the_counter_on_its_intake(
    platform: Platform,
) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    body = case_body(NUMBER, ITEMS)
    headers = clerk | {"Idempotency-Key": "draft-conflict"}
    assert p.client.post("/cases", json=body, headers=headers).status_code == 201
    handoffs = handoffs_of(p, NUMBER)
    returned = {"materials": ["residence_proof"], "reason": "居住证明已过期"}
    sent_back = p.client.post(
        f"/handoffs/{handoffs['GA']['id']}/return", json=returned, headers=approver(p, "GA")
    )
    assert sent_back.status_code == 200, sent_back.text
    assert approve(p, "BDC", handoffs["BDC"]["id"], "不动产登记证明").status_code == 200

    # The counter's first sending, its answer lost, comes again after both decisions.
    again = p.client.post("/cases", json=body, headers=headers)
    assert again.status_code == 200, again.text
    states = {d: h["status"] for d, h in handoffs_of(p, NUMBER).items()}
    assert states == {"GA": "returned", "BDC": "approved"}  # the departments' states stand

    # The applicant brings the material: the counter's record of it is the case's; only
    # the returned handoff goes back to its department, the approved one stays approved.
    brought = {"materials": {"residence_proof": {"original": "verified", "copies": 1}}}
    resumed = p.client.post(f"/cases/{NUMBER}/supplement", json=brought, headers=clerk)
    assert resumed.status_code == 200, resumed.text
    states = {d: h["status"] for d, h in handoffs_of(p, NUMBER).items()}
    assert states == {"GA": "open", "BDC": "approved"}
    stored = p.client.get(f"/cases/{NUMBER}", headers=clerk).json()
    record = stored["data"]["materials"]["residence_proof"]
    assert (record["original"], record["copies"], record["marked_missing"]) == (
        "verified",
        1,
        False,
    )
    # A department decides its handoff; the intake the counter recorded is unchanged.
    before = {k: stored["data"][k] for k in ("applicant", "form", "materials", "answers")}
    assert approve(p, "GA", handoffs["GA"]["id"], "户口迁移证").status_code == 200
    after = p.client.get(f"/cases/{NUMBER}", headers=clerk).json()["data"]
    assert {k: after[k] for k in before} == before
