"""The queue through real HTTP (the ASGI app), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from central.conftest import Platform
from sqlmodel import Session, col, select

from clerk_console.central.models import TicketEvent, TicketRow

GUIDE = ("guide01", "333333")
CLERK = ("clerk01", "111111")
CLERK2 = ("clerk02", "111112")
SUPER = ("super01", "222222")


def issue(p: Platform, headers: dict[str, str], line: str, **extra: Any) -> dict[str, Any]:
    r = p.client.post("/tickets", json={"line": line, **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def post(p: Platform, path: str, headers: dict[str, str], body: Any = None) -> Any:
    return p.client.post(path, json=body, headers=headers)


def statuses(p: Platform) -> dict[str, str]:
    with Session(p.engine) as s:
        return {t.number: t.status for t in s.exec(select(TicketRow))}


def test_issue_call_finish(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    slips = [issue(p, guide, "B") for _ in range(3)]
    assert [s["ticket"]["number"] for s in slips] == ["B001", "B002", "B003"]
    assert [s["waiting_ahead"] for s in slips] == [0, 1, 2]
    assert slips[0]["hall_name"] == "江阳区政务服务中心"

    clerk = p.login(*CLERK, counter=5)
    p.clock.advance(minutes=4)
    r = post(p, "/counters/5/call-next", clerk)
    assert r.status_code == 200 and r.json()["number"] == "B001"
    assert r.json()["status"] == "called" and r.json()["counter"] == 5
    assert post(p, "/counters/5/serve", clerk).json()["status"] == "serving"
    r = post(p, "/counters/5/finish", clerk, {"outcome": "accepted"})
    assert r.json()["status"] == "finished" and r.json()["outcome"] == "accepted"
    with Session(p.engine) as s:
        events = s.exec(select(TicketEvent).order_by(col(TicketEvent.id))).all()
        kinds = [
            (e.kind, e.counter, e.username)
            for e in events
            if e.ticket_id == slips[0]["ticket"]["id"]
        ]
    assert kinds == [
        ("issued", None, "guide01"),
        ("called", 5, "clerk01"),
        ("serving", 5, "clerk01"),
        ("finished", 5, "clerk01"),
    ]


def test_numbering_is_per_line_and_restarts_each_day(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    assert issue(p, guide, "B")["ticket"]["number"] == "B001"
    assert issue(p, guide, "A")["ticket"]["number"] == "A001"
    assert issue(p, guide, "B")["ticket"]["number"] == "B002"
    p.clock.advance(days=1)
    guide = p.login(*GUIDE)  # yesterday's login has expired
    assert issue(p, guide, "B")["ticket"]["number"] == "B001"


def test_priority_then_line_order_then_longest_wait(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    issue(p, guide, "A")  # A001, first in the hall
    p.clock.advance(minutes=1)
    issue(p, guide, "B")  # B001
    p.clock.advance(minutes=1)
    issue(p, guide, "A", priority=True)  # A002, green channel
    clerk = p.login(*CLERK, counter=5)  # counter 5 serves B, A, C, D, E in that order
    order = []
    for _ in range(3):
        order.append(post(p, "/counters/5/call-next", clerk).json()["number"])
        post(p, "/counters/5/finish", clerk, {"outcome": "consulted"})
    assert order == ["A002", "B001", "A001"]
    r = post(p, "/counters/5/call-next", clerk)
    assert r.status_code == 409 and r.json()["error"] == "nothing_waiting"


def test_appointments_early_due_and_late(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    issue(p, guide, "B")  # B001, ordinary
    booked = p.clock.now + timedelta(minutes=40)
    issue(p, guide, "B", appointment_at=booked.isoformat())  # B002, early
    late = p.clock.now - timedelta(hours=2)
    slip = issue(p, guide, "B", appointment_at=late.isoformat())  # B003, too late
    assert slip["ticket"]["appointment_at"] is None
    clerk = p.login(*CLERK, counter=3)
    assert post(p, "/counters/3/call-next", clerk).json()["number"] == "B001"
    post(p, "/counters/3/requeue", clerk)
    p.clock.advance(minutes=30)  # the booking is now 10 minutes away: due
    assert post(p, "/counters/3/call-next", clerk).json()["number"] == "B002"


def test_recall_no_show_requeue_park_transfer_walk_in(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    for _ in range(4):
        issue(p, guide, "B")
    clerk = p.login(*CLERK, counter=5)
    post(p, "/counters/5/call-next", clerk)  # B001
    assert post(p, "/counters/5/recall", clerk).json()["recalls"] == 1
    assert post(p, "/counters/5/recall", clerk).json()["recalls"] == 2
    assert post(p, "/counters/5/no-show", clerk).json()["status"] == "no_show"

    post(p, "/counters/5/call-next", clerk)  # B002
    assert post(p, "/counters/5/requeue", clerk).json()["status"] == "waiting"
    # Requeued, it keeps its issue time: called again before B003.
    assert post(p, "/counters/5/call-next", clerk).json()["number"] == "B002"
    assert post(p, "/counters/5/park", clerk).json()["status"] == "parked"
    assert post(p, "/counters/5/call-next", clerk).json()["number"] == "B003"
    post(p, "/counters/5/finish", clerk, {"outcome": "accepted"})
    back = post(p, "/counters/5/call", clerk, {"number": "B002"})
    assert back.status_code == 200 and back.json()["status"] == "called"
    post(p, "/counters/5/finish", clerk, {"outcome": "accepted"})

    post(p, "/counters/5/call-next", clerk)  # B004
    moved = post(p, "/counters/5/transfer", clerk, {"counter": 7}).json()
    assert moved["target_counter"] == 7 and moved["line"] == "D"  # counter 7 serves D only
    clerk2 = p.login(*CLERK2, counter=4)
    assert post(p, "/counters/4/call-next", clerk2).status_code == 409  # not for counter 4
    super_ = p.login(*SUPER, counter=7)
    assert post(p, "/counters/7/call-next", super_).json()["number"] == "B004"

    walk = post(p, "/counters/4/walk-in", clerk2, {"line": "A"})
    assert walk.status_code == 200 and walk.json()["walk_in"] and walk.json()["counter"] == 4


def test_pause_resume_close(platform: Platform) -> None:
    p = platform
    issue(p, p.login(*GUIDE), "B")
    clerk = p.login(*CLERK, counter=5)
    assert post(p, "/counters/5/status", clerk, {"status": "paused"}).json()["status"] == "paused"
    r = post(p, "/counters/5/call-next", clerk)
    assert r.status_code == 409 and r.json()["error"] == "counter_paused"
    assert statuses(p) == {"B001": "waiting"}
    post(p, "/counters/5/status", clerk, {"status": "open"})
    post(p, "/counters/5/call-next", clerk)
    r = post(p, "/counters/5/status", clerk, {"status": "closed"})
    assert r.status_code == 409 and r.json()["error"] == "counter_busy"


def test_bad_requests_answer_clearly_and_change_nothing(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    issue(p, guide, "B")
    clerk = p.login(*CLERK, counter=5)
    before = statuses(p)
    cases = [
        (post(p, "/tickets", guide, {"line": "Z"}), 404, "unknown_line"),
        (post(p, "/counters/99/call-next", clerk), 403, "not_your_counter"),
        (post(p, "/counters/5/call", clerk, {"number": "B099"}), 404, "unknown_ticket"),
        (post(p, "/counters/5/finish", clerk, {"outcome": "accepted"}), 409, "no_current_ticket"),
        (post(p, "/counters/5/transfer", clerk, {}), 409, "no_current_ticket"),
        (
            post(p, "/tickets/B001/move", p.login(*SUPER), {"line": "B", "counter": 3}),
            400,
            "transfer_target",
        ),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"] == code
        assert response.json()["message"]
    malformed = p.client.post("/tickets", content=b"{not json", headers=guide)
    assert malformed.status_code == 422
    assert post(p, "/counters/5/finish", clerk, {"outcome": "whatever"}).status_code == 422
    assert post(p, "/tickets", guide, {"line": "B", "extra": 1}).status_code == 422
    for counter in ("0", "1000", "99999999999999999999"):  # no counter has such a number
        beyond = post(p, f"/counters/{counter}/call-next", clerk)
        assert beyond.status_code == 422 and "number" in beyond.text, beyond.text
    assert statuses(p) == before


def test_logins_tokens_and_lockout(platform: Platform) -> None:
    p = platform
    assert p.client.post("/tickets", json={"line": "B"}).status_code == 401
    bad = {"Authorization": "Bearer nonsense"}
    assert (
        p.client.post("/tickets", json={"line": "B"}, headers=bad).json()["error"]
        == "not_logged_in"
    )
    clerk = p.login(*CLERK, counter=5)
    p.clock.advance(minutes=61)  # token_minutes = 60
    r = post(p, "/counters/5/call-next", clerk)
    assert r.status_code == 401 and r.json()["error"] == "login_expired"

    for _ in range(4):
        r = p.client.post("/auth/login", json={"username": "clerk02", "pin": "000000"})
        assert r.status_code == 401 and r.json()["error"] == "bad_credentials"
    r = p.client.post("/auth/login", json={"username": "clerk02", "pin": "000000"})
    assert r.status_code == 403 and r.json()["error"] == "locked"  # the fifth locks, says so
    r = p.client.post("/auth/login", json={"username": "clerk02", "pin": "111112"})
    assert r.status_code == 403 and r.json()["error"] == "locked"
    p.clock.advance(minutes=16)
    assert (
        p.client.post("/auth/login", json={"username": "clerk02", "pin": "111112"}).status_code
        == 200
    )
    unknown = p.client.post("/auth/login", json={"username": "nobody", "pin": "111111"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "bad_credentials"


def test_a_held_counter_needs_a_supervisor_takeover(platform: Platform) -> None:
    p = platform
    p.login(*CLERK, counter=5)
    r = p.client.post("/auth/login", json={"username": "clerk02", "pin": "111112", "counter": 5})
    assert r.status_code == 409 and r.json()["error"] == "counter_held"
    supervisor = p.login(*SUPER)
    r = post(p, "/counters/5/takeover", supervisor)
    assert r.json() == {"counter": 5, "released": "clerk01"}
    assert p.login(*CLERK2, counter=5)
    changes = p.client.get("/changes", params={"after": 0}, headers=supervisor).json()["changes"]
    takeovers = [c["data"] for c in changes if c["topic"] == "takeover"]
    assert takeovers == [{"counter": 5, "by": "super01", "released": "clerk01"}]


def test_logout_frees_the_counter(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    assert p.client.post("/auth/logout", headers=clerk).status_code == 204
    assert post(p, "/counters/5/call-next", clerk).status_code == 401
    assert p.login(*CLERK2, counter=5)


def test_supervisor_moves_a_waiting_ticket_and_sees_the_hall(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    issue(p, guide, "B")
    issue(p, guide, "C")
    supervisor = p.login(*SUPER)
    moved = post(p, "/tickets/C001/move", supervisor, {"counter": 6})
    assert moved.json()["target_counter"] == 6
    clerk = p.login(*CLERK, counter=5)
    p.clock.advance(minutes=10)
    post(p, "/counters/5/call-next", clerk)
    hall = p.client.get("/hall", headers=supervisor).json()
    lines = {line["prefix"]: line for line in hall["lines"]}
    assert lines["B"]["waiting"] == 0 and lines["B"]["average_wait_seconds"] == 600
    assert lines["C"]["waiting"] == 1 and lines["C"]["longest_wait_seconds"] == 600
    counter5 = next(c for c in hall["counters"] if c["number"] == 5)
    assert counter5["status"] == "open" and counter5["clerk"] == "clerk01"
    assert counter5["ticket"]["number"] == "B001"
    public = p.client.get("/queue").json()
    assert "clerk" not in next(c for c in public["counters"] if c["number"] == 5)
    assert p.client.get("/hall", headers=clerk).status_code == 403


def test_change_feed_long_poll_and_cursor(platform: Platform) -> None:
    p = platform
    first = p.client.get("/changes", params={"after": 0}).json()
    cursor = first["cursor"]
    issue(p, p.login(*GUIDE), "B")
    later = p.client.get("/changes", params={"after": cursor, "wait": 2}).json()
    assert [c["data"]["ticket"]["number"] for c in later["changes"]] == ["B001"]
    assert later["cursor"] > cursor
    empty = p.client.get("/changes", params={"after": later["cursor"], "wait": 0.3}).json()
    assert empty == {"changes": [], "cursor": later["cursor"]}


def test_openapi_documents_every_route(platform: Platform) -> None:
    spec = platform.client.get("/openapi.json").json()

    def flat(routes: list[Any]) -> list[Any]:
        # FastAPI keeps an included router (the back office's) as one node.
        out = []
        for route in routes:
            included = getattr(route, "original_router", None)
            out += flat(included.routes) if included is not None else [route]
        return out

    routes = {
        (method.upper(), route.path)
        for route in flat(platform.client.app.routes)  # type: ignore[attr-defined]
        for method in getattr(route, "methods", ())
        if route.path not in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
        and method != "HEAD"
    }
    documented = {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}
    assert routes == documented
    assert "409" in spec["paths"]["/counters/{number}/call-next"]["post"]["responses"]


def test_a_transferred_ticket_keeps_its_number_and_numbering_goes_on(platform: Platform) -> None:
    p = platform
    guide = p.login(*GUIDE)
    issue(p, guide, "B")
    clerk = p.login(*CLERK, counter=5)
    post(p, "/counters/5/call-next", clerk)
    moved = post(p, "/counters/5/transfer", clerk, {"line": "A"}).json()
    assert (moved["number"], moved["line"]) == ("B001", "A")
    assert issue(p, guide, "A")["ticket"]["number"] == "A001"  # no clash with B001 in line A
    assert p.client.get("/tickets/b001", headers=clerk).json()["line"] == "A"


def test_the_migrated_schema_is_exactly_the_models(platform: Platform) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from clerk_console.central.db import migrate
    from clerk_console.central.models import CentralModel

    with platform.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), CentralModel.metadata)
    assert diffs == []
    assert migrate(platform.engine) is False  # a second run changes nothing


def test_finish_and_call_next_is_one_transaction(platform: Platform) -> None:
    p = platform
    guide, clerk = p.login(*GUIDE), p.login(*CLERK, counter=5)
    for _ in range(2):
        issue(p, guide, "B")
    assert post(p, "/counters/5/call-next", clerk).json()["number"] == "B001"
    r = post(p, "/counters/5/call-next", clerk, {"finish": "accepted"})
    assert r.status_code == 200 and r.json()["number"] == "B002"
    assert statuses(p) == {"B001": "finished", "B002": "called"}
    # Nothing behind B002: refused as a whole, B002 stays at hand and unfinished.
    r = post(p, "/counters/5/call-next", clerk, {"finish": "accepted"})
    assert r.status_code == 409 and r.json()["error"] == "nothing_waiting"
    assert statuses(p) == {"B001": "finished", "B002": "called"}
    bad = post(p, "/counters/5/call-next", clerk, {"finish": "maybe"})
    assert bad.status_code == 422
    assert statuses(p) == {"B001": "finished", "B002": "called"}


def test_the_feed_shows_tickets_and_counters_as_the_api_does(platform: Platform) -> None:
    """On PostgreSQL calling and finishing run in a database function; what it writes to
    the feed and the event log must be what the Python views write on SQLite."""
    import json

    from clerk_console.central.models import ChangeRow, CounterRow
    from clerk_console.central.queue import counter_view, ticket_view

    p = platform
    guide, clerk = p.login(*GUIDE), p.login(*CLERK, counter=5)
    issue(p, guide, "B")
    p.clock.advance(seconds=90.5)
    called = post(p, "/counters/5/call-next", clerk).json()
    p.clock.advance(minutes=3)
    finished = post(p, "/counters/5/finish", clerk, {"outcome": "consulted"}).json()
    with Session(p.engine) as s:
        changes = s.exec(select(ChangeRow).order_by(col(ChangeRow.id))).all()
        ticket = s.exec(select(TicketRow)).one()
        counter = s.get(CounterRow, 5)
        events = s.exec(select(TicketEvent).order_by(col(TicketEvent.id))).all()
    assert counter is not None
    feed = [(c.topic, json.loads(c.payload_json)) for c in changes]
    tickets = [data for topic, data in feed if topic == "ticket"]
    assert [t["event"] for t in tickets][-2:] == ["called", "finished"]
    assert tickets[-2]["ticket"] == called and tickets[-1]["ticket"] == finished
    assert tickets[-1]["ticket"] == ticket_view(ticket)
    assert [data for topic, data in feed if topic == "counter"][-1] == counter_view(counter)
    assert called["called_at"] == "2026-11-23T09:01:30.500000+00:00"
    assert [(e.kind, e.counter, json.loads(e.detail_json)) for e in events][-2:] == [
        ("called", 5, {}),
        ("finished", 5, {"outcome": "consulted"}),
    ]


def test_counter_answers_have_the_documented_shape(platform: Platform) -> None:
    """Counter actions answer ticket_view as it is (no second validation on the hot path):
    it must be exactly what the OpenAPI document promises."""
    from clerk_console.central.api import TicketOut

    p = platform
    guide, clerk = p.login(*GUIDE), p.login(*CLERK, counter=5)
    issue(p, guide, "B")
    answers = [
        post(p, "/counters/5/call-next", clerk),
        post(p, "/counters/5/recall", clerk),
        post(p, "/counters/5/finish", clerk, {"outcome": "other"}),
    ]
    for r in answers:
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert set(r.json()) == set(TicketOut.model_fields)
        assert TicketOut.model_validate(r.json()).model_dump() == r.json()
