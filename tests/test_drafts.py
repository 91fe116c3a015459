"""Intake drafts in the local store: every step saved with its audit entry, and a draft
that survives the console being killed mid-intake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from clerk_console.domain.checklist import Selection
from clerk_console.domain.decision import MaterialRecord, OriginalStatus
from clerk_console.domain.intake import Applicant, Intake, Step
from clerk_console.store.local import LocalStore

ID = "11010519491231002X"


def started(key: str = "draft-1") -> Intake:
    return Intake(
        key=key,
        counter=5,
        clerk="clerk01",
        ticket="B017",
        applicant=Applicant(name="张三", id_number=ID, mobile="13812345678"),
    )


def test_each_step_is_saved_and_audited(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path)
    intake = started()
    store.save_draft(intake, "JY01", "intake.applicant")
    intake = Intake.from_data(
        {**intake.to_data(), "step": "checklist", "selection": {"bundle": "qykb", "items": []}}
    )
    store.save_draft(intake, "JY01", "intake.selection", {"bundle": "qykb"})
    verified = MaterialRecord().with_original(OriginalStatus.VERIFIED).with_copies(1)
    intake = intake.with_record("m_id_card", verified)
    store.save_draft(intake, "JY01", "intake.material", {"material": "m_id_card"})
    intake = intake.with_record("m_lease", MaterialRecord().deferred(date(2026, 12, 1)))
    store.save_draft(intake, "JY01", "intake.material", {"material": "m_lease"})

    assert store.load_draft("draft-1") == intake
    assert store.open_drafts(5) == ["draft-1"] and store.open_drafts(6) == []
    entries = [(e.actor, e.counter, e.action, e.subject) for e in store.audit_entries()]
    assert entries == [
        ("clerk01", 5, "intake.applicant", "draft-1"),
        ("clerk01", 5, "intake.selection", "draft-1"),
        ("clerk01", 5, "intake.material", "draft-1"),
        ("clerk01", 5, "intake.material", "draft-1"),
    ]
    assert store.verify_audit() == (4, None)
    assert store.load_draft("no-such-draft") is None
    store.close()


KILLED_MID_INTAKE = """
import os, signal, sys
from pathlib import Path
from clerk_console.domain.checklist import Selection
from clerk_console.domain.decision import MaterialRecord, OriginalStatus
from clerk_console.domain.intake import Applicant, Intake, Step
from clerk_console.store.local import LocalStore

store = LocalStore.open(Path(sys.argv[1]))
intake = Intake(key="draft-k", counter=5, clerk="clerk01", step=Step.CHECKLIST,
                applicant=Applicant(name="张三", id_number="11010519491231002X",
                                    mobile="13812345678"),
                selection=Selection(bundle="qykb"))
for n in range(1, 41):
    intake = intake.with_record(f"m{n:02d}", MaterialRecord().with_copies(n))
    store.save_draft(intake, "JY01", "intake.material", {"material": f"m{n:02d}"})
    print(n, flush=True)  # acknowledged: the parent may pull the plug from here on
    if n == 25:
        os.kill(os.getpid(), signal.SIGKILL)  # as a power cut: no cleanup, no close
"""


def test_a_draft_survives_the_console_being_killed(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", KILLED_MID_INTAKE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == -signal.SIGKILL
    acknowledged = int(run.stdout.split()[-1])
    assert acknowledged == 25
    store = LocalStore.open(tmp_path)  # reopened as after a restart
    assert store.open_drafts(5) == ["draft-k"]
    draft = store.load_draft("draft-k")
    assert draft is not None and draft.step is Step.CHECKLIST
    assert draft.selection == Selection(bundle="qykb")
    assert len(draft.records) == acknowledged
    assert draft.record("m25").copies == 25
    assert store.verify_audit() == (acknowledged, None)
    store.close()
    assert os.path.exists(tmp_path / "console.db")
