"""Appointments: booked at the platform, checked in at the kiosk, called first when due;
early and late arrivals as the config says (15 minutes early, 30 late by default)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from central.conftest import START, Platform

GUIDE = ("guide01", "333333")
CLERK = ("clerk01", "111111")


def book(p: Platform, headers: dict[str, str], start: datetime, **extra: Any) -> Any:
    body = {
        "line": "B",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=30)).isoformat(),
        **extra,
    }
    return p.client.post("/appointments", json=body, headers=headers)


def check_in(p: Platform, headers: dict[str, str], code: str) -> Any:
    return p.client.post(f"/appointments/{code}/check-in", headers=headers)


def test_an_early_arrival_is_called_first_once_the_window_is_near(platform: Platform) -> None:
    p = platform
    guide, clerk = p.login(*GUIDE), p.login(*CLERK, counter=5)
    booking = book(p, guide, START + timedelta(hours=1), name="张三", mobile="13812345678")
    assert booking.status_code == 201, booking.text
    code = booking.json()["code"]
    assert len(code) == 8 and code.isdigit()
    assert booking.json()["mobile"] == "138****5678"

    walk_up = p.client.post("/tickets", json={"line": "B"}, headers=guide).json()
    p.clock.advance(minutes=5)
    slip = check_in(p, guide, code)
    assert slip.status_code == 201, slip.text
    assert slip.json()["on_time"] is True
    assert slip.json()["ticket"]["appointment_at"] == booking.json()["starts_at"]
    assert slip.json()["appointment"]["status"] == "checked_in"
    later = p.client.post("/tickets", json={"line": "B"}, headers=guide).json()

    # 55 minutes before the window: not yet due, so the queue goes by issue time.
    called = p.client.post("/counters/5/call-next", headers=clerk).json()
    assert called["number"] == walk_up["ticket"]["number"]
    p.client.post("/counters/5/finish", json={"outcome": "other"}, headers=clerk)
    # 15 minutes before the window it is due, and goes before the older ordinary ticket.
    p.clock.advance(minutes=41)
    called = p.client.post("/counters/5/call-next", headers=clerk).json()
    assert called["number"] == slip.json()["ticket"]["number"]
    p.client.post("/counters/5/finish", json={"outcome": "other"}, headers=clerk)
    assert (
        p.client.post("/counters/5/call-next", headers=clerk).json()["number"]
        == (later["ticket"]["number"])
    )


def test_a_late_arrival_queues_as_usual(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    code = book(p, guide, START + timedelta(minutes=10)).json()["code"]  # ends at +40
    in_time = book(p, guide, START + timedelta(minutes=12)).json()["code"]  # ends at +42
    p.clock.advance(minutes=71)  # 31 minutes after the first window, 29 after the second
    guide = p.login(*GUIDE)  # the tests' logins last an hour
    assert check_in(p, guide, in_time).json()["on_time"] is True
    slip = check_in(p, guide, code).json()
    assert slip["on_time"] is False
    assert slip["ticket"]["appointment_at"] is None and slip["ticket"]["status"] == "waiting"


def test_bookings_refused_with_reasons(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    start = START + timedelta(hours=1)
    backwards = {"ends_at": (start - timedelta(minutes=5)).isoformat()}
    assert book(p, guide, start, **backwards).json()["error"] == "appointment_window"
    assert book(p, guide, start, mobile="12345").json()["error"] == "bad_mobile"
    assert book(p, guide, start, line="Z").json()["error"] == "unknown_line"
    past = book(p, guide, START - timedelta(hours=2))
    assert past.status_code == 400 and past.json()["error"] == "appointment_past"
    naive = p.client.post(
        "/appointments",
        json={"line": "B", "starts_at": "2026-11-23T10:00", "ends_at": "2026-11-23T10:30"},
        headers=guide,
    )
    assert naive.status_code == 422  # a time without its zone is ambiguous
    assert p.client.get("/appointments", headers=guide).json() == []  # nothing was booked


def test_check_in_refusals_leave_the_queue_alone(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    code = book(p, guide, START + timedelta(minutes=30)).json()["code"]
    tomorrow = book(p, guide, START + timedelta(days=1)).json()["code"]
    unknown = check_in(p, guide, "99999999")
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_appointment"
    assert check_in(p, guide, tomorrow).json()["error"] == "appointment_not_today"
    assert check_in(p, guide, code).status_code == 201
    again = check_in(p, guide, code)
    assert again.status_code == 409 and again.json()["error"] == "already_checked_in"
    queue = p.client.get("/queue").json()
    assert next(line for line in queue["lines"] if line["prefix"] == "B")["waiting"] == 1
    listed = p.client.get("/appointments", headers=guide).json()
    assert [(a["code"], a["status"]) for a in listed] == [(code, "checked_in")]
