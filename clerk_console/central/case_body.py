"""The shape of a case a counter sends (`POST /cases`): every part typed and bounded.

A case is stored once and then read by every list of the hall (deferrals, searches, the
approvers' inboxes, the ready list), so a malformed one is refused at the door with a 422
that names the field, rather than stored to break those lists for everyone later. The shape
is what the console's intake writes (`Intake.to_data`, `Decision.to_data`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
Short = Annotated[str, StringConstraints(max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicantIn(_Part):
    kind: Literal["person", "organisation"]
    name: Short = ""
    id_number: Annotated[str, StringConstraints(max_length=40)] = ""
    mobile: Annotated[str, StringConstraints(max_length=20)] = ""
    credit_code: Annotated[str, StringConstraints(max_length=40)] = ""
    legal_representative: Short = ""
    contact: Short = ""


class AgentIn(_Part):
    name: Short = ""
    id_number: Annotated[str, StringConstraints(max_length=40)] = ""
    mobile: Annotated[str, StringConstraints(max_length=20)] = ""


class SelectionIn(_Part):
    bundle: Code | None = None
    items: list[Code] = Field(default_factory=list, max_length=100)


class MaterialIn(_Part):
    original: Literal["none", "verified", "collected"] = "none"
    copies: int = Field(default=0, ge=0, le=100)
    scans: int = Field(default=0, ge=0, le=1000)
    verified_by_sharing: bool = False
    deferred_until: date | None = None
    not_applicable: bool = False
    marked_missing: bool = False


class PromisedIn(_Part):
    day: date
    provisional: bool = False


class SupplementLineIn(_Part):
    """A line of a one-time supplement notice: the material and items by name, as printed."""

    material: Short
    items: list[Short] = Field(default_factory=list, max_length=100)
    shortfalls: list[Code] = Field(default_factory=list, max_length=20)
    copies_missing: int = Field(default=0, ge=0, le=100)


class DecisionIn(_Part):
    kind: Literal["accept", "accept_deferred", "supplement", "reject"] | None = None
    case_number: Annotated[str, StringConstraints(max_length=40)] = ""
    promised: dict[Code, PromisedIn] = Field(default_factory=dict, max_length=100)
    deferred: dict[Code, date] = Field(default_factory=dict, max_length=200)
    supplement: list[SupplementLineIn] = Field(default_factory=list, max_length=200)
    reason_code: Annotated[str, StringConstraints(max_length=64)] = ""
    reason_text: Text = ""
    query_password: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] = ""


class EarlierDecisionIn(DecisionIn):
    """A decision the case had before it was taken up again, with when and where."""

    at: Annotated[str, StringConstraints(max_length=40)] = ""
    counter: int | None = Field(default=None, ge=1, le=999)
    clerk: Annotated[str, StringConstraints(max_length=64)] = ""


class CaseData(_Part):
    applicant: ApplicantIn
    agent: AgentIn | None = None
    selection: SelectionIn | None = None
    answers: dict[Code, Short] = Field(default_factory=dict, max_length=200)
    materials: dict[Code, MaterialIn] = Field(default_factory=dict, max_length=500)
    form: dict[Code, Text] = Field(default_factory=dict, max_length=500)
    shared: dict[Code, dict[Code, Short]] = Field(default_factory=dict, max_length=100)
    decision: DecisionIn = Field(default_factory=DecisionIn)
    ticket: Annotated[str, StringConstraints(max_length=16)] | None = None
    continues: Annotated[str, StringConstraints(max_length=40)] | None = None
    history: list[EarlierDecisionIn] = Field(default_factory=list, max_length=50)


class StoredCase(CaseData):
    """A case as the platform keeps it: what the counter sent, and the instant items'
    results the platform adds. Read leniently: a case stored before its shape was checked
    (or mended by hand) must not fail the lists it appears in."""

    model_config = ConfigDict(extra="ignore")
    applicant: ApplicantIn = Field(default_factory=lambda: ApplicantIn(kind="person"))
    instant: dict[Code, dict[str, Any] | None] = Field(default_factory=dict)


_PARTS: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(f.annotation) for name, f in StoredCase.model_fields.items()
}


def stored_data(text: str) -> dict[str, Any]:
    """A stored case's data in its checked shape. A part that does not fit it reads as
    empty (the rest is kept), so one damaged case shows with less, and never breaks a list
    of the whole hall; the stored text itself is left as it is."""
    try:
        return StoredCase.model_validate_json(text).model_dump(mode="json")
    except ValidationError:
        return _the_parts_that_fit(text)


def _the_parts_that_fit(text: str) -> dict[str, Any]:
    try:
        raw = json.loads(text)
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        raw = {}
    kept: dict[str, Any] = {}
    for name, adapter in _PARTS.items():
        if name in raw:
            try:
                kept[name] = adapter.validate_python(raw[name])
            except ValidationError:
                continue
    return StoredCase.model_validate(kept).model_dump(mode="json")
