"""Material states at the counter and the rules of the four decisions.

The clerk records what happened to each material of the checklist (original seen or kept,
copies received, scanned, verified by sharing, deferred, missing, not applicable). From
those records follow what still blocks acceptance, whether a deferral (容缺) is allowed, what
goes on a one-time supplement notice (一次性告知) and whether a rejection is well founded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from clerk_console.domain.catalog import Catalog, OriginalRule
from clerk_console.domain.checklist import Checklist, ChecklistEntry

DEFAULT_MAX_DEFERRAL_DAYS = 30
"""How far ahead a deferred material may be promised, in calendar days, unless configured."""


class OriginalStatus(StrEnum):
    """What the counter did with the original document."""

    NONE = "none"
    VERIFIED = "verified"
    COLLECTED = "collected"


@dataclass(frozen=True, slots=True)
class MaterialRecord:
    """What the clerk recorded for one material of the checklist."""

    original: OriginalStatus = OriginalStatus.NONE
    copies: int = 0
    scans: int = 0
    verified_by_sharing: bool = False
    deferred_until: date | None = None
    not_applicable: bool = False
    marked_missing: bool = False

    def with_original(self, status: OriginalStatus) -> MaterialRecord:
        """Original verified or collected; clears missing and not-applicable marks."""
        return replace(self, original=status, marked_missing=False, not_applicable=False)

    def with_copies(self, copies: int) -> MaterialRecord:
        """Copies received (a count, never negative)."""
        if copies < 0:
            raise ValueError("copies cannot be negative")
        return replace(self, copies=copies, marked_missing=False, not_applicable=False)

    def deferred(self, until: date) -> MaterialRecord:
        """Deferred under a pledge until `until`: not handed over now (what was recorded as
        handed over no longer counts; scans stay), brought by that day."""
        return MaterialRecord(deferred_until=until, scans=self.scans)

    def missing(self) -> MaterialRecord:
        """Marked missing: nothing handed over counts any more."""
        return MaterialRecord(marked_missing=True, scans=self.scans)


class EntryStatus(StrEnum):
    """Where one material of the checklist stands."""

    COMPLETE = "complete"
    SHARED = "verified_by_sharing"
    DEFERRED = "deferred"
    NOT_APPLICABLE = "not_applicable"
    INSUFFICIENT = "insufficient"
    MISSING = "missing"
    OPTIONAL_MISSING = "optional_missing"


class Shortfall(StrEnum):
    """Why a material is not complete; printed on the supplement notice."""

    ORIGINAL_NEEDED = "original_needed"  # the original must be shown
    ORIGINAL_TO_COLLECT = "original_to_collect"  # the original must be handed in
    COPIES_SHORT = "copies_short"
    NOT_PROVIDED = "not_provided"


@dataclass(frozen=True, slots=True)
class EntryAssessment:
    """One checklist entry with its record, status and what it lacks."""

    entry: ChecklistEntry
    record: MaterialRecord
    status: EntryStatus
    shortfalls: tuple[Shortfall, ...]
    copies_missing: int = 0

    @property
    def blocking(self) -> bool:
        """Whether it stops a plain acceptance."""
        return self.status in (EntryStatus.MISSING, EntryStatus.INSUFFICIENT)


def assess_entry(entry: ChecklistEntry, record: MaterialRecord) -> EntryAssessment:
    """Status of one entry given what the clerk recorded."""
    if record.verified_by_sharing and entry.shareable:
        return EntryAssessment(entry, record, EntryStatus.SHARED, ())
    if record.not_applicable and not entry.required:
        return EntryAssessment(entry, record, EntryStatus.NOT_APPLICABLE, ())
    shortfalls: list[Shortfall] = []
    if entry.original is OriginalRule.COLLECT and record.original is not OriginalStatus.COLLECTED:
        shortfalls.append(Shortfall.ORIGINAL_TO_COLLECT)
    elif entry.original is OriginalRule.VERIFY and record.original is OriginalStatus.NONE:
        shortfalls.append(Shortfall.ORIGINAL_NEEDED)
    copies_missing = max(0, entry.copies - record.copies)
    if copies_missing:
        shortfalls.append(Shortfall.COPIES_SHORT)
    # A material asked for with neither original nor copies counts once anything is scanned.
    if entry.original is OriginalRule.NONE and entry.copies == 0 and record.scans == 0:
        shortfalls.append(Shortfall.NOT_PROVIDED)
    if record.marked_missing:
        shortfalls = [Shortfall.NOT_PROVIDED]
        copies_missing = entry.copies
    if not shortfalls:
        return EntryAssessment(entry, record, EntryStatus.COMPLETE, ())
    if record.deferred_until is not None:
        return EntryAssessment(
            entry, record, EntryStatus.DEFERRED, tuple(shortfalls), copies_missing
        )
    if not entry.required:
        return EntryAssessment(
            entry, record, EntryStatus.OPTIONAL_MISSING, tuple(shortfalls), copies_missing
        )
    received_something = (
        record.original is not OriginalStatus.NONE or record.copies > 0 or record.scans > 0
    ) and not record.marked_missing
    status = EntryStatus.INSUFFICIENT if received_something else EntryStatus.MISSING
    return EntryAssessment(entry, record, status, tuple(shortfalls), copies_missing)


@dataclass(frozen=True, slots=True)
class Assessment:
    """The whole checklist assessed."""

    entries: tuple[EntryAssessment, ...]
    questions_pending: bool

    @property
    def blocking(self) -> tuple[EntryAssessment, ...]:
        """Required materials missing or insufficient and not deferred."""
        return tuple(a for a in self.entries if a.blocking)

    @property
    def deferred(self) -> tuple[EntryAssessment, ...]:
        """Materials deferred under a pledge."""
        return tuple(a for a in self.entries if a.status is EntryStatus.DEFERRED)

    @property
    def complete_count(self) -> int:
        """How many materials need nothing more."""
        done = (EntryStatus.COMPLETE, EntryStatus.SHARED, EntryStatus.NOT_APPLICABLE)
        return sum(1 for a in self.entries if a.status in done)


def assess(checklist: Checklist, records: Mapping[str, MaterialRecord]) -> Assessment:
    """Assess every entry of the checklist against the records (by material code)."""
    return Assessment(
        tuple(
            assess_entry(e, records.get(e.material.code, MaterialRecord()))
            for e in checklist.entries
        ),
        questions_pending=not checklist.settled,
    )


class DecisionKind(StrEnum):
    """The four ways an intake can end."""

    ACCEPT = "accept"
    ACCEPT_DEFERRED = "accept_deferred"
    SUPPLEMENT = "supplement"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a decision is not allowed. `code` is a message key; `materials` the names concerned."""

    code: str
    materials: tuple[str, ...] = ()


