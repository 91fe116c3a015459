"""The intake draft: who applies (refused inline with the reason), and a draft that reads
back exactly as it was written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from clerk_console.domain.catalog import Catalog, OriginalRule
from clerk_console.domain.checklist import Selection, build_checklist, merged_form
from clerk_console.domain.decision import DecisionKind, MaterialRecord, OriginalStatus, Problem
from clerk_console.domain.intake import (
    Agent,
    Applicant,
    ApplicantKind,
    Decision,
    FieldProblem,
    Intake,
    Step,
    applicant_problems,
    decide,
    form_value_problem,
    normalised,
)
from clerk_console.domain.workdays import WorkCalendar

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


# --- deciding --------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


def decide_now(
    intake: Intake, catalog: Catalog, kind: DecisionKind, number: str, password: str
) -> Decision | list[Problem]:
    return decide(
        intake, catalog, WorkCalendar(), kind, NOW, case_number=number, query_password=password
    )


PERSON = Applicant(name="张三", id_number=ID, mobile="13812345678")
VALID = {"id_number": ID, "mobile": "13812345678", "credit_code": USCC, "money": "100"}
"""A value of each field kind that fits it (others take text, numbers and dates below)."""


def settled(catalog: Catalog, selection: Selection) -> Intake:
    """An intake of a person whose scenario questions are all answered (first choice each
    time) and whose one form is complete."""
    intake = Intake(key="d", counter=5, clerk="clerk01", applicant=PERSON, selection=selection)
    while question := build_checklist(catalog, selection, intake.answers).next_question:
        intake = replace(
            intake, answers={**intake.answers, question.code: question.choices[0].code}
        )
    items = build_checklist(catalog, selection, intake.answers).items
    form = {
        line.field.code: VALID.get(
            line.field.kind,
            {"number": "3", "date": "2026-11-01"}.get(line.field.kind, "示例"),
        )
        for line in merged_form(catalog, items)
    }
    return replace(intake, form=form)


def everything_handed_in(catalog: Catalog, intake: Intake) -> Intake:
    assert intake.selection is not None
    for entry in build_checklist(catalog, intake.selection, intake.answers).entries:
        status = {
            OriginalRule.COLLECT: OriginalStatus.COLLECTED,
            OriginalRule.VERIFY: OriginalStatus.VERIFIED,
            OriginalRule.NONE: OriginalStatus.NONE,
        }[entry.original]
        record = replace(MaterialRecord(), original=status, copies=entry.copies, scans=1)
        intake = intake.with_record(entry.material.code, record)
    return intake


def test_accepting_qykb_promises_each_item_in_working_days(catalog: Catalog) -> None:
    intake = everything_handed_in(catalog, settled(catalog, Selection(bundle="QYKB")))
    decision = decide(
        intake,
        catalog,
        WorkCalendar(),
        DecisionKind.ACCEPT,
        NOW,
        case_number="JY01-20261123-05-0001",
        query_password="123456",
    )
    assert isinstance(decision, Decision), decision
    assert decision.status == "accepted" and decision.query_password == "123456"
    checklist = build_checklist(catalog, Selection(bundle="QYKB"), intake.answers)
    assert set(decision.promised) == set(checklist.items)
    for code, due in decision.promised.items():
        assert due == WorkCalendar().due_date(NOW, catalog.items[code].promised_days)
    assert decision.supplement == () and decision.deferred == {}
    assert decision.to_data()["promised"]


def test_nothing_is_decided_while_something_blocks(catalog: Catalog) -> None:
    intake = settled(catalog, Selection(bundle="QYKB"))
    problems = decide(
        intake,
        catalog,
        WorkCalendar(),
        DecisionKind.ACCEPT,
        NOW,
        case_number="x",
        query_password="1",
    )
    assert isinstance(problems, list) and problems[0].code == "materials_blocking"
    unsettled = Intake(key="d", counter=5, clerk="c", selection=Selection(bundle="QYKB"))
    problems = decide(
        unsettled,
        catalog,
        WorkCalendar(),
        DecisionKind.ACCEPT,
        NOW,
        case_number="x",
        query_password="1",
    )
    assert isinstance(problems, list) and "questions_pending" in [p.code for p in problems]
    nothing = Intake(key="d", counter=5, clerk="c", applicant=PERSON)
    problems = decide(
        nothing,
        catalog,
        WorkCalendar(),
        DecisionKind.ACCEPT,
        NOW,
        case_number="x",
        query_password="1",
    )
    assert problems == [Problem("nothing_selected")]


def test_a_supplement_notice_lists_exactly_what_is_missing(catalog: Catalog) -> None:
    intake = everything_handed_in(catalog, settled(catalog, Selection(bundle="QYKB")))
    assert intake.selection is not None
    entries = build_checklist(catalog, intake.selection, intake.answers).entries
    required = [e for e in entries if e.required][:2]
    for entry in required:
        intake = intake.with_record(entry.material.code, MaterialRecord().missing())
    decision = decide(
        intake,
        catalog,
        WorkCalendar(),
        DecisionKind.SUPPLEMENT,
        NOW,
        case_number="n",
        query_password="1",
    )
    assert isinstance(decision, Decision) and decision.status == "supplement"
    assert [line.material for line in decision.supplement] == [e.material.name for e in required]
    assert decision.query_password == "" and decision.promised == {}


def test_a_refusal_needs_a_reason_from_the_catalog(catalog: Catalog) -> None:
    intake = settled(catalog, Selection(bundle="QYKB"))
    args = (intake, catalog, WorkCalendar(), DecisionKind.REJECT, NOW)
    assert decide(*args, case_number="n", query_password="1") == [Problem("reason_required")]
    reason = next(iter(catalog.rejection_reasons))
    decision = decide(*args, case_number="n", query_password="1", reason_code=reason)
    assert isinstance(decision, Decision) and decision.status == "rejected"
    assert decision.reason_code == reason


def test_a_deferral_carries_the_promised_dates(catalog: Catalog) -> None:
    intake = everything_handed_in(catalog, settled(catalog, Selection(bundle="QYKB")))
    assert intake.selection is not None
    entries = build_checklist(catalog, intake.selection, intake.answers).entries
    deferrable = next(e for e in entries if e.deferrable and e.required)
    until = date(2026, 12, 1)
    intake = intake.with_record(deferrable.material.code, MaterialRecord().deferred(until))
    decision = decide(
        intake,
        catalog,
        WorkCalendar(),
        DecisionKind.ACCEPT_DEFERRED,
        NOW,
        case_number="n",
        query_password="9",
    )
    assert isinstance(decision, Decision) and decision.status == "deferred"
    assert decision.deferred == {deferrable.material.code: until}


def test_form_values_fit_their_kind() -> None:
    assert form_value_problem("id_number", "110105194912310021") == "checksum"
    assert form_value_problem("id_number", ID) == ""
    assert form_value_problem("mobile", "1381234567") == "length"
    assert form_value_problem("date", "2026-13-01") == "date"
    assert form_value_problem("date", "2026-11-01") == ""
    assert form_value_problem("number", "3.5") == "number"
    assert form_value_problem("money", "-1") == "money"
    assert form_value_problem("money", "12.5") == ""
    assert form_value_problem("text", "任何内容") == ""
    assert form_value_problem("number", "") == ""  # empty: whether it is required decides
