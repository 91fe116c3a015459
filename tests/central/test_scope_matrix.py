"""Who may read and do what to an applicant's case, through real HTTP on both databases
(issue 12): every endpoint that touches a case, by no login, a clerk at the case's own
counter and at another, an approver of a department the case went to and of another, and a
supervisor; asserting the status and whether the answer holds the applicant's identifiers
in full."""

from __future__ import annotations

import hashlib
from typing import Any

from central.conftest import Platform
from central.test_back_office import AGENT_ID, send

NUMBER = "JY01-20261123-05-0001"
FULL = (AGENT_ID, "51050219900101123X", "13912345678", "13812345678")
PDF = b"%PDF-1.4\n% scope matrix\n"
WHO = {
    "no login": None,
    "clerk, own counter": ("clerk01", "111111", 5),
    "clerk, other counter": ("clerk02", "111112", 6),
    "approver, own department": ("bdc01", "444408", None),
    "approver, other department": ("ga01", "444402", None),
    "supervisor": ("super01", "222222", None),
}
# endpoint -> who -> (status, full identifiers in the answer?); None: not checked (no body).
Expect = dict[str, tuple[int, bool | None]]
MATRIX: dict[str, Expect] = {
    "GET /cases/{n}": {
        "no login": (401, False),
        "clerk, own counter": (200, True),
        "clerk, other counter": (200, False),
        "approver, own department": (403, False),
        "approver, other department": (403, False),
        "supervisor": (200, False),
    },
    "GET /cases/{n}?reveal=true": {
        "no login": (401, False),
        "clerk, own counter": (200, True),
        "clerk, other counter": (403, False),
        "approver, own department": (403, False),
        "approver, other department": (403, False),
        "supervisor": (200, True),
    },
    "GET /cases?q={id}": {
        "no login": (401, False),
        "clerk, own counter": (200, False),
        "clerk, other counter": (200, False),
        "approver, own department": (403, False),
        "approver, other department": (403, False),
        "supervisor": (200, False),
    },
    "GET /cases?q=%": {
        "no login": (401, False),
        "clerk, own counter": (400, False),
        "clerk, other counter": (400, False),
        "approver, own department": (403, False),
        "approver, other department": (403, False),
        "supervisor": (400, False),
    },
    "GET /cases/{n}/files/{sha}": {
        "no login": (401, None),
        "clerk, own counter": (200, None),
        "clerk, other counter": (403, None),
        "approver, own department": (200, None),
        "approver, other department": (403, None),
        "supervisor": (200, None),
    },
    "PUT /cases/{n}/files/{sha}": {
        "no login": (401, None),
        "clerk, own counter": (201, None),
        "clerk, other counter": (403, None),
        "approver, own department": (403, None),
        "approver, other department": (403, None),
        "supervisor": (201, None),
    },
    "GET /handoffs/{h}": {
        "no login": (401, False),
        "clerk, own counter": (403, False),
        "clerk, other counter": (403, False),
        "approver, own department": (200, False),
        "approver, other department": (403, False),
        "supervisor": (200, False),
    },
    "GET /handoffs/{h}?reveal=true": {
        "no login": (401, False),
        "clerk, own counter": (403, False),
        "clerk, other counter": (403, False),
        "approver, own department": (200, True),
        "approver, other department": (403, False),
        "supervisor": (200, True),
    },
    "GET /registries/HUJI/{id}": {
        "no login": (401, False),
        "clerk, own counter": (200, None),
        "clerk, other counter": (200, None),
        "approver, own department": (403, False),
        "approver, other department": (403, False),
        "supervisor": (403, False),  # not at a counter
    },
    "GET /changes": {
        "no login": (200, False),
        "clerk, own counter": (200, None),
        "clerk, other counter": (200, None),
        "approver, own department": (200, None),
        "approver, other department": (200, None),
        "supervisor": (200, None),
    },
}


def test_every_endpoint_by_every_scope(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    owner = p.login("clerk01", "111111", 5)
    sha = hashlib.sha256(PDF).hexdigest()
    put = p.client.put(
        f"/cases/{NUMBER}/files/{sha}",
        params={"material": "sale_contract", "name": "scan.pdf"},
        content=PDF,
        headers={**owner, "Content-Type": "application/pdf"},
    )
    assert put.status_code == 201, put.text
    handoff = p.client.get("/handoffs", headers=p.login("bdc01", "444408")).json()[0]["id"]
    headers = {
        who: {} if login is None else p.login(*login) if login[2] else p.login(login[0], login[1])
        for who, login in WHO.items()
    }
    problems: list[str] = []
    for endpoint, expected in MATRIX.items():
        for who, (status, full) in expected.items():
            answer = call(p, endpoint, headers[who], sha, handoff, who)
            shown = any(number in answer.text for number in FULL)
            if answer.status_code != status or (full is not None and shown != full):
                problems.append(
                    f"{endpoint} by {who}: {answer.status_code}, full identifiers {shown};"
                    f" expected {status}, {full}: {answer.text[:120]}"
                )
    assert problems == []


def call(
    p: Platform, endpoint: str, headers: dict[str, str], sha: str, handoff: int, who: str
) -> Any:
    method, path = endpoint.split(" ", 1)
    path = path.format(n=NUMBER, sha=sha, h=handoff, id=AGENT_ID)
    if method == "PUT":  # each its own file, so an allowed one is a new one
        content = PDF + who.encode()
        digest = hashlib.sha256(content).hexdigest()
        return p.client.put(
            path.replace(sha, digest),
            params={"material": "sale_contract", "name": "scan.pdf"},
            content=content,
            headers={**headers, "Content-Type": "application/pdf"},
        )
    base, _, query = path.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&")) if query else None
    return p.client.request(method, base, params=params, headers=headers)
