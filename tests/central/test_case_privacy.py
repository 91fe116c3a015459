"""Who may read an applicant's identifiers (issue 12, finding 2): cases are found by a whole
identifier only (no patterns, no prefixes), read in full only at the counter that took them
in (or by a recorded reveal), and the query password is never shown again."""

from __future__ import annotations

from typing import Any

import pytest
from central.conftest import Platform
from central.test_back_office import AGENT_ID, CLERK, case_body, events, send

NUMBER = "JY01-20261123-05-0001"
OTHER_CLERK = ("clerk02", "111112")


def search(p: Platform, query: str, headers: dict[str, str]) -> Any:
    return p.client.get("/cases", params={"q": query}, headers=headers)


@pytest.mark.parametrize(
    "query",
    [
        "%",
        "_",
        "110101%",
        "1101051949%",
        "139%",
        "张%",
        "江阳%",
        "%13912345678%",
        AGENT_ID[:17],
        AGENT_ID + "%",
        "1391234567_",
        "JY01-20261123-05-%",
        "2026",
    ],
)
def test_a_search_takes_only_a_whole_identifier(platform: Platform, query: str) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    answer = search(p, query, p.login(*CLERK, counter=5))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "whole_identifier"


@pytest.mark.parametrize(
    "query",
    [
        NUMBER,
        NUMBER.lower(),
        f" {NUMBER} ",
        AGENT_ID,
        AGENT_ID.lower(),
        "13912345678",
        "91110000600037341L",
        "+86 139 1234 5678",
    ],
)
def test_a_whole_identifier_finds_the_case_masked(platform: Platform, query: str) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    send(p, "JY01-20261123-05-0002", ["BDC-01"])  # the same applicant's second case
    found = search(p, query, p.login(*OTHER_CLERK, counter=6))
    assert found.status_code == 200, found.text
    numbers = [c["number"] for c in found.json()]
    assert NUMBER in numbers and (len(numbers) == 1 if query.strip().startswith("JY") else True)
    assert AGENT_ID not in found.text and "13912345678" not in found.text
    assert "query_password" not in found.text


def test_a_case_is_read_in_full_only_at_its_counter_and_every_full_read_is_recorded(
    platform: Platform,
) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    before = events(p, NUMBER).count("case.read_full")
    # Another counter: masked, nothing recorded.
    elsewhere = p.client.get(f"/cases/{NUMBER}", headers=p.login(*OTHER_CLERK, counter=6))
    assert elsewhere.status_code == 200, elsewhere.text
    case = elsewhere.json()
    assert case["masked"] is True
    assert case["data"]["agent"]["id_number"] != AGENT_ID
    assert AGENT_ID not in elsewhere.text and "51050219900101123X" not in elsewhere.text
    assert "13912345678" not in elsewhere.text and "13812345678" not in elsewhere.text
    assert case["data"]["applicant"]["legal_representative"] == "李*"
    assert "query_password" not in elsewhere.text
    assert events(p, NUMBER).count("case.read_full") == before
    # Asking to see it in full from another counter is refused for a case not waiting there.
    reveal = p.client.get(
        f"/cases/{NUMBER}", params={"reveal": "true"}, headers=p.login(*OTHER_CLERK, counter=6)
    )
    assert reveal.status_code == 403 and reveal.json()["error"] == "not_your_counter"
    # Its own counter: in full, and the read is on the case's trail, who and where.
    own = p.client.get(f"/cases/{NUMBER}", headers=p.login(*CLERK, counter=5))
    assert own.status_code == 200 and own.json()["masked"] is False
    assert own.json()["data"]["agent"]["id_number"] == AGENT_ID
    assert "query_password" not in own.text
    assert events(p, NUMBER).count("case.read_full") == before + 1


def test_a_supplement_notice_is_revealed_to_the_counter_taking_it_up(platform: Platform) -> None:
    from sqlmodel import Session, col, select

    from clerk_console.central.models import CaseEvent

    p = platform
    body = case_body(NUMBER, ["BDC-01"])
    body["status"] = "supplement"
    headers = p.login(*CLERK, counter=5) | {"Idempotency-Key": "draft-notice"}
    assert p.client.post("/cases", json=body, headers=headers).status_code == 201
    other = p.login(*OTHER_CLERK, counter=6)
    assert p.client.get(f"/cases/{NUMBER}", headers=other).json()["masked"] is True
    taken = p.client.get(f"/cases/{NUMBER}", params={"reveal": "true"}, headers=other)
    assert taken.status_code == 200 and taken.json()["masked"] is False
    assert taken.json()["data"]["agent"]["id_number"] == AGENT_ID
    with Session(p.engine) as s:
        reads = s.exec(
            select(CaseEvent)
            .where(CaseEvent.case_number == NUMBER, CaseEvent.kind == "case.read_full")
            .order_by(col(CaseEvent.id))
        ).all()
    assert [r.username for r in reads] == ["clerk02"]
    assert '"counter": 6' in reads[0].detail_json and '"reveal"' in reads[0].detail_json


@pytest.mark.parametrize(
    ("query", "code"),
    [("110105194912310021", "bad_id_number"), ("91110000600037341A", "bad_credit_code")],
)
def test_a_whole_number_that_is_not_valid_is_said_so(
    platform: Platform, query: str, code: str
) -> None:
    """Eighteen characters typed with one wrong: not 'type a whole number' but 'this one is
    not valid'."""
    p = platform
    answer = search(p, query, p.login(*CLERK, counter=5))
    assert answer.status_code == 400 and answer.json()["error"] == code
