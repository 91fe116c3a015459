"""Queue steps sent again after their answer was lost (issue 13, finding 1): a step that
names the ticket it finishes answers what it did the first time, and never finishes the
ticket it called (which the counter has not seen yet); on both databases."""

from __future__ import annotations

from typing import Any

from central.conftest import Platform

CLERK = ("clerk01", "111111")


def statuses(p: Platform, clerk: dict[str, str], *numbers: str) -> list[str]:
    return [p.client.get(f"/tickets/{n}", headers=clerk).json()["status"] for n in numbers]


def step(p: Platform, clerk: dict[str, str], action: str, body: dict[str, Any]) -> Any:
    return p.client.post(f"/counters/5/{action}", json=body, headers=clerk)


def test_finish_and_call_next_sent_twice_finishes_once(platform: Platform) -> None:
    p = platform
    guide = p.login("guide01", "333333")
    for _ in range(3):
        p.client.post("/tickets", json={"line": "B"}, headers=guide)
    clerk = p.login(*CLERK, counter=5)
    assert step(p, clerk, "call-next", {}).json()["number"] == "B001"
    body = {"finish": "accepted", "ticket": "B001"}
    first = step(p, clerk, "call-next", body)
    assert first.status_code == 200 and first.json()["number"] == "B002"
    again = step(p, clerk, "call-next", body)  # the first answer was lost: sent again
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # the same answer: B002, called, not finished
    assert statuses(p, clerk, "B001", "B002", "B003") == ["finished", "called", "waiting"]
    # Finishing, named, sent twice: B002 finished once, and nothing else.
    done = step(p, clerk, "finish", {"outcome": "consulted", "ticket": "B002"})
    redone = step(p, clerk, "finish", {"outcome": "consulted", "ticket": "B002"})
    assert done.status_code == redone.status_code == 200
    assert done.json()["number"] == redone.json()["number"] == "B002"
    assert statuses(p, clerk, "B001", "B002", "B003") == ["finished", "finished", "waiting"]


def test_a_step_naming_a_ticket_the_counter_does_not_hold_is_refused(platform: Platform) -> None:
    p = platform
    guide = p.login("guide01", "333333")
    for _ in range(2):
        p.client.post("/tickets", json={"line": "B"}, headers=guide)
    clerk = p.login(*CLERK, counter=5)
    step(p, clerk, "call-next", {})  # B001
    wrong = step(p, clerk, "call-next", {"finish": "accepted", "ticket": "B002"})
    assert wrong.status_code == 409 and wrong.json()["error"] == "not_at_hand"
    assert "B001" in wrong.json()["message"]
    assert statuses(p, clerk, "B001", "B002") == ["called", "waiting"]  # nothing done
    plain = step(p, clerk, "call-next", {})  # a plain call sent again: the counter is busy
    assert plain.status_code == 409 and plain.json()["error"] == "counter_busy"
