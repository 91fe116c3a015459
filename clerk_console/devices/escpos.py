"""A printed document rendered to ESC/POS bytes.

python-escpos gives the command set (QR codes, barcodes, cutting). Chinese goes out on our
own path, because python-escpos 3.1 has no GB18030 code page and prints `?` for Chinese
punctuation in a line without a Han character: each line is sent in Chinese character mode
(`FS &` … `FS .`) encoded in the printer's own encoding (GB18030 by default; GBK; UTF-8), and
sizes use `GS !`, which enlarges Chinese characters too (`ESC !` does not on most printers).
"""

from __future__ import annotations

from dataclasses import dataclass

from escpos.printer import Dummy

from clerk_console.domain.documents import (
    QR,
    Align,
    Barcode,
    Cut,
    Document,
    Feed,
    Rule,
    Text,
    printable,
    wrap,
)

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CHINESE_ON, CHINESE_OFF = FS + b"&", FS + b"."
ALIGN = {Align.LEFT: 0, Align.CENTER: 1, Align.RIGHT: 2}
ENCODINGS = ("gb18030", "gbk", "utf-8")


@dataclass(frozen=True)
class Profile:
    """What one printer takes: its line width, its text encoding, whether it draws QR codes
    itself (`GS ( k`) and whether it can cut."""

    columns: int = 32
    encoding: str = "gb18030"
    native_qr: bool = True
    cut: bool = True

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")


def _line(text: str, profile: Profile) -> bytes:
    # The last gate before the printer: no control byte of the text reaches the stream.
    return CHINESE_ON + printable(text).encode(profile.encoding) + CHINESE_OFF + LF


def render(document: Document, profile: Profile) -> bytes:
    """The bytes that print `document` on a printer of `profile`."""
    printer = Dummy()
    # The paper's width in dots (12 a column in the standard font), so that python-escpos
    # checks a QR image fits (and does not print a warning for want of it).
    media = {
        **printer.profile.profile_data.get("media", {}),
        "width": {"pixels": profile.columns * 12},
    }
    printer.profile.profile_data = {**printer.profile.profile_data, "media": media}
    out = bytearray(INIT)
    for block in document.blocks:
        if isinstance(block, Text):
            size = 0x11 if block.size == 2 else 0x00  # double width and height
            out += ESC + b"a" + bytes([ALIGN[block.align]])
            out += ESC + b"E" + bytes([1 if block.bold else 0])
            out += GS + b"!" + bytes([size])
            for line in wrap(block.text, profile.columns // block.size):
                out += _line(line, profile)
            out += GS + b"!\x00" + ESC + b"E\x00"
        elif isinstance(block, Rule):
            out += ESC + b"a\x00" + _line(block.char * profile.columns, profile)
        elif isinstance(block, QR):
            out += ESC + b"a\x01"
            printer.clear()
            printer.qr(block.payload, native=profile.native_qr, size=6)
            out += printer.output
            out += ESC + b"a\x00"
        elif isinstance(block, Barcode):
            printer.clear()
            # The hardware path itself: the public `barcode()` prints "Using hardware barcode
            # renderer" on stdout, which would land on the clerk's screen or the CLI's output.
            printer._hw_barcode("{B" + block.payload, "CODE128", function_type="B")
            out += printer.output
            out += ESC + b"a\x00"
        elif isinstance(block, Feed):
            out += LF * block.lines
        elif isinstance(block, Cut):
            out += LF * 3
            if profile.cut:
                out += GS + b"V\x00"
    return bytes(out)


def preview(document: Document, profile: Profile) -> str:
    """The document as text, as the screens show it before printing."""
    return "\n".join(document.lines(profile.columns))
