"""Material states and the four decisions."""

from __future__ import annotations

from datetime import date

import pytest

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.checklist import Checklist, Selection, build_checklist
from clerk_console.domain.decision import (
    DecisionKind,
    EntryStatus,
    MaterialRecord,
    OriginalStatus,
    Shortfall,
    assess,
    check_decision,
    supplement_lines,
)

TODAY = date(2026, 11, 23)
ANSWERS = {
    "company_type": "llc",
    "premises": "rented",
    "need_seal": "no",
    "need_invoice": "no",
    "hire_staff": "no",
    "agent": "no",
}


@pytest.fixture
def checklist(catalog: Catalog) -> Checklist:
    return build_checklist(catalog, Selection(bundle="QYKB"), ANSWERS)


def complete_records(checklist: Checklist) -> dict[str, MaterialRecord]:
    records = {}
    for e in checklist.entries:
        status = {
            "collect": OriginalStatus.COLLECTED,
            "verify": OriginalStatus.VERIFIED,
            "none": OriginalStatus.NONE,
        }[e.original.value]
        records[e.material.code] = MaterialRecord(original=status, copies=e.copies, scans=1)
    return records


def codes(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.code for p in problems]


def test_everything_received_can_be_accepted(checklist: Checklist) -> None:
    assessment = assess(checklist, complete_records(checklist))
    assert assessment.blocking == ()
    assert check_decision(DecisionKind.ACCEPT, assessment, TODAY) == []
    assert codes(check_decision(DecisionKind.SUPPLEMENT, assessment, TODAY)) == ["nothing_missing"]


def test_missing_material_blocks_acceptance_and_goes_on_the_notice(checklist: Checklist) -> None:
    records = complete_records(checklist)
    records["articles"] = MaterialRecord().missing()
    records["legal_rep_id"] = MaterialRecord(original=OriginalStatus.VERIFIED, copies=0)
    assessment = assess(checklist, records)
    problems = check_decision(DecisionKind.ACCEPT, assessment, TODAY)
    assert codes(problems) == ["materials_blocking"]
    assert set(problems[0].materials) == {"公司章程", "法定代表人（负责人）身份证件"}
    lines = supplement_lines(assessment)
    assert [(line.material, line.shortfalls, line.copies_missing) for line in lines] == [
        ("法定代表人（负责人）身份证件", (Shortfall.COPIES_SHORT,), 1),
        ("公司章程", (Shortfall.NOT_PROVIDED,), 0),
    ]
    assert check_decision(DecisionKind.SUPPLEMENT, assessment, TODAY) == []


def test_partial_material_is_insufficient_not_missing(checklist: Checklist) -> None:
    records = complete_records(checklist)
    records["legal_rep_id"] = MaterialRecord(copies=1)  # copy without the original seen
    entry = next(
        a for a in assess(checklist, records).entries if a.entry.material.code == "legal_rep_id"
    )
    assert entry.status is EntryStatus.INSUFFICIENT
    assert entry.shortfalls == (Shortfall.ORIGINAL_NEEDED,)


def test_verified_by_sharing_replaces_handing_in(checklist: Checklist) -> None:
    records = complete_records(checklist)
    records["legal_rep_id"] = MaterialRecord(verified_by_sharing=True)
    entry = next(
        a for a in assess(checklist, records).entries if a.entry.material.code == "legal_rep_id"
    )
    assert entry.status is EntryStatus.SHARED
    # A material with no registry cannot be "verified by sharing".
    records["articles"] = MaterialRecord(verified_by_sharing=True)
    assert codes(check_decision(DecisionKind.ACCEPT, assess(checklist, records), TODAY)) == [
        "materials_blocking"
    ]


def test_deferral_only_for_deferrable_non_key_materials_with_a_valid_date(
    checklist: Checklist,
) -> None:
    records = complete_records(checklist)
    records["officer_appointment"] = MaterialRecord().deferred(date(2026, 12, 1))
    assessment = assess(checklist, records)
    assert [a.entry.material.code for a in assessment.deferred] == ["officer_appointment"]
    assert check_decision(DecisionKind.ACCEPT_DEFERRED, assessment, TODAY) == []
    assert codes(check_decision(DecisionKind.ACCEPT, assessment, TODAY)) == [
        "deferral_needs_pledge"
    ]

    records["articles"] = MaterialRecord().deferred(date(2026, 12, 1))  # key material
    problems = check_decision(DecisionKind.ACCEPT_DEFERRED, assess(checklist, records), TODAY)
    assert codes(problems) == ["not_deferrable"] and problems[0].materials == ("公司章程",)

    records = complete_records(checklist)
    records["officer_appointment"] = MaterialRecord().deferred(date(2027, 3, 1))  # too far
    problems = check_decision(DecisionKind.ACCEPT_DEFERRED, assess(checklist, records), TODAY)
    assert codes(problems) == ["deferral_date_invalid"]
    records["officer_appointment"] = MaterialRecord().deferred(TODAY)  # not after today
    assert codes(
        check_decision(DecisionKind.ACCEPT_DEFERRED, assess(checklist, records), TODAY)
    ) == ["deferral_date_invalid"]


def test_nothing_deferred_is_not_a_deferral(checklist: Checklist) -> None:
    assessment = assess(checklist, complete_records(checklist))
    assert codes(check_decision(DecisionKind.ACCEPT_DEFERRED, assessment, TODAY)) == [
        "nothing_deferred"
    ]


def test_pending_questions_block_acceptance_but_not_rejection(catalog: Catalog) -> None:
    unsettled = build_checklist(catalog, Selection(bundle="QYKB"), {})
    assessment = assess(unsettled, complete_records(unsettled))
    assert "questions_pending" in codes(check_decision(DecisionKind.ACCEPT, assessment, TODAY))
    assert (
        check_decision(
            DecisionKind.REJECT, assessment, TODAY, catalog=catalog, reason_code="not_our_authority"
        )
        == []
    )


def test_rejection_needs_a_reason_from_the_catalog(catalog: Catalog, checklist: Checklist) -> None:
    assessment = assess(checklist, {})
    assert codes(check_decision(DecisionKind.REJECT, assessment, TODAY, catalog=catalog)) == [
        "reason_required"
    ]
    assert codes(
        check_decision(DecisionKind.REJECT, assessment, TODAY, catalog=catalog, reason_code="bad")
    ) == ["reason_unknown"]


def test_optional_material_never_blocks(catalog: Catalog) -> None:
    checklist = build_checklist(catalog, Selection(items=("GA-SFZ01",)), {})
    records = {"household_register": MaterialRecord(original=OriginalStatus.VERIFIED)}
    assessment = assess(checklist, records)
    photo = next(a for a in assessment.entries if a.entry.material.code == "photo")
    assert photo.status is EntryStatus.OPTIONAL_MISSING
    assert check_decision(DecisionKind.ACCEPT, assessment, TODAY) == []


def test_copies_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        MaterialRecord().with_copies(-1)
