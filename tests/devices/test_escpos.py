"""Documents rendered to ESC/POS and read back: Chinese in the printer's encoding inside
`FS &`/`FS .`, sizes that size Chinese (`GS !`), the QR payload from `GS ( k`, the ticket
barcode, the cut; line by line at 58 and 80 mm."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from escpos_decoder import UnknownCommand, decode

from clerk_console.catalog_files import load_wording
from clerk_console.devices.escpos import Profile, preview, render
from clerk_console.domain.documents import (
    COLUMNS,
    QR,
    Document,
    ReceiptItem,
    Text,
    deferral_pledge,
    display_width,
    intake_receipt,
    rejection_notice,
    supplement_notice,
    ticket_slip,
)

AT = datetime(2026, 11, 23, 9, 30)


def receipt() -> Document:
    return intake_receipt(
        load_wording(),
        hall="江阳区政务服务中心",
        counter=5,
        clerk="0105",
        case_number="JY01-20261123-05-0001",
        password="123456",
        applicant="江阳示范科技有限公司",
        items=[ReceiptItem("企业设立登记", "市场监督管理局", date(2026, 11, 26))],
        received=[("公司章程", "原件")],
        shared=["股东（出资人）主体资格证明"],
        deferred=[("住所（经营场所）产权证明", date(2026, 11, 30))],
        tracking_url="https://zwfw.example.invalid/track",
        accepted_at=AT,
    )


@pytest.mark.parametrize("paper", [58, 80])
@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8"])
def test_the_receipt_reads_back_line_by_line(paper: int, encoding: str) -> None:
    document = receipt()
    profile = Profile(columns=COLUMNS[paper], encoding=encoding)
    printed = decode(render(document, profile), encoding)
    texts = [t for t in printed.texts() if t]
    without_codes = Document(
        document.kind, tuple(b for b in document.blocks if not isinstance(b, QR))
    )
    expected = [line.strip() for line in without_codes.lines(profile.columns) if line.strip()]
    assert [t.strip() for t in texts] == expected
    assert printed.qr == ["https://zwfw.example.invalid/track?case=JY01-20261123-05-0001"]
    assert printed.cuts == 1
    title = next(line for line in printed.lines if line.text == "受理回执")
    assert (title.size, title.bold, title.align) == (0x11, True, 1)  # double, bold, centred
    assert all(
        display_width(line.text) * (2 if line.size else 1) <= profile.columns
        for line in printed.lines
    )
    assert "（" in "".join(texts) and "?" not in "".join(texts)  # Chinese punctuation kept


def test_the_ticket_slip_carries_a_barcode_of_its_number() -> None:
    slip = ticket_slip(load_wording(), "江阳区政务服务中心", "B 企业开办", "B017", AT, 3, 24)
    printed = decode(render(slip, Profile()), "gb18030")
    assert printed.barcodes == ["B017"]
    assert "您前面还有 3 人" in printed.texts()


def test_a_printer_that_cannot_cut_gets_no_cut() -> None:
    printed = decode(render(receipt(), Profile(cut=False)), "gb18030")
    assert printed.cuts == 0


def test_the_decoder_fails_on_what_it_does_not_know() -> None:
    with pytest.raises(UnknownCommand):
        decode(b"\x1b@\x1bt\x10", "gb18030")  # ESC t: a code page we never send
    with pytest.raises(UnknownCommand):
        decode(b"\x1b@plain\n", "gb18030")  # text outside Chinese character mode


def test_preview_is_what_the_screen_shows() -> None:
    text = preview(Document("x", (Text("受理回执"),)), Profile(columns=32))
    assert text == "受理回执"


def test_the_notices_read_back() -> None:
    wording = load_wording()
    common = {
        "hall": "江阳区政务服务中心",
        "case_number": "JY01-20261123-05-0002",
        "applicant": "张*",
        "issued_at": AT,
    }
    notices = {
        "supplement": supplement_notice(
            wording,
            lines=[("公司章程", "未提交"), ("住所（经营场所）产权证明", "复印件不足")],
            **common,
        ),
        "rejection": rejection_notice(
            wording, reason="申请事项依法不属于本机关职权范围", detail="请向市级部门申请", **common
        ),
        "pledge": deferral_pledge(
            wording, deferred=[("住所（经营场所）产权证明", date(2026, 11, 30))], **common
        ),
    }
    texts = {
        name: "".join(decode(render(doc, Profile()), "gb18030").texts())
        for name, doc in notices.items()
    }
    assert "一次性告知书" in texts["supplement"]
    assert "1. 公司章程（未提交）" in texts["supplement"]
    assert "2. 住所（经营场所）产权证明（复印件不足）" in texts["supplement"]
    assert "不予受理通知书" in texts["rejection"] and "行政复议" in texts["rejection"]
    assert "申请事项依法不属于本机关职权范围" in texts["rejection"]
    assert "承诺人（签字）" in texts["pledge"] and "2026-11-30 前补交" in texts["pledge"]
    copy = deferral_pledge(wording, deferred=[], copy=True, **common)
    assert "（补打）" in "".join(decode(render(copy, Profile()), "gb18030").texts())


@pytest.mark.parametrize("paper", [58, 80])
def test_a_qr_code_sent_as_an_image_scans(paper: int) -> None:
    """For printers without GS ( k: the QR code goes as a raster image (GS v 0), and a QR
    reader finds the tracking address in the dots the printer would burn."""
    import zxingcpp
    from PIL import Image

    profile = Profile(columns=COLUMNS[paper], native_qr=False)
    printed = decode(render(receipt(), profile), profile.encoding)
    assert printed.qr == []  # nothing native
    (raster,) = printed.images
    assert raster.width_bytes * 8 <= {58: 384, 80: 576}[paper]  # fits the paper's dots
    dots = raster.dots()
    quiet = 16  # a reader needs a white margin around the code
    image = Image.new("L", (len(dots[0]) + 2 * quiet, len(dots) + 2 * quiet), 255)
    for y, row in enumerate(dots):
        for x, dot in enumerate(row):
            if dot:
                image.putpixel((x + quiet, y + quiet), 0)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == "https://zwfw.example.invalid/track?case=JY01-20261123-05-0001"
    assert "".join(printed.texts()).endswith(load_wording().line("track_hint"))


HOSTILE = "张\x10\x14\x01\x00\x05三\x1dV\x00\x1b@\u202e科技\t有限\r\n公司\x7f\x9b"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_control_bytes_in_outside_text_never_reach_the_printer(encoding: str) -> None:
    """A name from a pre-application or a result from a department's system that carries
    DLE DC4 (open the cash drawer), GS V (cut), ESC @ (reset) or a bidi override prints as
    its visible characters; the stream holds only the commands the document asked for."""
    document = intake_receipt(
        load_wording(),
        hall="江阳区政务服务中心",
        counter=5,
        clerk="王\x1b@五",
        case_number="JY01-20261123-05-0001",
        password="123456",
        applicant=HOSTILE,
        items=[ReceiptItem("企业设立登记\x1dV\x01", "市场监督管理局", date(2026, 11, 26))],
        received=[("公司章程\x10\x14\x01\x00\x05", "原件")],
        shared=[],
        deferred=[],
        tracking_url="https://zwfw.example.invalid/track",
        accepted_at=AT,
    )
    data = render(document, Profile(columns=COLUMNS[80], encoding=encoding))
    assert data.count(b"\x1b@") == 1 and data.startswith(b"\x1b@")  # only the opening reset
    assert data.count(b"\x1dV") == 1  # only the document's own cut
    assert b"\x10" not in data and b"\x7f" not in data
    printed = decode(data, encoding)
    assert printed.cuts == 1
    text = "\n".join(printed.texts())
    assert "张三V@科技 有限" in text and "企业设立登记V" in text and "王@五" in text
    assert "\u202e" not in text and "\x9b" not in text
    assert "\u202e" not in preview(document, Profile()) and "\x10" not in preview(
        document, Profile()
    )