def check_decision(
    kind: DecisionKind,
    assessment: Assessment,
    today: date,
    *,
    catalog: Catalog | None = None,
    reason_code: str = "",
    reason_text: str = "",
    max_deferral_days: int = DEFAULT_MAX_DEFERRAL_DAYS,
) -> list[Problem]:
    """Every reason `kind` cannot be decided now; an empty list means it can."""
    problems: list[Problem] = []
    if kind is DecisionKind.REJECT:
        # A refusal needs a legal reason but not a settled checklist: a matter outside our
        # authority is refused before any question is answered.
        if not reason_code:
            problems.append(Problem("reason_required"))
        elif catalog is not None and reason_code not in catalog.rejection_reasons:
            problems.append(Problem("reason_unknown"))
        return problems
    if assessment.questions_pending:
        problems.append(Problem("questions_pending"))
    blocking = tuple(a.entry.material.name for a in assessment.blocking)
    deferred = assessment.deferred
    if kind is DecisionKind.SUPPLEMENT:
        if not blocking and not deferred:
            problems.append(Problem("nothing_missing"))
        return problems
    if blocking:
        problems.append(Problem("materials_blocking", blocking))
    if kind is DecisionKind.ACCEPT and deferred:
        problems.append(
            Problem("deferral_needs_pledge", tuple(a.entry.material.name for a in deferred))
        )
    if kind is DecisionKind.ACCEPT_DEFERRED:
        if not deferred:
            problems.append(Problem("nothing_deferred"))
        not_deferrable = tuple(a.entry.material.name for a in deferred if not a.entry.deferrable)
        if not_deferrable:
            problems.append(Problem("not_deferrable", not_deferrable))
        latest = today + timedelta(days=max_deferral_days)
        bad_dates = tuple(
            a.entry.material.name
            for a in deferred
            if a.record.deferred_until is None or not today < a.record.deferred_until <= latest
        )
        if bad_dates:
            problems.append(Problem("deferral_date_invalid", bad_dates))
    return problems


@dataclass(frozen=True, slots=True)
class SupplementLine:
    """One material on the one-time supplement notice, with everything it lacks."""

    material: str
    items: tuple[str, ...]
    shortfalls: tuple[Shortfall, ...]
    copies_missing: int


def supplement_lines(assessment: Assessment) -> list[SupplementLine]:
    """Every missing or insufficient material, once, in checklist order (一次性告知)."""
    lines = []
    for a in assessment.entries:
        if a.blocking or a.status is EntryStatus.DEFERRED:
            lines.append(
                SupplementLine(a.entry.material.name, a.entry.items, a.shortfalls, a.copies_missing)
            )
    return lines
