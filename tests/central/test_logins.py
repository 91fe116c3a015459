"""Logins under attack (issue 12, finding 6): parallel wrong PINs check no more than five;
an unknown name costs a PIN check and locks like a real one, so neither time nor answers
tell which names are staff; a supervisor unlocks a locked name, recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from central.conftest import HASHER, SECRET, Clock, fresh_engine
from fastapi.testclient import TestClient

from clerk_console.central.api import create_app
from clerk_console.central.db import init_platform
from clerk_console.central.security import PinHasher
from clerk_console.config import CentralConfig, validate


class CountingHasher(PinHasher):
    """The real hasher, counting the PINs it checks (how many guesses an attacker got)."""

    def __init__(self) -> None:
        super().__init__(SECRET, time_cost=1, memory_cost=1024)
        self.checked = 0
        self._lock = threading.Lock()

    def verify(self, stored: str, pin: str) -> bool:
        with self._lock:
            self.checked += 1
        return super().verify(stored, pin)


@pytest.fixture
def hall(backend: str, tmp_path: Path) -> Iterator[tuple[TestClient, CountingHasher, Clock]]:
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET})
    engine = fresh_engine(backend, tmp_path)
    init_platform(engine, config, HASHER)
    hasher, clock = CountingHasher(), Clock()
    with TestClient(create_app(config, engine, clock=clock, hasher=hasher)) as client:
        yield client, hasher, clock
    engine.dispose()


def attempt(client: TestClient, username: str, pin: str) -> tuple[int, str]:
    answer = client.post("/auth/login", json={"username": username, "pin": pin})
    return answer.status_code, answer.json().get("error", "")


def test_sixty_wrong_pins_at_once_check_no_more_than_five(
    hall: tuple[TestClient, CountingHasher, Clock],
) -> None:
    client, hasher, _clock = hall
    with ThreadPoolExecutor(max_workers=60) as pool:
        answers = list(pool.map(lambda i: attempt(client, "clerk02", f"{i:06d}"), range(60)))
    assert hasher.checked <= 5, f"{hasher.checked} PINs were checked"
    assert {a for a in answers} <= {(401, "bad_credentials"), (403, "locked")}
    # The try that used the last attempt says "locked" itself; the checked ones before it
    # said "wrong PIN".
    assert answers.count((401, "bad_credentials")) == hasher.checked - 1
    assert attempt(client, "clerk02", "111112") == (403, "locked")  # the right PIN too, now


def test_an_unknown_name_is_checked_and_locked_like_a_real_one(
    hall: tuple[TestClient, CountingHasher, Clock],
) -> None:
    client, hasher, clock = hall
    seen: dict[str, list[tuple[int, str]]] = {}
    for name in ("clerk02", "nobody"):
        before = hasher.checked
        seen[name] = [attempt(client, name, "000000") for _ in range(6)]
        assert hasher.checked - before == 5  # a PIN check each, for a real name or not
    # The fifth wrong PIN is told at once that it locked the name.
    assert (
        seen["clerk02"] == seen["nobody"] == [(401, "bad_credentials")] * 4 + [(403, "locked")] * 2
    )
    clock.advance(minutes=16)  # the lock ends on its own
    assert attempt(client, "clerk02", "111112") == (200, "")
    assert attempt(client, "nobody", "111112") == (401, "bad_credentials")


def test_a_supervisor_unlocks_a_locked_name_and_it_is_recorded(
    hall: tuple[TestClient, CountingHasher, Clock],
) -> None:
    client, _hasher, _clock = hall
    for _ in range(5):
        attempt(client, "clerk02", "000000")
    assert attempt(client, "clerk02", "111112") == (403, "locked")
    clerk = client.post("/auth/login", json={"username": "clerk01", "pin": "111111"}).json()
    as_clerk = {"Authorization": f"Bearer {clerk['token']}"}
    refused = client.post("/staff/clerk02/unlock", headers=as_clerk)
    assert refused.status_code == 403 and refused.json()["error"] == "role_forbidden"
    boss = client.post("/auth/login", json={"username": "super01", "pin": "222222"}).json()
    as_boss = {"Authorization": f"Bearer {boss['token']}"}
    start = client.get("/changes", headers=as_boss).json()["cursor"]
    done = client.post("/staff/clerk02/unlock", headers=as_boss)
    assert done.status_code == 200 and done.json() == {"username": "clerk02", "was_locked": True}
    assert attempt(client, "clerk02", "111112") == (200, "")
    feed = client.get("/changes", params={"after": start}, headers=as_boss).json()["changes"]
    unlocks = [c["data"] for c in feed if c["topic"] == "unlock"]
    assert unlocks == [{"username": "clerk02", "by": "super01", "was_locked": True}]


def test_kiosks_logging_in_together_are_all_let_in(
    hall: tuple[TestClient, CountingHasher, Clock],
) -> None:
    """Eight kiosks start at once with the same account and the right PIN: attempts being
    checked are waited for, not taken for a lock (a bench found that)."""
    client, _hasher, _clock = hall
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _i: attempt(client, "guide01", "333333"), range(8)))
    assert answers == [(200, "")] * 8
