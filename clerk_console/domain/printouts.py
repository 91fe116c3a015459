"""Which documents an ended intake prints, built from the decision and what was recorded.

An accepted case prints its receipt, and the deferral pledge too when a material was
deferred (容缺); a supplement prints the one-time notice; a rejection prints its notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.decision import DecisionKind, OriginalStatus
from clerk_console.domain.documents import (
    Align,
    Document,
    ReceiptItem,
    Rule,
    Text,
    Wording,
    deferral_pledge,
    intake_receipt,
    pickup_slip,
    rejection_notice,
    supplement_notice,
    ticket_slip,
)
from clerk_console.domain.identifiers import mask_name
from clerk_console.domain.intake import ApplicantKind, Decision, Intake


@dataclass(frozen=True, slots=True)
class Where:
    """Where and by whom the documents are issued."""

    hall: str
    counter: int
    clerk: str
    tracking_url: str


def printed_applicant(intake: Intake) -> str:
    """The applicant as paper shows it: an organisation by name, a person masked (张*明)."""
    a = intake.applicant
    return a.name if a.kind is ApplicantKind.ORGANISATION else mask_name(a.name)


def _received(intake: Intake, catalog: Catalog, wording: Wording) -> list[tuple[str, str]]:
    out = []
    for code, record in intake.records.items():
        parts = []
        if record.original is OriginalStatus.VERIFIED:
            parts.append(wording.line("original_verified"))
        elif record.original is OriginalStatus.COLLECTED:
            parts.append(wording.line("original_collected"))
        if record.copies:
            parts.append(wording.line("copies", n=record.copies))
        if parts and not record.verified_by_sharing:
            out.append((catalog.materials[code].name, "、".join(parts)))
    return out


def decision_documents(
    decision: Decision,
    intake: Intake,
    catalog: Catalog,
    wording: Wording,
    where: Where,
    at: datetime,
) -> list[Document]:
    """The documents to print for `decision`, in the order they come out of the printer."""
    applicant = printed_applicant(intake)
    deferred = [(catalog.materials[m].name, day) for m, day in decision.deferred.items()]
    if decision.kind is DecisionKind.SUPPLEMENT:
        lines = [
            (line.material, "、".join(wording.line(f"lacks_{s.value}") for s in line.shortfalls))
            for line in decision.supplement
        ]
        return [
            supplement_notice(
                wording,
                hall=where.hall,
                case_number=decision.case_number,
                applicant=applicant,
                lines=lines,
                issued_at=at,
                tracking_url=where.tracking_url,
            )
        ]
    if decision.kind is DecisionKind.REJECT:
        return [
            rejection_notice(
                wording,
                hall=where.hall,
                case_number=decision.case_number,
                applicant=applicant,
                reason=catalog.rejection_reasons[decision.reason_code].text,
                detail=decision.reason_text,
                issued_at=at,
            )
        ]
    items = [
        ReceiptItem(
            catalog.items[code].name,
            catalog.departments[catalog.items[code].department].name,
            due.day,
        )
        for code, due in decision.promised.items()
    ]
    shared = [
        catalog.materials[code].name
        for code, record in intake.records.items()
        if record.verified_by_sharing
    ]
    documents = [
        intake_receipt(
            wording,
            hall=where.hall,
            counter=where.counter,
            clerk=where.clerk,
            case_number=decision.case_number,
            password=decision.query_password,
            applicant=applicant,
            items=items,
            received=_received(intake, catalog, wording),
            shared=shared,
            deferred=deferred,
            tracking_url=where.tracking_url,
            accepted_at=at,
        )
    ]
    if deferred:
        documents.append(
            deferral_pledge(
                wording,
                hall=where.hall,
                case_number=decision.case_number,
                applicant=applicant,
                deferred=deferred,
                issued_at=at,
            )
        )
    return documents


def sample_documents(wording: Wording, where: Where, printer: str, at: datetime) -> list[Document]:
    """One of every document, with made-up content, headed as a test page of `printer`
    (`clerk-console print test`): to check layout, Chinese, codes and the cutter."""
    case = "TEST-00000000-00-0000"
    due = at.date()
    documents = [
        ticket_slip(wording, where.hall, "A 综合受理", "A001", at, 3, 24),
        intake_receipt(
            wording,
            hall=where.hall,
            counter=where.counter,
            clerk=where.clerk,
            case_number=case,
            password="000000",
            applicant="张*丰",
            items=[ReceiptItem("企业设立登记", "市场监督管理局", due)],
            received=[("公司章程", wording.line("original_collected"))],
            shared=["营业执照"],
            deferred=[("住所（经营场所）产权证明", due)],
            tracking_url=where.tracking_url,
            accepted_at=at,
        ),
        supplement_notice(
            wording,
            hall=where.hall,
            case_number=case,
            applicant="张*丰",
            lines=[("公司章程", wording.line("lacks_not_provided"))],
            issued_at=at,
        ),
        rejection_notice(
            wording,
            hall=where.hall,
            case_number=case,
            applicant="张*丰",
            reason="不属于本机关职权范围",
            detail="",
            issued_at=at,
        ),
        deferral_pledge(
            wording,
            hall=where.hall,
            case_number=case,
            applicant="张*丰",
            deferred=[("住所（经营场所）产权证明", due)],
            issued_at=at,
        ),
        pickup_slip(
            wording,
            hall=where.hall,
            case_number=case,
            applicant="张*丰",
            results=["营业执照"],
            recipient="张*丰",
            how="现场领取",
            delivered_at=at,
            related=["银行开户"],
        ),
    ]
    heading = (Text(wording.line("test_heading", printer=printer), Align.CENTER), Rule("="))
    return [Document(d.kind, heading + d.blocks, d.copy) for d in documents]
