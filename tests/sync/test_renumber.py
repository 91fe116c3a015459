"""A case number found taken on the platform is resolved visibly (issue 13, finding 5):
a store copied to a second console makes the numbers the first one makes; the second to
send is given a new console tag and a new number, its printed receipt is queued again
under the new number saying the old one is void, and its outbox drains."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from central.conftest import HASHER, SECRET, Clock, fresh_engine
from sqlmodel import Session, select

from clerk_console.central.api import create_app
from clerk_console.central.db import init_platform
from clerk_console.central.models import CaseRow
from clerk_console.config import CentralConfig, validate
from clerk_console.domain.case_number import format_case_number, parse_case_number
from clerk_console.domain.checklist import Selection
from clerk_console.domain.documents import Align, Document, Text
from clerk_console.domain.intake import Applicant, Intake, Step
from clerk_console.store.local import LocalStore, NewPrint
from clerk_console.store.models import CaseRecord
from clerk_console.sync.catalog import document_wording
from clerk_console.sync.client import PlatformClient
from clerk_console.sync.outbox import push_outbox

DAY = date(2026, 11, 28)


def accepted(store: LocalStore, key: str, name: str) -> str:
    """An accepted case at counter 5 numbered as the intake screen numbers it, with its
    receipt printed."""
    tag = store.console_tag()
    assert tag is not None
    number = format_case_number("JY01", DAY, 5, store.next_case_sequence(DAY, 5), tag)
    intake = Intake(
        key=key,
        counter=5,
        clerk="clerk01",
        step=Step.DECISION,
        applicant=Applicant(name=name, id_number="11010519491231002X", mobile="13812345678"),
        selection=Selection(bundle="qykb"),
    )
    store.save_draft(intake, "JY01", "intake.applicant")
    receipt = Document(
        "intake_receipt",
        (Text("受理回执", Align.CENTER), Text(f"受理编号：{number}"), Text(f"申请人：{name}")),
    )
    job = NewPrint("receipt", receipt.to_data(), subject=number)
    store.close_intake(intake, "JY01", number, "123456", "accepted", {"kind": "accept"}, [job])
    printed = store.claim_print_job("receipt", datetime.now(UTC))
    assert printed is not None and printed.id is not None
    store.print_done(printed.id, datetime.now(UTC))
    return number


async def test_a_copied_store_s_taken_number_is_renumbered_visibly(
    backend: str, tmp_path: Path
) -> None:
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET})
    engine = fresh_engine(backend, tmp_path)
    init_platform(engine, config, HASHER)
    transport = httpx.ASGITransport(app=create_app(config, engine, clock=Clock(), hasher=HASHER))

    first = LocalStore.open(tmp_path / "first")
    client = PlatformClient(transport=transport)
    login = await client.login("clerk01", "111111", counter=5, console=first.console_id())
    assert login.console_tag is not None
    first.set_console_tag(login.console_tag)
    first.close()
    shutil.copytree(tmp_path / "first", tmp_path / "copy")  # the disk image, cloned
    first, copy = LocalStore.open(tmp_path / "first"), LocalStore.open(tmp_path / "copy")

    number = accepted(first, "draft-first", "张三")
    assert accepted(copy, "draft-copy", "李四") == number  # the same number, offline
    assert (await push_outbox(first, client)).sent == 1

    wording = document_wording(None)
    report = await push_outbox(copy, client, wording)
    [(old, new)] = report.renumbered
    assert old == number and new != number
    assert (report.sent, report.refused, report.waiting) == (1, 0, 0)
    parts, was = parse_case_number(new), parse_case_number(number)
    assert parts is not None and was is not None
    assert parts.mark != was.mark and (parts.day, parts.counter) == (DAY, 5)
    # The platform holds each applicant under a number of their own.
    with Session(engine) as s:
        held = {
            row.number: json.loads(row.data_json)["applicant"]["name"]
            for row in s.exec(select(CaseRow))
        }
    assert held == {number: "张三", new: "李四"}
    # The copy's store says the new number everywhere, and it was recorded.
    with copy.session() as s:
        record = s.exec(select(CaseRecord).where(CaseRecord.draft_key == "draft-copy")).one()
    assert record.case_number == new
    [renumbered] = [e for e in copy.audit_entries() if e.action == "case.renumbered"]
    assert json.loads(renumbered.detail_json) == {"from": number, "to": new, "corrected_prints": 1}
    # The printed receipt is queued again under the new number, saying the old one is void.
    corrected, printed = copy.print_jobs(subject=new)
    assert (corrected.status, corrected.is_copy, corrected.copy_of) == ("queued", True, printed.id)
    lines = Document.from_data(json.loads(corrected.payload_json)).lines(32)
    assert f"受理编号：{new}" in lines
    assert any(number in line and "作废" in line for line in lines)
    # From now on the two consoles' numbers differ.
    assert accepted(copy, "draft-next", "王五") != accepted(first, "draft-next", "赵六")
    await client.aclose()
    first.close()
    copy.close()
