"""An intake (受理) in progress: who applies, what for, what the clerk has recorded.

The draft is a plain value: the screens change it one step at a time, the local store saves
it after every step, and it reads back exactly as it was written (`to_data` / `from_data`),
so a draft survives a crash and reopens where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from clerk_console.domain.catalog import Catalog, FormField
from clerk_console.domain.checklist import Checklist, Selection, build_checklist, merged_form
from clerk_console.domain.decision import (
    DEFAULT_MAX_DEFERRAL_DAYS,
    DecisionKind,
    MaterialRecord,
    OriginalStatus,
    Problem,
    SupplementLine,
    assess,
    check_decision,
    supplement_lines,
)
from clerk_console.domain.identifiers import (
    Checked,
    check_credit_code,
    check_id_number,
    check_mobile,
)
from clerk_console.domain.workdays import DueDate, WorkCalendar


class ApplicantKind(StrEnum):
    """A natural person (自然人) or an organisation (法人或其他组织)."""

    PERSON = "person"
    ORGANISATION = "organisation"


@dataclass(frozen=True, slots=True)
class Applicant:
    """Who applies. A person has an ID number and a mobile; an organisation has a credit
    code, a legal representative and a contact (name and mobile)."""

    kind: ApplicantKind = ApplicantKind.PERSON
    name: str = ""
    id_number: str = ""  # person
    mobile: str = ""  # person: own mobile; organisation: the contact's
    credit_code: str = ""  # organisation
    legal_representative: str = ""  # organisation
    contact: str = ""  # organisation


@dataclass(frozen=True, slots=True)
class Agent:
    """Someone acting for the applicant (代办人), with their own ID."""

    name: str = ""
    id_number: str = ""
    mobile: str = ""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A field the clerk must correct. `code` is a message key: required, or an identifier
    check's reason (length, format, birth_date, checksum, region)."""

    field: str
    code: str


def _required(problems: list[FieldProblem], name: str, value: str) -> bool:
    if not value.strip():
        problems.append(FieldProblem(name, "required"))
        return False
    return True


def _identifier(
    problems: list[FieldProblem], name: str, value: str, check: Callable[[str], Checked]
) -> None:
    if _required(problems, name, value):
        checked = check(value)
        if not checked.ok:
            problems.append(FieldProblem(name, checked.reason))


def applicant_problems(applicant: Applicant, agent: Agent | None = None) -> list[FieldProblem]:
    """Everything wrong with the applicant (and the agent, fields prefixed `agent.`), in
    the order the fields are on screen; empty when they may go on."""
    problems: list[FieldProblem] = []
    _required(problems, "name", applicant.name)
    if applicant.kind is ApplicantKind.PERSON:
        _identifier(problems, "id_number", applicant.id_number, check_id_number)
        _identifier(problems, "mobile", applicant.mobile, check_mobile)
    else:
        _identifier(problems, "credit_code", applicant.credit_code, check_credit_code)
        _required(problems, "legal_representative", applicant.legal_representative)
        _required(problems, "contact", applicant.contact)
        _identifier(problems, "mobile", applicant.mobile, check_mobile)
    if agent is not None:
        _required(problems, "agent.name", agent.name)
        _identifier(problems, "agent.id_number", agent.id_number, check_id_number)
        _identifier(problems, "agent.mobile", agent.mobile, check_mobile)
    return problems


def normalised(applicant: Applicant) -> Applicant:
    """The applicant with identifiers in their canonical form (upper case, no spaces)."""
    return replace(
        applicant,
        name=applicant.name.strip(),
        id_number=check_id_number(applicant.id_number).value if applicant.id_number else "",
        credit_code=check_credit_code(applicant.credit_code).value if applicant.credit_code else "",
        mobile=check_mobile(applicant.mobile).value if applicant.mobile else "",
    )


class Step(StrEnum):
    """Where an intake stands; a reopened draft resumes here."""

    APPLICANT = "applicant"
    SELECTION = "selection"
    CHECKLIST = "checklist"
    FORM = "form"
    DECISION = "decision"


