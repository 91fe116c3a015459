"""Printed documents as data: what a ticket slip, a receipt or a notice says, line by line,
independent of any printer. `devices/` renders a document to ESC/POS bytes; the screens show
it as a preview.

Widths are counted in columns as a thermal printer counts them: a Chinese character takes
two, so a 58 mm printer's 32 columns hold 16 of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

COLUMNS = {58: 32, 80: 48}
"""Columns of a line by paper width (mm), in the printer's standard font."""


class Align(StrEnum):
    """Where a line sits."""

    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph: wrapped to the line width (at its size), aligned, maybe bold."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    size: int = 1  # 1 normal, 2 double width and height


@dataclass(frozen=True, slots=True)
class Rule:
    """A line across the paper."""

    char: str = "-"


@dataclass(frozen=True, slots=True)
class QR:
    """A QR code of `payload`."""

    payload: str


@dataclass(frozen=True, slots=True)
class Barcode:
    """A CODE128 barcode of `payload` (ticket numbers, for the counter's scanner)."""

    payload: str


@dataclass(frozen=True, slots=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """Cut the paper here (where the printer can)."""


Block = Text | Rule | QR | Barcode | Feed | Cut


@dataclass(frozen=True, slots=True)
class Document:
    """One printed document: its kind and its blocks, top to bottom."""

    kind: str
    blocks: tuple[Block, ...]
    copy: bool = False  # a reprint (补打): marked as such on paper

    def lines(self, columns: int) -> list[str]:
        """The text as it will stand on paper (codes shown as their payload): a preview."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Text):
                for line in wrap(block.text, columns // block.size):
                    out.append(aligned(line, columns // block.size, block.align))
            elif isinstance(block, Rule):
                out.append(block.char * columns)
            elif isinstance(block, QR):
                out.append(aligned("[QR]", columns, Align.CENTER))
                out.extend(wrap(block.payload, columns))
            elif isinstance(block, Barcode):
                out.append(aligned(f"[{block.payload}]", columns, Align.CENTER))
            elif isinstance(block, Feed):
                out.extend([""] * block.lines)
        return out

    def to_data(self) -> dict[str, Any]:
        """The document as JSON-ready data (a print job keeps it so)."""
        return {
            "kind": self.kind,
            "copy": self.copy,
            "blocks": [{"type": _BLOCK_NAMES[type(b)], **_fields(b)} for b in self.blocks],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Document:
        """The document back from `to_data()`; ValueError if it is not one."""
        try:
            blocks = tuple(_block_of(b) for b in data["blocks"])
            return cls(str(data["kind"]), blocks, bool(data.get("copy", False)))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a printed document: {exc}") from exc


_BLOCK_TYPES: dict[str, type[Block]] = {
    "text": Text,
    "rule": Rule,
    "qr": QR,
    "barcode": Barcode,
    "feed": Feed,
    "cut": Cut,
}
_BLOCK_NAMES = {kind: name for name, kind in _BLOCK_TYPES.items()}


def _block_of(data: Mapping[str, Any]) -> Block:
    values = {k: v for k, v in data.items() if k != "type"}
    if "align" in values:
        values["align"] = Align(values["align"])
    return _BLOCK_TYPES[data["type"]](**values)


def _fields(block: Block) -> dict[str, Any]:
    return {name: getattr(block, name) for name in block.__dataclass_fields__}


def reprint(document: Document, wording: Wording) -> Document:
    """The same document again, marked as a copy (补打) under its title."""
    if document.copy:
        return document
    mark = Text(wording.line("copy_mark"), Align.CENTER, bold=True)
    return Document(document.kind, (document.blocks[0], mark, *document.blocks[1:]), copy=True)


def renumbered(document: Document, old: str, wording: Wording) -> Document:
    """A document printed under case number `old`, which was found taken, again: its data
    already says the new number; under the title it says the old one is void."""
    # A hall's own documents file from before this line existed: the copy mark and the number.
    said = (
        wording.line("renumbered_mark", old=old)
        if "renumbered_mark" in wording.lines
        else f"{wording.line('copy_mark')} ≠ {old}"
    )
    mark = Text(said, Align.CENTER, bold=True)
    blocks = document.blocks
    return Document(document.kind, (blocks[0], mark, *blocks[1:]), copy=True)


def char_width(char: str) -> int:
    """Columns one character takes: two for wide (Chinese) characters, else one."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns a text takes on paper."""
    return sum(char_width(c) for c in text)


def printable(text: str) -> str:
    """`text` with every control and format character gone (a tab or a line break becomes a
    space). Names and results come from outside (a pre-application, a department's system);
    a DLE DC4, GS V or ESC @ inside one would open the cash drawer, cut or reset the
    printer mid-receipt, and a bidi override would print the text reversed."""
    out = []
    for char in text:
        if char in "\t\r\n\v\f":
            out.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cf"):
            out.append(char)
    return "".join(out)


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most `columns` columns, with nothing but printable characters (see
    `printable`); never splits a wide character, keeps explicit line breaks, and breaks a
    run of Latin text at a space where it can."""
    if columns < 2:
        raise ValueError("a line needs at least two columns")
    lines: list[str] = []
    for paragraph in (printable(part) for part in text.split("\n")):
        line, width = "", 0
        for char in paragraph:
            w = char_width(char)
            if width + w > columns:
                cut = line.rfind(" ")
                if cut > 0 and all(char_width(c) == 1 for c in line[cut:]):
                    lines.append(line[:cut])
                    line = line[cut + 1 :]
                else:
                    lines.append(line)
                    line = ""
                width = display_width(line)
            line += char
            width += w
        lines.append(line)
    return lines


def aligned(line: str, columns: int, align: Align) -> str:
    """`line` padded to sit left, centred or right in `columns` columns."""
    gap = max(0, columns - display_width(line))
    if align is Align.CENTER:
        return " " * (gap // 2) + line
    if align is Align.RIGHT:
        return " " * gap + line
    return line


def two_sides(left: str, right: str, columns: int) -> str:
    """`left` and `right` on one line, as far apart as the width allows (wrapped when they
    do not fit together)."""
    gap = columns - display_width(left) - display_width(right)
    return f"{left}{' ' * gap}{right}" if gap >= 1 else f"{left}\n{right}"


@dataclass(frozen=True, slots=True)
class Wording:
    """The fixed text of the documents, from the hall's documents file (never in code)."""

    titles: Mapping[str, str]
    lines: Mapping[str, str] = field(default_factory=dict)

    def title(self, kind: str) -> str:
        return self.titles[kind]

    def line(self, key: str, **values: object) -> str:
        return self.lines[key].format(**values)


def ticket_slip(
    wording: Wording,
    hall: str,
    line_name: str,
    number: str,
    issued_at: datetime,
    ahead: int,
    wait_minutes: int,
    rating_code: str = "",
    rating_url: str = "",
) -> Document:
    """号票: what the kiosk prints; its barcode is the ticket number for the counter's scanner.
    With a rating code, the slip also says it and its QR leads to the hall's rating page
    (好差评) with the ticket, its day and the code filled in."""
    rating: tuple[Block, ...] = ()
    if rating_code:
        rating = (Text(wording.line("rating_code", code=rating_code), Align.CENTER),)
        if rating_url:
            query = f"ticket={number}&day={issued_at:%Y-%m-%d}&code={rating_code}"
            rating += (QR(f"{rating_url}?{query}"),)
    return Document(
        "ticket_slip",
        (
            Text(hall, Align.CENTER, bold=True),
            Text(line_name, Align.CENTER),
            Text(number, Align.CENTER, bold=True, size=2),
            Text(wording.line("ahead", n=ahead), Align.CENTER),
            Text(wording.line("wait", minutes=wait_minutes), Align.CENTER),
            Text(f"{issued_at:%Y-%m-%d %H:%M}", Align.CENTER),
            Barcode(number),
            *rating,
            Text(wording.line("ticket_footer"), Align.CENTER),
            Cut(),
        ),
    )


@dataclass(frozen=True, slots=True)
class ReceiptItem:
    """An item of an accepted case, as the receipt lists it."""

    name: str
    department: str
    promised: date


def intake_receipt(
    wording: Wording,
    *,
    hall: str,
    counter: int,
    clerk: str,
    case_number: str,
    password: str,
    applicant: str,  # already masked
    items: Sequence[ReceiptItem],
    received: Sequence[tuple[str, str]],  # material, what was received (原件 / 复印件 n 份)
    shared: Sequence[str],
    deferred: Sequence[tuple[str, date]],
    tracking_url: str,
    accepted_at: datetime,
    copy: bool = False,
) -> Document:
    """受理回执."""
    blocks: list[Block] = [Text(wording.title("intake_receipt"), Align.CENTER, bold=True, size=2)]
    if copy:
        blocks.append(Text(wording.line("copy_mark"), Align.CENTER, bold=True))
    blocks += [
        Text(hall, Align.CENTER),
        Rule(),
        Text(wording.line("case_number", number=case_number), bold=True),
        Text(wording.line("password", password=password), bold=True),
        Text(wording.line("applicant", name=applicant)),
        Text(wording.line("counter", counter=counter, clerk=clerk)),
        Text(wording.line("accepted_at", at=f"{accepted_at:%Y-%m-%d %H:%M}")),
        Rule(),
        Text(wording.line("items_heading"), bold=True),
    ]
    for item in items:
        blocks.append(Text(f"{item.name}（{item.department}）"))
        blocks.append(Text(wording.line("promised", day=item.promised.isoformat()), Align.RIGHT))
    blocks += [Rule(), Text(wording.line("received_heading"), bold=True)]
    blocks += [Text(f"{material}：{what}") for material, what in received]
    if shared:
        blocks.append(Text(wording.line("shared_heading"), bold=True))
        blocks += [Text(material) for material in shared]
    if deferred:
        blocks.append(Text(wording.line("deferred_heading"), bold=True))
        blocks += [
            Text(wording.line("deferred_line", material=m, day=d.isoformat())) for m, d in deferred
        ]
    blocks += [
        Rule(),
        QR(f"{tracking_url}?case={case_number}"),
        Text(wording.line("track_hint"), Align.CENTER),
        Feed(),
        Cut(),
    ]
    return Document("intake_receipt", tuple(blocks), copy=copy)


def _notice_head(
    wording: Wording,
    kind: str,
    hall: str,
    case_number: str,
    applicant: str,
    issued_at: datetime,
    copy: bool,
) -> list[Block]:
    """The head every notice shares: title, copy mark, hall, case, applicant, time."""
    blocks: list[Block] = [Text(wording.title(kind), Align.CENTER, bold=True, size=2)]
    if copy:
        blocks.append(Text(wording.line("copy_mark"), Align.CENTER, bold=True))
    blocks += [
        Text(hall, Align.CENTER),
        Rule(),
        Text(wording.line("case_number", number=case_number), bold=True),
        Text(wording.line("applicant", name=applicant)),
        Text(wording.line("issued_at", at=f"{issued_at:%Y-%m-%d %H:%M}")),
        Rule(),
    ]
    return blocks


def supplement_notice(
    wording: Wording,
    *,
    hall: str,
    case_number: str,
    applicant: str,
    lines: Sequence[tuple[str, str]],  # material, what it lacks
    issued_at: datetime,
    copy: bool = False,
    tracking_url: str = "",
) -> Document:
    """一次性告知书: every missing or insufficient material, once, with what it lacks; its
    QR (the case's tracking address) finds the case again when the applicant comes back."""
    blocks = _notice_head(
        wording, "supplement_notice", hall, case_number, applicant, issued_at, copy
    )
    blocks.append(Text(wording.line("supplement_intro")))
    for n, (material, lacks) in enumerate(lines, start=1):
        blocks.append(Text(f"{n}. {material}（{lacks}）"))
    blocks += [Rule(), Text(wording.line("supplement_outro"))]
    if tracking_url:
        blocks.append(QR(f"{tracking_url}?case={case_number}"))
    blocks += [Feed(), Cut()]
    return Document("supplement_notice", tuple(blocks), copy=copy)


def rejection_notice(
    wording: Wording,
    *,
    hall: str,
    case_number: str,
    applicant: str,
    reason: str,
    detail: str,
    issued_at: datetime,
    copy: bool = False,
) -> Document:
    """不予受理通知书: the reason, and the applicant's right to appeal."""
    blocks = _notice_head(
        wording, "rejection_notice", hall, case_number, applicant, issued_at, copy
    )
    blocks.append(Text(wording.line("rejection_reason", reason=reason)))
    if detail:
        blocks.append(Text(detail))
    blocks += [Rule(), Text(wording.line("appeal")), Feed(), Cut()]
    return Document("rejection_notice", tuple(blocks), copy=copy)


def deferral_pledge(
    wording: Wording,
    *,
    hall: str,
    case_number: str,
    applicant: str,
    deferred: Sequence[tuple[str, date]],
    issued_at: datetime,
    copy: bool = False,
) -> Document:
    """容缺受理承诺书: what the applicant promises to hand in by when, with a signature line."""
    blocks = _notice_head(wording, "deferral_pledge", hall, case_number, applicant, issued_at, copy)
    blocks.append(Text(wording.line("pledge_intro")))
    blocks += [
        Text(wording.line("deferred_line", material=m, day=d.isoformat())) for m, d in deferred
    ]
    blocks += [
        Text(wording.line("pledge_consequence")),
        Feed(),
        Text(wording.line("signature")),
        Text(wording.line("signed_on")),
        Feed(),
        Cut(),
    ]
    return Document("deferral_pledge", tuple(blocks), copy=copy)


def pickup_slip(
    wording: Wording,
    *,
    hall: str,
    case_number: str,
    applicant: str,
    results: Sequence[str],
    recipient: str,
    how: str,  # 现场领取 / 邮寄 (carrier and tracking number)
    delivered_at: datetime,
    related: Sequence[str] = (),
    copy: bool = False,
) -> Document:
    """领取凭证: what was handed out or mailed, to whom, and what the applicant may need next."""
    blocks = _notice_head(wording, "pickup_slip", hall, case_number, applicant, delivered_at, copy)
    blocks.append(Text(wording.line("results_heading"), bold=True))
    blocks += [Text(f"{n}. {result}") for n, result in enumerate(results, start=1)]
    blocks += [
        Rule(),
        Text(wording.line("recipient", name=recipient)),
        Text(wording.line("delivery", how=how)),
    ]
    if related:
        blocks.append(Text(wording.line("related_heading"), bold=True))
        blocks += [Text(f"· {item}") for item in related]
    blocks += [Feed(), Text(wording.line("signature_recipient")), Feed(), Cut()]
    return Document("pickup_slip", tuple(blocks), copy=copy)
