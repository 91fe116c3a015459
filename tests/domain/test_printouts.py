"""What an ended intake prints: a receipt (and the pledge when something was deferred), the
one-time supplement notice, or the rejection notice; the applicant as paper may show it."""

from __future__ import annotations

from datetime import date, datetime

from clerk_console.catalog_files import load_wording
from clerk_console.domain.catalog import Catalog
from clerk_console.domain.decision import (
    DecisionKind,
    MaterialRecord,
    OriginalStatus,
    Shortfall,
    SupplementLine,
)
from clerk_console.domain.intake import Applicant, ApplicantKind, Decision, Intake
from clerk_console.domain.printouts import Where, decision_documents
from clerk_console.domain.workdays import DueDate

WHERE = Where("江阳区政务服务中心", 5, "clerk01", "https://zwfw.jiangyang.example/track")
AT = datetime(2026, 11, 23, 9, 30)


def intake(kind: ApplicantKind = ApplicantKind.PERSON, name: str = "张三丰") -> Intake:
    return Intake(
        key="draft-1",
        counter=5,
        clerk="clerk01",
        applicant=Applicant(kind=kind, name=name),
        records={
            "id_card": MaterialRecord(original=OriginalStatus.VERIFIED, copies=1),
            "articles": MaterialRecord(original=OriginalStatus.COLLECTED),
            "shareholder_proof": MaterialRecord(verified_by_sharing=True),
        },
    )


def decision(kind: DecisionKind, **changes: object) -> Decision:
    values: dict[str, object] = {
        "kind": kind,
        "case_number": "JY01-20261123-05-0001",
        "query_password": "123456" if kind.value.startswith("accept") else "",
        "promised": {},
        "deferred": {},
        "supplement": (),
    }
    values.update(changes)
    return Decision(**values)  # type: ignore[arg-type]


def texts(document: object) -> str:
    return "\n".join(document.lines(48))  # type: ignore[attr-defined]


def test_an_accepted_case_prints_its_receipt_only(catalog: Catalog) -> None:
    accepted = decision(
        DecisionKind.ACCEPT, promised={"GA-YZ01": DueDate(date(2026, 11, 26), False)}
    )
    (receipt,) = decision_documents(accepted, intake(), catalog, load_wording(), WHERE, AT)
    text = texts(receipt)
    assert receipt.kind == "intake_receipt"
    assert "申请人：张*丰" in text  # a person is masked on paper
    assert "受理窗口：5号  受理人：clerk01" in text
    assert f"{catalog.items['GA-YZ01'].name}（公安局）" in text.replace("\n", "")
    assert f"{catalog.materials['id_card'].name}：原件核验、复印件 1 份" in text
    assert f"{catalog.materials['articles'].name}：原件" in text
    # verified by sharing: listed as such, not as received
    assert "共享核验（免提交）" in text and catalog.materials["shareholder_proof"].name in text


def test_a_deferral_prints_the_receipt_and_the_pledge(catalog: Catalog) -> None:
    deferred = decision(DecisionKind.ACCEPT_DEFERRED, deferred={"articles": date(2026, 11, 30)})
    company = intake(ApplicantKind.ORGANISATION, "江阳示范科技有限公司")
    receipt, pledge = decision_documents(deferred, company, catalog, load_wording(), WHERE, AT)
    assert (receipt.kind, pledge.kind) == ("intake_receipt", "deferral_pledge")
    line = f"{catalog.materials['articles'].name}：2026-11-30 前补交"
    assert line in texts(pledge) and "承诺人（签字）" in texts(pledge)
    assert "申请人：江阳示范科技有限公司" in texts(pledge)  # an organisation by name


def test_a_supplement_prints_every_missing_material_once(catalog: Catalog) -> None:
    lines = (
        SupplementLine("公司章程", ("SC-01",), (Shortfall.NOT_PROVIDED,), 0),
        SupplementLine(
            "身份证", ("SC-01",), (Shortfall.ORIGINAL_NEEDED, Shortfall.COPIES_SHORT), 1
        ),
    )
    supplement = decision(DecisionKind.SUPPLEMENT, supplement=lines)
    (notice,) = decision_documents(supplement, intake(), catalog, load_wording(), WHERE, AT)
    text = texts(notice).replace("\n", "")
    assert notice.kind == "supplement_notice"
    assert "1. 公司章程（未提交）" in text and "2. 身份证（需提供原件核验、复印件不足）" in text


def test_a_rejection_prints_the_reason_and_the_right_to_appeal(catalog: Catalog) -> None:
    rejected = decision(
        DecisionKind.REJECT, reason_code="not_our_authority", reason_text="应向市级办理"
    )
    (notice,) = decision_documents(rejected, intake(), catalog, load_wording(), WHERE, AT)
    text = texts(notice).replace("\n", "")
    assert notice.kind == "rejection_notice"
    assert catalog.rejection_reasons["not_our_authority"].text in text
    assert "应向市级办理" in text and "行政复议" in text
