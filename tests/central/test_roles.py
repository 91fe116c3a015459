"""Every endpoint with every role: the forbidden ones answer 403, and nobody unnamed gets in."""

from __future__ import annotations

from typing import Any

import pytest
from central.conftest import Platform

LOGINS = {
    "clerk": ("clerk01", "111111", 5),
    "supervisor": ("super01", "222222", None),
    "guide": ("guide01", "333333", None),
    "admin": ("admin", "999999", None),
    "approver": ("scjg01", "444401", None),
}
COUNTER = {"clerk", "supervisor"}
EVERYONE = set(LOGINS)
ISSUERS = {"guide", "supervisor", "admin"}
BOOKING = {"line": "B", "starts_at": "2026-11-23T10:00:00Z", "ends_at": "2026-11-23T10:30:00Z"}
ENDPOINTS: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "/auth/me", None, EVERYONE),
    ("GET", "/hall", None, {"supervisor", "admin"}),
    ("POST", "/tickets", {"line": "B"}, ISSUERS),
    ("GET", "/tickets/B001", None, EVERYONE),
    ("POST", "/tickets/B001/move", {"line": "A"}, {"supervisor"}),
    ("POST", "/appointments", BOOKING, ISSUERS),
    (
        "POST",
        "/cases",
        {
            "number": "JY01-20261123-05-0001",
            "status": "accepted",
            "data": {"applicant": {"kind": "person"}},
        },
        COUNTER,
    ),
    ("GET", "/cases/JY01-20261123-05-0001", None, COUNTER | {"admin"}),
    ("GET", "/registries/HUJI/11010519491231002X", None, COUNTER),
    ("POST", "/staff/clerk02/unlock", None, {"supervisor", "admin"}),
    ("GET", "/preapplications/YS2026112201", None, COUNTER),
    ("GET", "/appointments", None, ISSUERS),
    ("POST", "/appointments/00000000/check-in", None, ISSUERS),
    ("POST", "/counters/5/call-next", None, COUNTER),
    ("POST", "/counters/5/call", {"number": "B001"}, COUNTER),
    ("POST", "/counters/5/recall", None, COUNTER),
    ("POST", "/counters/5/serve", None, COUNTER),
    ("POST", "/counters/5/no-show", None, COUNTER),
    ("POST", "/counters/5/requeue", None, COUNTER),
    ("POST", "/counters/5/park", None, COUNTER),
    ("POST", "/counters/5/transfer", {"line": "A"}, COUNTER),
    ("POST", "/counters/5/finish", {"outcome": "other"}, COUNTER),
    ("POST", "/counters/5/walk-in", {"line": "A"}, COUNTER),
    ("POST", "/counters/5/status", {"status": "paused"}, COUNTER),
    ("POST", "/counters/5/takeover", None, {"supervisor"}),
]


@pytest.fixture
def tokens(platform: Platform) -> dict[str, dict[str, str]]:
    return {role: platform.login(u, pin, counter) for role, (u, pin, counter) in LOGINS.items()}


def test_role_matrix(platform: Platform, tokens: dict[str, dict[str, str]]) -> None:
    p = platform
    p.client.post("/tickets", json={"line": "B"}, headers=tokens["guide"])
    problems = []
    for method, path, body, allowed in ENDPOINTS:
        anonymous = p.client.request(method, path, json=body)
        if anonymous.status_code != 401:
            problems.append(f"{method} {path} without login: {anonymous.status_code}")
        for role in LOGINS:
            r = p.client.request(method, path, json=body, headers=tokens[role])
            denied = r.status_code == 403 and r.json()["error"] == "role_forbidden"
            if (role in allowed) == denied:
                problems.append(f"{method} {path} as {role}: {r.status_code} {r.text[:80]}")
    assert problems == []


def test_a_clerk_acts_only_at_the_counter_of_the_login(
    platform: Platform, tokens: dict[str, dict[str, str]]
) -> None:
    r = platform.client.post("/counters/3/call-next", headers=tokens["clerk"])
    assert r.status_code == 403 and r.json()["error"] == "not_your_counter"


def test_only_counter_staff_sit_at_a_counter(platform: Platform) -> None:
    r = platform.client.post(
        "/auth/login", json={"username": "guide01", "pin": "333333", "counter": 2}
    )
    assert r.status_code == 403 and r.json()["error"] == "no_counter_for_role"
