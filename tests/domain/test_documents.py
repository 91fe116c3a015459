"""Printed documents as data: widths counted as the printer counts them (a Chinese character
is two columns), and the ticket slip and intake receipt line by line at 58 and 80 mm."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from clerk_console.catalog_files import load_wording
from clerk_console.domain.documents import (
    COLUMNS,
    QR,
    Align,
    Barcode,
    Document,
    ReceiptItem,
    Text,
    aligned,
    display_width,
    intake_receipt,
    pickup_slip,
    reprint,
    ticket_slip,
    two_sides,
    wrap,
)

AT = datetime(2026, 11, 23, 9, 30)


def test_chinese_takes_two_columns() -> None:
    assert display_width("B017") == 4
    assert display_width("受理回执") == 8
    assert display_width("5号窗口") == 7
    assert display_width("（补打）") == 8  # full-width punctuation too


def test_wrapping_never_passes_the_width_nor_splits_a_character() -> None:
    text = "申请人应当在承诺期限内补交容缺材料逾期未补交的将依法处理"
    lines = wrap(text, 32)
    assert "".join(lines) == text
    assert all(display_width(line) <= 32 for line in lines)
    assert [display_width(line) for line in lines][:1] == [32]
    assert wrap("a\nb", 10) == ["a", "b"]
    assert wrap("track the case online", 10) == ["track the", "case", "online"]
    assert wrap("5号窗口办理", 4) == ["5号", "窗口", "办理"]  # at 3 columns a wide char waits
    with pytest.raises(ValueError):
        wrap("x", 1)


def test_alignment_counts_columns_not_characters() -> None:
    assert aligned("受理", 10, Align.CENTER) == "   受理"
    assert aligned("受理", 10, Align.RIGHT) == "      受理"
    assert two_sides("受理编号", "0001", 16) == "受理编号    0001"
    assert two_sides("受理编号受理编号", "0001", 16) == "受理编号受理编号\n0001"


@pytest.mark.parametrize("paper", [58, 80])
def test_the_ticket_slip(paper: int) -> None:
    slip = ticket_slip(load_wording(), "江阳区政务服务中心", "B 企业开办", "B017", AT, 3, 24)
    lines = slip.lines(COLUMNS[paper])
    assert all(display_width(line) <= COLUMNS[paper] for line in lines)
    text = "\n".join(lines)
    assert "B017" in text and "您前面还有 3 人" in text and "预计等候约 24 分钟" in text
    assert "2026-11-23 09:30" in text
    assert Barcode("B017") in slip.blocks  # the counter's scanner reads the number


@pytest.mark.parametrize("paper", [58, 80])
def test_the_intake_receipt(paper: int) -> None:
    receipt = intake_receipt(
        load_wording(),
        hall="江阳区政务服务中心",
        counter=5,
        clerk="0105",
        case_number="JY01-20261123-05-0001",
        password="123456",
        applicant="江阳示范科技有限公司",
        items=[
            ReceiptItem("企业设立登记", "市场监督管理局", date(2026, 11, 26)),
            ReceiptItem("公章刻制备案", "公安局", date(2026, 11, 24)),
        ],
        received=[("公司章程", "原件"), ("法定代表人（负责人）身份证件", "原件核验、复印件 1 份")],
        shared=["股东（出资人）主体资格证明"],
        deferred=[("住所（经营场所）产权证明", date(2026, 11, 30))],
        tracking_url="https://zwfw.example.invalid/track",
        accepted_at=AT,
    )
    columns = COLUMNS[paper]
    lines = receipt.lines(columns)
    assert all(display_width(line) <= columns for line in lines)
    text = "\n".join(lines)
    for expected in (
        "受理回执",
        "受理编号：JY01-20261123-05-0001",
        "查询密码：123456",
        "企业设立登记（市场监督管理局）",
        "承诺 2026-11-26 前办结",
        "共享核验（免提交）",
        "住所（经营场所）产权证明：2026-11-30 前补交",
    ):
        assert expected in text.replace("\n", "") or expected in text, expected
    assert QR("https://zwfw.example.invalid/track?case=JY01-20261123-05-0001") in receipt.blocks
    assert "（补打）" not in text
    again = intake_receipt(
        load_wording(),
        hall="江阳区政务服务中心",
        counter=5,
        clerk="0105",
        case_number="JY01-20261123-05-0001",
        password="123456",
        applicant="江阳示范科技有限公司",
        items=[],
        received=[],
        shared=[],
        deferred=[],
        tracking_url="https://zwfw.example.invalid/track",
        accepted_at=AT,
        copy=True,
    )
    assert again.copy and "（补打）" in "\n".join(again.lines(columns))


def test_a_document_survives_the_print_queue_as_data() -> None:
    """A job keeps its document as JSON; what comes back prints the same."""
    import json

    slip = ticket_slip(load_wording(), "江阳区政务服务中心", "B 企业开办", "B017", AT, 3, 24)
    again = Document.from_data(json.loads(json.dumps(slip.to_data())))
    assert again == slip and again.lines(32) == slip.lines(32)
    with pytest.raises(ValueError, match="not a printed document"):
        Document.from_data({"kind": "x", "blocks": [{"type": "hologram"}]})


def test_a_reprint_carries_the_copy_mark_under_its_title() -> None:
    slip = ticket_slip(load_wording(), "江阳区政务服务中心", "B 企业开办", "B017", AT, 3, 24)
    copy = reprint(slip, load_wording())
    assert copy.copy and copy.blocks[0] == slip.blocks[0]
    assert copy.blocks[1] == Text("（补打）", Align.CENTER, bold=True)
    assert copy.blocks[2:] == slip.blocks[1:]
    assert reprint(copy, load_wording()) == copy  # a copy of a copy is marked once


def test_the_pickup_slip() -> None:
    slip = pickup_slip(
        load_wording(),
        hall="江阳区政务服务中心",
        case_number="JY01-20261123-05-0001",
        applicant="江阳示范科技有限公司",
        results=["营业执照（统一社会信用代码 91110000600037341L）"],
        recipient="王*",
        how="现场领取",
        delivered_at=AT,
        related=["银行开户", "社保登记"],
    )
    text = "\n".join(slip.lines(48))
    assert slip.kind == "pickup_slip" and text.splitlines()[0].strip() == "领取凭证"
    for expected in ("领取人：王*", "领取方式：现场领取", "您可能还需要办理", "· 银行开户"):
        assert expected in text
