"""An intake (受理) in progress: who applies, what for, what the clerk has recorded.

The draft is a plain value: the screens change it one step at a time, the local store saves
it after every step, and it reads back exactly as it was written (`to_data` / `from_data`),
so a draft survives a crash and reopens where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from clerk_console.domain.checklist import Selection
from clerk_console.domain.decision import MaterialRecord, OriginalStatus
from clerk_console.domain.identifiers import (
    Checked,
    check_credit_code,
    check_id_number,
    check_mobile,
)


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
