"""The back office through real HTTP, on SQLite and PostgreSQL: a 企业开办 case split into
handoffs to five departments, the seal (and the rest) waiting for the licence, each decided
by its own approver, ready, handed out after an ID check; a handoff returned for supplement
whose due date moves by exactly the working days its clock stood still (across a weekend and
across 国庆 2026 with its make-up working day); department scoping; a wrong ID refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from central.conftest import Platform
from sqlmodel import Session, col, select

from clerk_console.central.models import CaseEvent, NotificationRow

CLERK = ("clerk01", "111111")
APPROVERS = {
    "SCJG": ("scjg01", "444401"),
    "GA": ("ga01", "444402"),
    "SW": ("sw01", "444403"),
    "RS": ("rs01", "444404"),
    "GJJ": ("gjj01", "444407"),
    "BDC": ("bdc01", "444408"),
}
QYKB = ["SCJG-QY01", "GA-YZ01", "SW-01", "SW-02", "RS-01", "GJJ-01"]
AGENT_ID = "11010519491231002X"


def case_body(number: str, items: list[str], materials: dict[str, Any] | None = None) -> Any:
    return {
        "number": number,
        "status": "accepted",
        "data": {
            "applicant": {
                "kind": "organisation",
                "name": "江阳示范科技有限公司",
                "id_number": "",
                "mobile": "13912345678",
                "credit_code": "91110000600037341L",
                "legal_representative": "李四",
                "contact": "王五",
            },
            "agent": {"name": "王五", "id_number": AGENT_ID, "mobile": "13812345678"},
            "selection": {"bundle": None, "items": items},
            "answers": {"agent": "yes"},
            "materials": materials or {},
            "form": {
                "company_name": "江阳示范科技有限公司",
                "legal_rep_id_number": "51050219900101123X",
                "contact_mobile": "13912345678",
            },
            "decision": {
                "kind": "accept",
                "case_number": number,
                "promised": {i: {"day": "2026-12-31", "provisional": False} for i in items},
                "query_password": "123456",
            },
            "ticket": None,
        },
    }


def send(p: Platform, number: str, items: list[str], **extra: Any) -> dict[str, Any]:
    clerk = p.login(*CLERK, counter=5)
    headers = clerk | {"Idempotency-Key": f"draft-{number}"}
    sent = p.client.post("/cases", json=case_body(number, items, **extra), headers=headers)
    assert sent.status_code == 201, sent.text
    return dict(sent.json())


def handoffs_of(p: Platform, number: str) -> dict[str, dict[str, Any]]:
    answer = p.client.get(f"/cases/{number}/handoffs", headers=p.login(*CLERK, counter=5))
    assert answer.status_code == 200, answer.text
    return {h["department"]: h for h in answer.json()}


def approver(p: Platform, department: str) -> dict[str, str]:
    return p.login(*APPROVERS[department])


def approve(p: Platform, department: str, handoff: int, name: str, number: str = "") -> Any:
    body = {"name": name, "number": number, "issued_on": "2026-11-23", "medium": "electronic"}
    return p.client.post(f"/handoffs/{handoff}/approve", json=body, headers=approver(p, department))


def events(p: Platform, number: str) -> list[str]:
    with Session(p.engine) as s:
        query = select(CaseEvent.kind).where(CaseEvent.case_number == number)
        return list(s.exec(query.order_by(col(CaseEvent.id))))


def notifications(p: Platform) -> list[dict[str, str]]:
    log = Path(p.config.data_path()) / "notifications.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_the_whole_loop_of_a_company_opening(platform: Platform) -> None:
    p = platform
    number = "JY01-20261123-05-0001"
    sent = send(p, number, QYKB)
    assert sent["progress"] == "in_progress"
    split = handoffs_of(p, number)
    assert sorted(split) == ["GA", "GJJ", "RS", "SCJG", "SW"]  # 即办 SW-01 is not handed off
    assert [i["code"] for i in split["SW"]["items"]] == ["SW-02"]
    licence = split["SCJG"]
    assert licence["status"] == "open" and licence["due_on"] == "2026-11-24"  # 1 working day
    for department in ("GA", "SW", "RS", "GJJ"):  # each needs the business licence first
        assert split[department]["status"] == "waiting" and split[department]["due_on"] is None
        assert split[department]["waits_for"] == ["SCJG-QY01"]

    seal = split["GA"]["id"]
    early = approve(p, "GA", seal, "公章备案")
    assert early.status_code == 409 and early.json()["error"] == "handoff_not_open"
    other = p.client.get(f"/handoffs/{licence['id']}", headers=approver(p, "GA"))
    assert other.status_code == 403 and other.json()["error"] == "not_your_department"
    inbox = p.client.get("/handoffs", headers=approver(p, "GA")).json()
    assert [(h["id"], h["status"]) for h in inbox] == [(seal, "waiting")]

    detail = p.client.get(f"/handoffs/{licence['id']}", headers=approver(p, "SCJG")).json()
    assert detail["applicant"]["name"] == "江阳示范科技有限公司"
    # The form by its labels, ID numbers and mobiles masked until revealed (recorded).
    form = {f["label"]: f["value"] for f in detail["form"]}
    assert form["企业名称"] == "江阳示范科技有限公司"
    assert form["法定代表人身份证号码"] == "510502********123X"
    assert form["联系电话"] == "139****5678"
    revealed = p.client.get(
        f"/handoffs/{licence['id']}?reveal=true", headers=approver(p, "SCJG")
    ).json()
    assert {f["label"]: f["value"] for f in revealed["form"]}["联系电话"] == "13912345678"
    assert "applicant.revealed" in events(p, number)
    codes = [m["code"] for m in detail["materials"]]
    # What the case's checklist asked of this item, the agent's papers included.
    assert "company_application" in codes and "power_of_attorney" in codes

    p.clock.advance(hours=3)
    done = approve(p, "SCJG", licence["id"], "营业执照", "91110000600037341L")
    assert done.status_code == 200, done.text
    split = handoffs_of(p, number)
    for department in ("GA", "SW", "RS", "GJJ"):  # their clocks start with the licence
        assert split[department]["status"] == "open"
        assert split[department]["due_on"] == "2026-11-24"
    for department, result in (("GA", "公章备案"), ("SW", "发票"), ("RS", "社保登记证明")):
        assert approve(p, department, split[department]["id"], result).status_code == 200
    clerk = p.login(*CLERK, counter=5)
    assert p.client.get("/ready-cases", headers=clerk).json() == []
    assert approve(p, "GJJ", split["GJJ"]["id"], "单位缴存登记").status_code == 200
    assert p.client.get("/ready-cases", headers=clerk).json() == []  # 即办 SW-01 is not yet

    # The instant item is decided at the counter by a clerk the department authorised.
    result = {"name": "税务信息确认", "issued_on": "2026-11-23", "medium": "electronic"}
    other = p.login("clerk02", "111112", counter=2)  # holds no such authorisation
    refused = p.client.post(f"/cases/{number}/instant/SW-01", json=result, headers=other)
    assert refused.status_code == 403 and refused.json()["error"] == "no_instant_right"
    clerk = p.login(*CLERK, counter=5)
    not_instant = p.client.post(f"/cases/{number}/instant/GA-YZ01", json=result, headers=clerk)
    assert not_instant.status_code == 400
    decided = p.client.post(f"/cases/{number}/instant/SW-01", json=result, headers=clerk)
    assert decided.status_code == 200, decided.text
    assert decided.json()["instant"] == [
        {"code": "SW-01", "name": "新办纳税人套餐（信息确认）", "decided": True}
    ]
    again = p.client.post(f"/cases/{number}/instant/SW-01", json=result, headers=clerk)
    assert again.status_code == 409

    (ready,) = p.client.get("/ready-cases", headers=clerk).json()
    assert ready["number"] == number and ready["progress"] == "ready"
    assert ready["applicant"]["credit_code"] == "91110000600037341L"
    package = {entry["item"]: entry for entry in ready["package"]}
    assert package["SCJG-QY01"]["result"]["number"] == "91110000600037341L"
    assert sorted(package) == sorted(QYKB)  # one package: handoffs and the instant item
    assert package["SW-01"]["result"]["decided_by"] == "clerk01"

    # The ID number is checked first, alone: whose it is, with the name on file.
    check = p.client.post(f"/cases/{number}/identity", json={"id_number": AGENT_ID.lower()})
    assert check.status_code == 401  # staff only
    check = p.client.post(
        f"/cases/{number}/identity", json={"id_number": AGENT_ID.lower()}, headers=clerk
    )
    assert check.status_code == 200 and check.json() == {"matches": "agent", "name": "王五"}
    stranger = {"id_number": "110105194912310021"}
    check = p.client.post(f"/cases/{number}/identity", json=stranger, headers=clerk)
    assert check.status_code == 403 and check.json()["error"] == "identity_mismatch"
    assert events(p, number).count("delivery.refused") == 1  # on record at once
    wrong = {"how": "pickup", "id_number": "110105194912310021", "recipient": "某人"}
    refused = p.client.post(f"/cases/{number}/deliver", json=wrong, headers=clerk)
    assert refused.status_code == 403 and refused.json()["error"] == "identity_mismatch"
    assert p.client.get(f"/cases/{number}", headers=clerk).json()["progress"] == "ready"
    right = {"how": "pickup", "id_number": AGENT_ID.lower(), "recipient": "王五"}
    delivered = p.client.post(f"/cases/{number}/deliver", json=right, headers=clerk)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["progress"] == "delivered"
    assert delivered.json()["delivery"]["recipient"] == "王五"
    again = p.client.post(f"/cases/{number}/deliver", json=right, headers=clerk)
    assert again.status_code == 409 and again.json()["error"] == "case_not_ready"

    trail = events(p, number)
    assert trail.count("handoff.opened") == 5 and trail.count("handoff.approved") == 5
    assert trail.index("instant.decided") < trail.index("case.ready")
    assert trail.index("delivery.refused") < trail.index("case.delivered")
    assert trail[-1] == "case.delivered" and trail.count("case.ready") == 1
    # The gateway is given the agent's mobile; the log standing in for it keeps it masked.
    with Session(p.engine) as s:
        queued = s.exec(
            select(NotificationRow)
            .where(NotificationRow.case_number == number)
            .order_by(col(NotificationRow.id))
        ).all()
    assert [(n.kind, n.mobile, n.status) for n in queued] == [
        ("accepted", "13812345678", "sent"),
        ("ready", "13812345678", "sent"),
    ]
    assert "查询密码123456" in queued[0].text
    told = [(n["kind"], n["mobile"]) for n in notifications(p) if n["case"] == number]
    assert told == [("accepted", "138****5678"), ("ready", "138****5678")]
    assert "受理编号JY01-20261123-05-0001" in notifications(p)[0]["text"]
    assert "123456" not in notifications(p)[0]["text"]


def test_the_catalog_suggests_what_comes_next(platform: Platform) -> None:
    p = platform
    number = "JY01-20261123-05-0002"
    send(p, number, ["BDC-01"])
    (handoff,) = handoffs_of(p, number).values()
    assert (
        approve(
            p, "BDC", handoff["id"], "不动产权证书", "苏(2026)江阳区不动产权第0000001号"
        ).status_code
        == 200
    )
    clerk = p.login(*CLERK, counter=5)
    mail = {
        "how": "mail",
        "id_number": AGENT_ID,
        "recipient": "王五",
        "address": "江阳区人民路1号",
        "carrier": "EMS",
        "tracking": "EA123456789CN",
    }
    missing = {**mail, "tracking": ""}
    assert p.client.post(f"/cases/{number}/deliver", json=missing, headers=clerk).status_code == 400
    delivered = p.client.post(f"/cases/{number}/deliver", json=mail, headers=clerk).json()
    assert delivered["delivery"]["tracking"] == "EA123456789CN"
    related = [r["name"] for r in delivered["related"]]
    assert related[0] == "不动产抵押权首次登记" and "供水过户" in related


def returned_and_resumed(
    p: Platform, number: str, accepted: datetime, returned: datetime, resumed: datetime
) -> tuple[str, str]:
    """Accept a 户口迁移 (GA, 5 working days) at `accepted`, return it at `returned`, bring
    the material at `resumed`: the due dates before and after."""
    p.clock.now = accepted
    send(p, number, ["GA-HJ02"])
    handoff = handoffs_of(p, number)["GA"]
    before = handoff["due_on"]
    p.clock.now = returned
    body = {"materials": ["residence_proof"], "reason": "居住证明已过期"}
    sent_back = p.client.post(
        f"/handoffs/{handoff['id']}/return", json=body, headers=approver(p, "GA")
    )
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "returned"
    clerk = p.login(*CLERK, counter=5)
    found = p.client.get("/cases", params={"q": number}, headers=clerk).json()
    assert found[0]["handoffs"][0]["returned"]["materials"] == ["residence_proof"]
    assert approve(p, "GA", handoff["id"], "户口迁移").status_code == 409  # it is not open
    p.clock.now = resumed
    brought = {"materials": {"residence_proof": {"original": "verified", "copies": 1}}}
    clerk = p.login(*CLERK, counter=5)
    resumed_answer = p.client.post(f"/cases/{number}/supplement", json=brought, headers=clerk)
    assert resumed_answer.status_code == 200, resumed_answer.text
    (after,) = resumed_answer.json()
    assert after["status"] == "open"
    return before, after["due_on"]


def test_returned_over_a_weekend_moves_the_due_date_by_the_days_it_stood(
    platform: Platform,
) -> None:
    # Accepted Thu 26 Nov: due 5 working days on, Thu 3 Dec. Returned Fri 27 Nov, brought
    # back Mon 30 Nov: Fri and Mon did not count (the weekend never did), so 2 working days
    # later: Mon 7 Dec.
    before, after = returned_and_resumed(
        platform,
        "JY01-20261126-05-0001",
        datetime(2026, 11, 26, 2, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 2, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
    )
    assert (before, after) == ("2026-12-03", "2026-12-07")


def test_returned_over_national_day_2026_counts_the_make_up_saturday(platform: Platform) -> None:
    # Accepted Wed 23 Sep: 24 Sep (1), 中秋 25–27 Sep, 28 (2), 29 (3), 30 (4), 国庆 1–7 Oct,
    # 8 Oct (5): due Thu 8 Oct. Returned Mon 28 Sep, brought back Fri 9 Oct: 28, 29, 30 Sep,
    # 8 and 9 Oct stood still (5 working days). After 24 Sep (1): Sat 10 Oct, a make-up
    # working day (2), 12 (3), 13 (4), 14 Oct (5): due Wed 14 Oct, 5 working days later.
    before, after = returned_and_resumed(
        platform,
        "JY01-20260923-05-0001",
        datetime(2026, 9, 23, 2, 0, tzinfo=UTC),
        datetime(2026, 9, 28, 2, 0, tzinfo=UTC),
        datetime(2026, 10, 9, 2, 0, tzinfo=UTC),
    )
    assert (before, after) == ("2026-10-08", "2026-10-14")


def test_an_approver_decides_nothing_of_another_department(platform: Platform) -> None:
    p = platform
    number = "JY01-20261123-05-0003"
    send(p, number, ["BDC-01"])
    handoff = handoffs_of(p, number)["BDC"]["id"]
    ga = approver(p, "GA")
    for path, body in (
        ("approve", {"name": "x", "issued_on": "2026-11-23"}),
        ("reject", {"reason": "x"}),
        ("return", {"materials": ["id_card"], "reason": "x"}),
    ):
        answer = p.client.post(f"/handoffs/{handoff}/{path}", json=body, headers=ga)
        assert answer.status_code == 403 and answer.json()["error"] == "not_your_department"
    assert p.client.get(f"/handoffs/{handoff}", headers=ga).status_code == 403
    other = p.client.get("/handoffs", params={"department": "BDC"}, headers=ga)
    assert other.status_code == 403
    assert p.client.get("/handoffs", headers=ga).json() == []
    assert handoffs_of(p, number)["BDC"]["status"] == "open"  # nothing changed


def test_a_handoff_number_that_cannot_exist_is_a_clear_refusal(platform: Platform) -> None:
    # A typo'd or generated id larger than any database integer once reached the driver
    # and came back as a 500; the approver must get "no such handoff" instead.
    p = platform
    scjg = approver(p, "SCJG")
    for handoff in ("99999999999999999999", "0", "-1"):
        answer = p.client.get(f"/handoffs/{handoff}", headers=scjg)
        assert answer.status_code == 422, answer.text
        assert "handoff_id" in answer.text
        body = {"reason": "x"}
        assert (
            p.client.post(f"/handoffs/{handoff}/reject", json=body, headers=scjg).status_code == 422
        )
    unknown = p.client.get("/handoffs/987654321", headers=scjg)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_handoff"


def test_a_missing_or_overdue_deferred_material_blocks_approval(platform: Platform) -> None:
    p = platform
    number = "JY01-20261123-05-0004"
    deferred = {"sale_contract": {"deferred_until": "2026-11-20"}}  # due before today
    send(p, number, ["BDC-01"], materials=deferred)
    handoff = handoffs_of(p, number)["BDC"]["id"]
    blocked = approve(p, "BDC", handoff, "不动产权证书")
    assert blocked.status_code == 409 and blocked.json()["error"] == "materials_missing"
    detail = p.client.get(f"/handoffs/{handoff}", headers=approver(p, "BDC")).json()
    assert detail["blocking"] == ["sale_contract"]
    brought = {"materials": {"sale_contract": {"original": "collected"}}}
    clerk = p.login(*CLERK, counter=5)
    assert (
        p.client.post(f"/cases/{number}/supplement", json=brought, headers=clerk).status_code == 200
    )
    assert approve(p, "BDC", handoff, "不动产权证书").status_code == 200


def test_the_supervisor_sees_deadlines_and_reminds_a_department(platform: Platform) -> None:
    p = platform
    send(p, "JY01-20261123-05-0005", ["BDC-01"])  # 5 days: due Mon 30 Nov
    send(p, "JY01-20261123-05-0006", ["GJJ-03"])  # 1 day: due Tue 24 Nov
    p.clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday
    boss = p.login("super01", "222222")
    board = {d["department"]: d for d in p.client.get("/deadlines", headers=boss).json()}
    assert (board["GJJ"]["overdue"], board["BDC"]["normal"]) == (1, 1)
    assert board["GJJ"]["overdue_handoffs"][0]["case_number"] == "JY01-20261123-05-0006"
    reminded = p.client.post(
        "/departments/GJJ/reminders", json={"note": "请今日办结"}, headers=boss
    )
    assert reminded.json() == {"reminded": 1}
    (late,) = p.client.get(
        "/handoffs", params={"filter": "overdue"}, headers=approver(p, "GJJ")
    ).json()
    assert late["reminded"] and late["time_state"] == "overdue"
    assert p.client.get("/deadlines", headers=approver(p, "GJJ")).status_code == 403
    # The overdue apology goes out once, with the next batch of notifications (any
    # decision sends one); a second batch does not repeat it.
    (bdc,) = p.client.get("/handoffs", headers=approver(p, "BDC")).json()
    assert approve(p, "BDC", bdc["id"], "不动产权证书").status_code == 200
    assert approve(p, "BDC", bdc["id"], "不动产权证书").status_code == 409
    kinds = [n["kind"] for n in notifications(p) if n["case"] == "JY01-20261123-05-0006"]
    assert kinds == ["accepted", "overdue"]


def test_deferred_materials_due_soon_or_overdue_are_listed(platform: Platform) -> None:
    p = platform
    soon = {"sale_contract": {"deferred_until": "2026-11-25"}}
    later = {"sale_contract": {"deferred_until": "2026-12-18"}}
    for number, materials in (("JY01-20261123-05-0007", soon), ("JY01-20261123-05-0008", later)):
        body = case_body(number, ["BDC-01"], materials)
        body["status"] = "deferred"
        clerk = p.login(*CLERK, counter=5)
        headers = clerk | {"Idempotency-Key": f"draft-{number}"}
        assert p.client.post("/cases", json=body, headers=headers).status_code == 201
    clerk = p.login(*CLERK, counter=5)
    (due,) = p.client.get("/deferrals", headers=clerk).json()
    assert (due["case_number"], due["material"], due["overdue"]) == (
        "JY01-20261123-05-0007",
        "sale_contract",
        False,
    )
    p.clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    clerk = p.login(*CLERK, counter=5)
    (late,) = p.client.get("/deferrals", headers=clerk).json()
    assert late["overdue"] and late["material_name"] == "存量房买卖合同"
    (flagged,) = p.client.get("/cases", params={"q": late["case_number"]}, headers=clerk).json()
    assert flagged["overdue_deferred"] == [{"material": "存量房买卖合同", "due_on": "2026-11-25"}]
    brought = {"materials": {"sale_contract": {"original": "collected"}}}
    done = p.client.post("/cases/JY01-20261123-05-0007/supplement", json=brought, headers=clerk)
    assert done.status_code == 200
    assert p.client.get("/deferrals", headers=clerk).json() == []  # received: cleared


def test_notifications_go_to_a_webhook_and_wait_while_it_is_down(tmp_path: Path) -> None:
    """The pluggable sender at its HTTP edge: a real server on 127.0.0.1 takes the JSON; a
    refused or failing one leaves the message queued with the reason."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from clerk_console.central.db import make_engine
    from clerk_console.central.models import CentralModel, NotificationRow
    from clerk_console.central.notify import WebhookSender, send_pending

    got: list[dict[str, Any]] = []
    status = {"code": 500}

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if status["code"] == 200:
                got.append(json.loads(body))
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet: the standard library would print each request to stderr."""

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    engine = make_engine(f"sqlite:///{tmp_path / 'n.db'}", pool_size=2)
    CentralModel.metadata.create_all(engine)
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    with Session(engine) as s, s.begin():
        s.add(
            NotificationRow(
                case_number="C1", kind="ready", mobile="13812345678", text="请领取", created_at=now
            )
        )
    sender = WebhookSender(f"http://127.0.0.1:{server.server_address[1]}/sms")
    assert send_pending(engine, sender, now) == 0  # the gateway answers 500
    with Session(engine) as s:
        (row,) = s.exec(select(NotificationRow))
        assert row.status == "queued" and row.attempts == 1 and "500" in (row.last_error or "")
    status["code"] = 200
    assert send_pending(engine, sender, now) == 1
    server.shutdown()
    assert got == [
        {
            "case": "C1",
            "kind": "ready",
            "mobile": "13812345678",
            "text": "请领取",
            "queued_at": now.isoformat(),
        }
    ]
    assert send_pending(engine, sender, now) == 0  # sent once


def test_a_served_platform_apologises_for_an_overdue_case_on_its_own(tmp_path: Path) -> None:
    """No request after the deadline passes: the platform's timer queues and sends the
    apology (the lifespan of a served platform; TestClient runs it as uvicorn would)."""
    import time

    from central.conftest import HASHER, SECRET, Clock
    from fastapi.testclient import TestClient

    from clerk_console.central.api import create_app
    from clerk_console.central.db import init_platform, make_engine
    from clerk_console.config import CentralConfig, validate

    config = validate(
        CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET, "notify_seconds": 0.2}
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'central.db'}", pool_size=5)
    init_platform(engine, config, HASHER)
    clock = Clock()
    with TestClient(create_app(config, engine, clock=clock, hasher=HASHER)) as client:
        p = Platform(client, engine, clock, config, "sqlite")
        send(p, "JY01-20261123-05-0009", ["GJJ-03"])  # 1 working day: due Tue 24 Nov
        clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
        for _ in range(50):
            if any(n["kind"] == "overdue" for n in notifications(p)):
                break
            time.sleep(0.1)
    kinds = [n["kind"] for n in notifications(p)]
    assert kinds == ["accepted", "overdue"]
    assert "非常抱歉" in notifications(p)[1]["text"]
    engine.dispose()
