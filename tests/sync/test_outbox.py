"""A closed intake goes out through the outbox: stored once on the platform however often
it is sent; an unreachable platform leaves it queued with the reason."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import httpx
import pytest
from central.conftest import HASHER, SECRET, Clock, fresh_engine
from devices.test_hotfolder import pdf_bytes
from sqlmodel import Session, func, select

from clerk_console.central.api import create_app
from clerk_console.central.db import init_platform
from clerk_console.central.models import CaseFile, CaseRow
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


def files_on_platform(engine: object) -> int:
    with Session(engine) as s:  # type: ignore[call-overload]
        return int(s.exec(select(func.count()).select_from(CaseFile)).one())


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


async def test_scanned_files_follow_their_case_to_the_approver(
    platform: tuple[httpx.ASGITransport, object], tmp_path: Path
) -> None:
    import hashlib

    from devices.test_hotfolder import pdf_bytes

    from clerk_console.sync.client import PlatformRefused

    transport, _engine = platform
    store = LocalStore.open(tmp_path / "console")
    content = pdf_bytes(2)
    sha = hashlib.sha256(content).hexdigest()
    blob = tmp_path / "console" / "attachments" / sha[:2] / f"{sha}.pdf"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(content)
    intake = Intake(
        key="draft-0002",
        counter=5,
        clerk="clerk01",
        step=Step.DECISION,
        applicant=Applicant(name="张三", id_number="11010519491231002X", mobile="13812345678"),
        selection=Selection(items=("BDC-01",)),
    )
    store.save_draft(intake, "JY01", "intake.applicant")
    store.add_attachment(
        sha,
        "买卖合同.pdf",
        len(content),
        "application/pdf",
        2,
        "clerk01",
        intake.key,
        "sale_contract",
    )
    decision = {"kind": "accept", "promised": {"BDC-01": {"day": "2026-11-30"}}}
    store.close_intake(intake, "JY01", NUMBER, "123456", "accepted", decision)
    assert [row.kind for row in store.pending_outbox()] == ["case", "file"]

    clerk = PlatformClient(transport=transport)
    await clerk.login("clerk01", "111111", counter=5)
    report = await push_outbox(store, clerk)
    assert (report.sent, report.refused, report.waiting) == (2, 0, 0)
    meta = {"material": "sale_contract", "file_name": "x.pdf", "mime": "application/pdf"}
    with pytest.raises(PlatformRefused) as refused:  # content that is not what its hash says
        await clerk.upload_file(NUMBER, sha, meta, content + b"tampered")
    assert refused.value.code == "checksum_mismatch"

    approver = PlatformClient(transport=transport)
    await approver.login("bdc01", "444408")
    (handoff,) = await approver.inbox()
    detail = await approver.handoff(handoff["id"])
    (contract,) = [m for m in detail["materials"] if m["code"] == "sale_contract"]
    assert contract["files"] == [
        {
            "material": "sale_contract",
            "sha256": sha,
            "file_name": "买卖合同.pdf",
            "size": len(content),
            "mime": "application/pdf",
            "pages": 2,
        }
    ]
    assert await approver.download_file(NUMBER, sha) == content
    other = PlatformClient(transport=transport)
    await other.login("ga01", "444402")
    with pytest.raises(PlatformRefused) as scoped:
        await other.download_file(NUMBER, sha)
    assert scoped.value.code == "not_your_department"
    store.close()


def closed_cases(store: LocalStore, count: int, items: dict[int, str] | None = None) -> None:
    """`count` cases closed while the platform was away (case n asks for `items[n]`, else
    BDC-01), each with one scanned file."""
    for n in range(1, count + 1):
        intake = Intake(
            key=f"draft-{n:04d}",
            counter=5,
            clerk="clerk01",
            step=Step.DECISION,
            applicant=Applicant(name="张三", id_number="11010519491231002X", mobile="13812345678"),
            selection=Selection(items=((items or {}).get(n, "BDC-01"),)),
        )
        store.save_draft(intake, "JY01", "intake.applicant")
        content = pdf_bytes(1) + f"% {n}\n".encode()
        sha = hashlib.sha256(content).hexdigest()
        blob = store.path.parent / "attachments" / sha[:2] / f"{sha}.pdf"
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(content)
        store.add_attachment(
            sha,
            f"合同{n}.pdf",
            len(content),
            "application/pdf",
            1,
            "clerk01",
            intake.key,
            "sale_contract",
        )
        number = f"JY01-20261123-05-{n:04d}"
        store.close_intake(intake, "JY01", number, "123456", "accepted", {"kind": "accept"})


async def test_a_backlog_goes_in_batches_and_a_refused_case_holds_back_only_its_own_files(
    platform: tuple[httpx.ASGITransport, object], tmp_path: Path
) -> None:
    """A counter back from an outage with more cases than go in one request: every case
    reaches the platform once, a refused one (an item the platform's catalog does not have)
    stays queued with its reason and its scan behind it, and the others' scans follow."""
    from clerk_console.sync.outbox import CASES_AT_ONCE

    transport, engine = platform
    store = LocalStore.open(tmp_path / "console")
    count = CASES_AT_ONCE * 2 + 3
    closed_cases(store, count, items={CASES_AT_ONCE + 1: "NO-SUCH-ITEM"})
    client = PlatformClient(transport=transport)
    await client.login("clerk01", "111111", counter=5)
    report = await push_outbox(store, client)
    assert cases_on_platform(engine) == count - 1
    assert report.refused >= 1 and "unknown_item" in report.error
    waiting = store.pending_outbox()
    refused_key = f"draft-{CASES_AT_ONCE + 1:04d}"
    assert [(r.kind, r.idempotency_key.split(":")[0]) for r in waiting] == [
        ("case", refused_key),
        ("file", refused_key),
    ]
    assert waiting[0].last_error is not None and "unknown_item" in waiting[0].last_error
    assert files_on_platform(engine) == count - 1  # every other case's scan followed it
    # Sent again (the next round): nothing is stored twice.
    await push_outbox(store, client)
    assert cases_on_platform(engine) == count - 1
    await client.aclose()
    store.close()


async def test_a_platform_without_batches_gets_the_cases_one_by_one(
    platform: tuple[httpx.ASGITransport, object], tmp_path: Path
) -> None:
    """A hall's platform not yet upgraded answers 404 to `POST /cases/batch`: the console
    sends each case alone, as before, and nothing is lost."""
    transport, engine = platform
    app = transport.app

    async def older(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] == "http" and scope["path"] == "/cases/batch":
            scope = {**scope, "path": "/no-such-route"}  # as an older platform answers it
        await app(scope, receive, send)  # type: ignore[arg-type]

    store = LocalStore.open(tmp_path / "console")
    closed_cases(store, 3)
    client = PlatformClient(transport=httpx.ASGITransport(app=older))  # type: ignore[arg-type]
    await client.login("clerk01", "111111", counter=5)
    report = await push_outbox(store, client)
    assert (report.sent, report.refused, report.waiting) == (6, 0, 0)  # 3 cases, 3 scans
    assert cases_on_platform(engine) == 3 and files_on_platform(engine) == 3
    await client.aclose()
    store.close()
