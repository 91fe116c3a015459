"""A closed intake goes out through the outbox: stored once on the platform however often
it is sent; an unreachable platform leaves it queued with the reason."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest
from central.conftest import HASHER, SECRET, Clock, fresh_engine
from sqlmodel import Session, func, select

from clerk_console.central.api import create_app
from clerk_console.central.db import init_platform
from clerk_console.central.models import CaseRow
from clerk_console.config import CentralConfig, validate
from clerk_console.domain.checklist import Selection
from clerk_console.domain.decision import MaterialRecord, OriginalStatus
from clerk_console.domain.intake import Applicant, Intake, Step
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient
from clerk_console.sync.outbox import push_outbox

NUMBER = "JY01-20261123-05-0001"


@pytest.fixture
def platform(backend: str, tmp_path: Path) -> tuple[httpx.ASGITransport, object]:
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET})
    engine = fresh_engine(backend, tmp_path)
    init_platform(engine, config, HASHER)
    app = create_app(config, engine, clock=Clock(), hasher=HASHER)
    return httpx.ASGITransport(app=app), engine


def closed_intake(store: LocalStore) -> Intake:
    intake = Intake(
        key="draft-0001",
        counter=5,
        clerk="clerk01",
        ticket="B001",
        step=Step.DECISION,
        applicant=Applicant(name="张三", id_number="11010519491231002X", mobile="13812345678"),
        selection=Selection(bundle="qykb"),
    ).with_record("m_id_card", MaterialRecord().with_original(OriginalStatus.VERIFIED))
    store.save_draft(intake, "JY01", "intake.applicant")
    store.close_intake(intake, "JY01", NUMBER, "123456", "accepted", {"kind": "accept"})
    return intake


def cases_on_platform(engine: object) -> int:
    with Session(engine) as s:  # type: ignore[call-overload]
        return int(s.exec(select(func.count()).select_from(CaseRow)).one())


async def test_the_case_goes_out_once(
    platform: tuple[httpx.ASGITransport, object], tmp_path: Path
) -> None:
    transport, engine = platform
    store = LocalStore.open(tmp_path / "console")
    closed_intake(store)
    [row] = store.pending_outbox()
    assert (row.kind, row.idempotency_key) == ("case", "draft-0001")
    assert json.loads(row.payload_json)["data"]["materials"]["m_id_card"]["original"] == (
        "verified"
    )

    client = PlatformClient(transport=transport)
    await client.login("clerk01", "111111", counter=5)
    report = await push_outbox(store, client)
    assert (report.sent, report.refused, report.waiting) == (1, 0, 0)
    assert cases_on_platform(engine) == 1
    # The acknowledgement was lost: the console sends the same row again.
    again = await client.send_case(json.loads(row.payload_json), row.idempotency_key)
    assert again["number"] == NUMBER and cases_on_platform(engine) == 1
    actions = [e.action for e in store.audit_entries()]
    assert actions[-1] == "case.accepted"
    with pytest.raises(ValueError, match="already accepted"):
        closed_intake(store)
    store.close()


async def test_an_unreachable_platform_leaves_the_case_queued(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path / "console")
    closed_intake(store)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    client = PlatformClient(f"http://127.0.0.1:{port}", timeout=2)
    report = await push_outbox(store, client)
    assert (report.sent, report.waiting) == (0, 1) and "ConnectError" in report.error
    [row] = store.pending_outbox()
    assert row.attempts == 1 and row.last_error == report.error
    await client.aclose()
    store.close()
