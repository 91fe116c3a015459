"""The intake draft: who applies (refused inline with the reason), and a draft that reads
back exactly as it was written."""

from __future__ import annotations

from datetime import date

from clerk_console.domain.checklist import Selection
from clerk_console.domain.decision import MaterialRecord, OriginalStatus
from clerk_console.domain.intake import (
    Agent,
    Applicant,
    ApplicantKind,
    FieldProblem,
    Intake,
    Step,
    applicant_problems,
    normalised,
)

ID = "11010519491231002X"
USCC = "91110000600037341L"


def test_a_person_with_valid_numbers_may_go_on() -> None:
    person = Applicant(name="张三", id_number=ID, mobile="13812345678")
    assert applicant_problems(person) == []


def test_wrong_numbers_are_refused_with_their_reason() -> None:
    person = Applicant(name="", id_number="110105194912310021", mobile="1381234567")
    assert applicant_problems(person) == [
        FieldProblem("name", "required"),
        FieldProblem("id_number", "checksum"),
        FieldProblem("mobile", "length"),
    ]


def test_an_organisation_needs_its_code_representative_and_contact() -> None:
    company = Applicant(
        kind=ApplicantKind.ORGANISATION,
        name="江阳示范科技有限公司",
        credit_code="91110000600037341A",
    )
    assert applicant_problems(company) == [
        FieldProblem("credit_code", "checksum"),
        FieldProblem("legal_representative", "required"),
        FieldProblem("contact", "required"),
        FieldProblem("mobile", "required"),
    ]
    fixed = Applicant(
        kind=ApplicantKind.ORGANISATION,
        name="江阳示范科技有限公司",
        credit_code=USCC.lower(),
        legal_representative="李四",
        contact="王五",
        mobile="139 1234 5678",
    )
    assert applicant_problems(fixed) == []
    assert normalised(fixed).credit_code == USCC and normalised(fixed).mobile == "13912345678"


def test_an_agent_is_checked_like_a_person() -> None:
    person = Applicant(name="张三", id_number=ID, mobile="13812345678")
    agent = Agent(name="赵六", id_number="990105194912310023", mobile="13812345678")
    assert applicant_problems(person, agent) == [FieldProblem("agent.id_number", "region")]


def test_a_draft_reads_back_as_it_was_written() -> None:
    intake = Intake(
        key="draft-1",
        counter=5,
        clerk="clerk01",
        ticket="B017",
        step=Step.CHECKLIST,
        applicant=Applicant(name="张三", id_number=ID, mobile="13812345678"),
        agent=Agent(name="赵六", id_number=ID, mobile="13912345678"),
        selection=Selection(bundle="qiye_kaiban"),
        answers={"q_address": "owned"},
        form={"company_name": "江阳示范科技有限公司"},
    )
    intake = intake.with_record(
        "m_id_card", MaterialRecord().with_original(OriginalStatus.VERIFIED)
    )
    intake = intake.with_record("m_lease", MaterialRecord().deferred(date(2026, 12, 1)))
    assert Intake.from_data(intake.to_data()) == intake
    items = Intake(key="d2", counter=1, clerk="c", selection=Selection(items=("a", "b")))
    assert Intake.from_data(items.to_data()) == items