@dataclass(frozen=True, slots=True)
class Intake:
    """One intake at one counter, from the first field typed to the decision."""

    key: str  # the draft's identity in the local store (also the idempotency key later)
    counter: int
    clerk: str
    ticket: str | None = None
    step: Step = Step.APPLICANT
    applicant: Applicant = field(default_factory=Applicant)
    agent: Agent | None = None
    selection: Selection | None = None
    answers: dict[str, str] = field(default_factory=dict)
    records: dict[str, MaterialRecord] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    shared: dict[str, dict[str, str]] = field(default_factory=dict)  # material → its record
    continues: str | None = None  # the case number of a supplement notice taken up again
    history: tuple[dict[str, Any], ...] = ()  # earlier decisions of that case, oldest first
    # The catalog version the intake works with: a draft reopened after a newer catalog
    # arrived keeps the checklist it started with.
    catalog: str = ""

    def record(self, material: str) -> MaterialRecord:
        """What has been recorded for a material so far."""
        return self.records.get(material, MaterialRecord())

    def with_record(self, material: str, record: MaterialRecord) -> Intake:
        """The intake with one material's record changed."""
        return replace(self, records={**self.records, material: record})

    def to_data(self) -> dict[str, Any]:
        """Plain data (JSON-ready) that `from_data` reads back to an equal intake."""
        return {
            "key": self.key,
            "counter": self.counter,
            "clerk": self.clerk,
            "ticket": self.ticket,
            "step": self.step.value,
            "applicant": {
                "kind": self.applicant.kind.value,
                "name": self.applicant.name,
                "id_number": self.applicant.id_number,
                "mobile": self.applicant.mobile,
                "credit_code": self.applicant.credit_code,
                "legal_representative": self.applicant.legal_representative,
                "contact": self.applicant.contact,
            },
            "agent": None
            if self.agent is None
            else {
                "name": self.agent.name,
                "id_number": self.agent.id_number,
                "mobile": self.agent.mobile,
            },
            "selection": None
            if self.selection is None
            else {"bundle": self.selection.bundle, "items": list(self.selection.items)},
            "answers": dict(self.answers),
            "records": {code: record_data(r) for code, r in self.records.items()},
            "form": dict(self.form),
            "shared": {code: dict(fields) for code, fields in self.shared.items()},
            "continues": self.continues,
            "history": [dict(h) for h in self.history],
            "catalog": self.catalog,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Intake:
        """The intake `to_data` wrote."""
        applicant = dict(data["applicant"])
        applicant["kind"] = ApplicantKind(applicant["kind"])
        selection = data.get("selection")
        return cls(
            key=str(data["key"]),
            counter=int(data["counter"]),
            clerk=str(data["clerk"]),
            ticket=data.get("ticket"),
            step=Step(data["step"]),
            applicant=Applicant(**applicant),
            agent=Agent(**data["agent"]) if data.get("agent") else None,
            selection=Selection(selection["bundle"], tuple(selection["items"]))
            if selection
            else None,
            answers={str(k): str(v) for k, v in data.get("answers", {}).items()},
            records={str(code): record_from_data(r) for code, r in data.get("records", {}).items()},
            form={str(k): str(v) for k, v in data.get("form", {}).items()},
            shared={
                str(code): {str(k): str(v) for k, v in dict(fields).items()}
                for code, fields in dict(data.get("shared") or {}).items()
            },
            continues=data.get("continues") or None,
            history=tuple(dict(h) for h in data.get("history") or ()),
            catalog=str(data.get("catalog") or ""),
        )


def record_data(record: MaterialRecord) -> dict[str, Any]:
    """A material record as plain data."""
    return {
        "original": record.original.value,
        "copies": record.copies,
        "scans": record.scans,
        "verified_by_sharing": record.verified_by_sharing,
        "deferred_until": record.deferred_until.isoformat() if record.deferred_until else None,
        "not_applicable": record.not_applicable,
        "marked_missing": record.marked_missing,
    }


def record_from_data(data: dict[str, Any]) -> MaterialRecord:
    """The material record `record_data` wrote."""
    until = data.get("deferred_until")
    return MaterialRecord(
        original=OriginalStatus(data.get("original", OriginalStatus.NONE.value)),
        copies=int(data.get("copies", 0)),
        scans=int(data.get("scans", 0)),
        verified_by_sharing=bool(data.get("verified_by_sharing", False)),
        deferred_until=date.fromisoformat(until) if until else None,
        not_applicable=bool(data.get("not_applicable", False)),
        marked_missing=bool(data.get("marked_missing", False)),
    )


STATUS_OF = {
    DecisionKind.ACCEPT: "accepted",
    DecisionKind.ACCEPT_DEFERRED: "deferred",
    DecisionKind.SUPPLEMENT: "supplement",
    DecisionKind.REJECT: "rejected",
}
"""The case status each decision leaves."""


@dataclass(frozen=True, slots=True)
class Decision:
    """How an intake ended, with everything the receipt or notice will say.

    Every decision gets a case number (a supplement notice or a refusal is referred to by
    it too); only an accepted case has a query password and promised dates."""

    kind: DecisionKind
    case_number: str
    query_password: str
    promised: dict[str, DueDate]  # item code -> promised date (accepted cases)
    deferred: dict[str, date]  # material code -> the date it was promised for (容缺)
    supplement: tuple[SupplementLine, ...]  # 一次性告知: every missing or insufficient one
    reason_code: str = ""
    reason_text: str = ""

    @property
    def status(self) -> str:
        """The case's status."""
        return STATUS_OF[self.kind]

    def to_data(self) -> dict[str, Any]:
        """Plain data for the store, the platform and the printed documents."""
        return {
            "kind": self.kind.value,
            "case_number": self.case_number,
            "promised": {
                item: {"day": due.day.isoformat(), "provisional": due.provisional}
                for item, due in self.promised.items()
            },
            "deferred": {code: day.isoformat() for code, day in self.deferred.items()},
            "supplement": [
                {
                    "material": line.material,
                    "items": list(line.items),
                    "shortfalls": [s.value for s in line.shortfalls],
                    "copies_missing": line.copies_missing,
                }
                for line in self.supplement
            ],
            "reason_code": self.reason_code,
            "reason_text": self.reason_text,
        }


def decide(
    intake: Intake,
    catalog: Catalog,
    calendar: WorkCalendar,
    kind: DecisionKind,
    now: datetime,
    *,
    case_number: str,
    query_password: str,
    reason_code: str = "",
    reason_text: str = "",
    max_deferral_days: int = DEFAULT_MAX_DEFERRAL_DAYS,
) -> Decision | list[Problem]:
    """The decision, or every reason it cannot be taken now (nothing is decided then).

    Every decision needs a complete applicant. A refusal needs only that and its legal
    reason (a matter outside the hall's authority is refused before anything is chosen);
    a supplement notice needs the checklist settled; an acceptance needs the one form
    complete and right as well."""
    problems: list[Problem] = []
    wrong = applicant_problems(intake.applicant, intake.agent)
    if wrong:
        problems.append(Problem("applicant_incomplete", tuple(p.field for p in wrong)))
    if intake.selection is None:
        if kind is not DecisionKind.REJECT:
            return [*problems, Problem("nothing_selected")]
        problems += check_decision(
            kind,
            assess(build_checklist_empty(), {}),
            now.date(),
            catalog=catalog,
            reason_code=reason_code,
            reason_text=reason_text,
        )
        if problems:
            return problems
        return Decision(kind, case_number, "", {}, {}, (), reason_code, reason_text)
    checklist = build_checklist(catalog, intake.selection, intake.answers)
    assessment = assess(checklist, intake.records)
    problems += check_decision(
        kind,
        assessment,
        now.date(),
        catalog=catalog,
        reason_code=reason_code,
        reason_text=reason_text,
        max_deferral_days=max_deferral_days,
    )
    accepted = kind in (DecisionKind.ACCEPT, DecisionKind.ACCEPT_DEFERRED)
    if accepted:
        missing, invalid = form_problems(catalog, intake)
        if missing:
            problems.append(Problem("form_incomplete", tuple(f.label for f in missing)))
        if invalid:
            problems.append(Problem("form_invalid", tuple(f.label for f, _ in invalid)))
    if problems:
        return problems
    promised = (
        {
            code: calendar.due_date(now, catalog.items[code].promised_days)
            for code in checklist.items
        }
        if accepted
        else {}
    )
    deferred = {
        a.entry.material.code: a.record.deferred_until
        for a in assessment.deferred
        if a.record.deferred_until is not None and kind is DecisionKind.ACCEPT_DEFERRED
    }
    lines = tuple(supplement_lines(assessment)) if kind is DecisionKind.SUPPLEMENT else ()
    return Decision(
        kind,
        case_number,
        query_password if accepted else "",
        promised,
        deferred,
        lines,
        reason_code,
        reason_text,
    )


def build_checklist_empty() -> Checklist:
    """The checklist of an application that chose nothing (a refusal before any choice)."""
    return Checklist(
        items=(), entries=(), produced=(), questions=(), answers={}, next_question=None
    )


# --- the one form --------------------------------------------------------------------------


def prefill(spec: FormField, intake: Intake) -> tuple[str, str]:
    """(value, source) a form field starts with: the first of its `prefill` sources that
    has a value for this intake, or ("", ""). A person's parts only for a person applicant,
    an organisation's only for an organisation; MATERIAL.field only once a registry has
    verified that material of this intake (its record is in `intake.shared`)."""
    a, agent = intake.applicant, intake.agent or Agent()
    person = a.kind is ApplicantKind.PERSON
    values = {
        "person.name": a.name if person else "",
        "person.id_number": a.id_number if person else "",
        "person.mobile": a.mobile if person else "",
        "organisation.name": "" if person else a.name,
        "organisation.credit_code": "" if person else a.credit_code,
        "organisation.legal_representative": "" if person else a.legal_representative,
        "organisation.contact": "" if person else a.contact,
        "organisation.mobile": "" if person else a.mobile,
        "agent.name": agent.name,
        "agent.id_number": agent.id_number,
        "agent.mobile": agent.mobile,
    }
    for source in spec.prefill:
        if source in values:
            value = values[source]
        else:
            material, _, name = source.partition(".")
            value = intake.shared.get(material, {}).get(name, "")
        if value.strip():
            return value.strip(), source
    return "", ""


def form_value(spec: FormField, intake: Intake) -> str:
    """The field's value: what the clerk typed (or accepted), else its prefill (an empty
    field takes a value that arrives later, from a registry say)."""
    typed = intake.form.get(spec.code, "")
    return typed if typed.strip() else prefill(spec, intake)[0]


def filled_form(catalog: Catalog, intake: Intake) -> dict[str, str]:
    """The one form as it goes into the case: every field the application asks, typed or
    prefilled, and what was typed into fields it no longer asks left out."""
    if intake.selection is None:
        return {}
    checklist = build_checklist(catalog, intake.selection, intake.answers)
    return {
        line.field.code: form_value(line.field, intake).strip()
        for line in merged_form(catalog, checklist.items)
        if line.asked
    }


def form_problems(
    catalog: Catalog, intake: Intake
) -> tuple[list[FormField], list[tuple[FormField, str]]]:
    """(required fields still empty, fields whose value does not fit their kind with the
    reason) of the one form as it stands; produced fields are not asked, so never missing."""
    if intake.selection is None:
        return [], []
    checklist = build_checklist(catalog, intake.selection, intake.answers)
    missing: list[FormField] = []
    invalid: list[tuple[FormField, str]] = []
    for line in merged_form(catalog, checklist.items):
        if not line.asked:
            continue
        value = form_value(line.field, intake).strip()
        if line.field.required and not value:
            missing.append(line.field)
        reason = form_value_problem(line.field.kind, value)
        if reason:
            invalid.append((line.field, reason))
    return missing, invalid


# --- what the applicant step answers -------------------------------------------------------


def applicant_answers(catalog: Catalog, intake: Intake) -> dict[str, str]:
    """The intake's answers with those the applicant step gives: whether an agent acts
    (`answered_by = "agent"`) is `yes` exactly when an agent was entered."""
    answers = dict(intake.answers)
    for q in catalog.questions.values():
        if q.answered_by == "agent":
            answers[q.code] = "yes" if intake.agent is not None else "no"
    return answers


# --- a supplement notice taken up again ----------------------------------------------------


def reopened(
    case: dict[str, Any], key: str, counter: int, clerk: str, ticket: str | None = None
) -> Intake:
    """The intake of a case that ended in a one-time supplement notice, taken up again when
    the applicant returns: everything recorded then, the earlier decision kept in `history`,
    opening on the checklist where only what was missing needs checking."""
    data = dict(case.get("data") or {})
    base = from_preapplication(
        {
            "applicant": data.get("applicant") or {},
            "bundle": (data.get("selection") or {}).get("bundle"),
            "items": (data.get("selection") or {}).get("items") or (),
            "answers": data.get("answers") or {},
            "form": data.get("form") or {},
        },
        key,
        counter,
        clerk,
        ticket,
    )
    agent = data.get("agent")
    earlier = dict(data.get("decision") or {})
    earlier.update(
        {
            "at": case.get("received_at", ""),
            "counter": case.get("counter"),
            "clerk": case.get("clerk", ""),
        }
    )
    return replace(
        base,
        step=Step.CHECKLIST,
        agent=Agent(**{k: str(v) for k, v in dict(agent).items()}) if agent else None,
        records={
            str(code): record_from_data(dict(r))
            for code, r in dict(data.get("materials") or {}).items()
        },
        shared={
            str(code): {str(k): str(v) for k, v in dict(fields).items()}
            for code, fields in dict(data.get("shared") or {}).items()
        },
        continues=str(case["number"]),
        history=(*(dict(h) for h in data.get("history") or ()), earlier),
    )


def from_preapplication(
    data: dict[str, Any], key: str, counter: int, clerk: str, ticket: str | None = None
) -> Intake:
    """A new intake filled from an online pre-application (网上预审), as the platform sends
    it, for the clerk to check against the originals: applicant, selection, answers, form."""
    applicant = {k: str(v) for k, v in dict(data.get("applicant", {})).items()}
    kind = ApplicantKind(applicant.pop("kind", ApplicantKind.PERSON.value))
    known = {"name", "id_number", "mobile", "credit_code", "legal_representative", "contact"}
    bundle, items = data.get("bundle"), tuple(data.get("items") or ())
    return Intake(
        key=key,
        counter=counter,
        clerk=clerk,
        ticket=ticket,
        applicant=Applicant(kind=kind, **{k: v for k, v in applicant.items() if k in known}),
        selection=Selection(bundle=str(bundle))
        if bundle
        else Selection(items=items)
        if items
        else None,
        answers={str(k): str(v) for k, v in dict(data.get("answers", {})).items()},
        form={str(k): str(v) for k, v in dict(data.get("form", {})).items()},
    )


def form_value_problem(kind: str, value: str) -> str:
    """Why a form value does not fit its field's kind (a message key), or "" if it does.
    Identifier kinds give the identifier check's reason; empty values are the caller's."""
    text = value.strip()
    if not text:
        return ""
    checks: dict[str, Callable[[str], Checked]] = {
        "id_number": check_id_number,
        "credit_code": check_credit_code,
        "mobile": check_mobile,
    }
    if kind in checks:
        return checks[kind](text).reason
    if kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            return "date"
    if kind == "number" and not text.isdigit():
        return "number"
    if kind == "money":
        try:
            if float(text) < 0:
                return "money"
        except ValueError:
            return "money"
    return ""
