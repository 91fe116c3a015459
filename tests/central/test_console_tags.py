"""Case numbers unique across the consoles of a hall (issue 13, finding 5): each console's
store gets a tag of its own at login, the mark in its case numbers; a second console at the
same counter, or a store rebuilt mid-day, gets another."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from central.conftest import Platform

CLERK = ("clerk01", "111111")


def login(p: Platform, console: str | None, counter: int = 5) -> dict[str, Any]:
    body: dict[str, Any] = {"username": CLERK[0], "pin": CLERK[1], "counter": counter}
    if console is not None:
        body["console"] = console
    answer = p.client.post("/auth/login", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_each_store_has_a_tag_of_its_own(platform: Platform) -> None:
    p = platform
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    tag_first = login(p, first)["console_tag"]
    assert login(p, first)["console_tag"] == tag_first  # the same store, the same tag
    tag_second = login(p, second)["console_tag"]  # a second console at counter 5
    assert tag_second != tag_first
    assert login(p, None).get("console_tag") is None  # a kiosk need not name its store
    bad_store = {"username": CLERK[0], "pin": CLERK[1], "console": "x"}
    assert p.client.post("/auth/login", json=bad_store).status_code == 422


def test_a_renewed_tag_is_new_and_kept(platform: Platform) -> None:
    p = platform
    store = uuid.uuid4().hex
    answer = login(p, store)
    old = answer["console_tag"]
    headers = {"Authorization": f"Bearer {answer['token']}"}
    renewed = p.client.post(f"/consoles/{store}/tag", headers=headers)
    assert renewed.status_code == 200, renewed.text
    new = renewed.json()["tag"]
    assert new != old
    assert login(p, store)["console_tag"] == new  # the next login says the new one
    assert login(p, uuid.uuid4().hex)["console_tag"] not in (old, new)
    assert p.client.post(f"/consoles/{store}/tag").status_code == 401


def test_stores_logging_in_at_once_get_distinct_tags(platform: Platform) -> None:
    """Consoles of a hall starting together (first login of each): no 500, no tag twice."""
    p = platform
    stores = [uuid.uuid4().hex for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        tags = list(pool.map(lambda store: login(p, store)["console_tag"], stores))
    assert len(set(tags)) == len(stores)


def test_a_late_logout_leaves_the_counter_with_its_newer_login(platform: Platform) -> None:
    """A logout made at a console while the platform was away reaches it after the clerk
    logged in there again: the old login ends, the counter stays with the new one."""
    p = platform
    old = login(p, None)["token"]
    new = login(p, None)["token"]
    ended = p.client.post("/auth/logout", headers={"Authorization": f"Bearer {old}"})
    assert ended.status_code in (200, 204), ended.text
    boss = p.login("super01", "222222")

    def holder() -> list[str | None]:
        hall = p.client.get("/hall", headers=boss).json()
        return [c["clerk"] for c in hall["counters"] if c["number"] == 5]

    assert holder() == ["clerk01"]
    p.client.post("/auth/logout", headers={"Authorization": f"Bearer {new}"})
    assert holder() == [None]
