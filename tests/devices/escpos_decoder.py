"""A small ESC/POS decoder for the tests: the bytes a document renders to, read back into
printed lines, QR payloads, barcodes and cuts. A command it does not know fails the test, so
nothing slips through unchecked."""

from __future__ import annotations

from dataclasses import dataclass, field


class UnknownCommand(AssertionError):
    """The bytes hold a command this decoder (and so the test) does not expect."""


@dataclass
class Line:
    text: str
    align: int
    bold: bool
    size: int  # GS ! value


@dataclass
class Raster:
    """A raster image (GS v 0): `height` rows of `width_bytes` bytes, one bit a dot, the
    most significant bit leftmost."""

    width_bytes: int
    height: int
    data: bytes

    def dots(self) -> list[list[bool]]:
        rows = []
        for y in range(self.height):
            row = self.data[y * self.width_bytes : (y + 1) * self.width_bytes]
            rows.append([bool(byte >> (7 - bit) & 1) for byte in row for bit in range(8)])
        return rows


@dataclass
class Printout:
    lines: list[Line] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    cuts: int = 0
    images: list[Raster] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


def decode(data: bytes, encoding: str) -> Printout:
    """Read `data` as a printer would."""
    out = Printout()
    align, bold, size, chinese = 0, False, 0, False
    buffer = bytearray()
    qr_store = b""
    i = 0

    def take(n: int) -> bytes:
        nonlocal i
        chunk = data[i : i + n]
        if len(chunk) != n:
            raise UnknownCommand(f"truncated command at {i}")
        i += n
        return chunk

    while i < len(data):
        byte = data[i]
        if byte >= 0x20:
            if not chinese:
                raise UnknownCommand(f"text outside Chinese character mode at {i}")
            buffer.append(byte)
            i += 1
            continue
        i += 1
        if byte == 0x0A:  # LF: the line is printed
            out.lines.append(Line(buffer.decode(encoding), align, bold, size))
            buffer.clear()
            continue
        command = bytes([byte]) + take(1)
        if command == b"\x1b@":
            align, bold, size = 0, False, 0
        elif command == b"\x1ba":
            align = take(1)[0]
        elif command == b"\x1bE":
            bold = bool(take(1)[0])
        elif command == b"\x1bt":
            if take(1) != b"\x00":  # python-escpos resets the table before an image
                raise UnknownCommand(f"a code table we never send at {i - 3}")
        elif command == b"\x1dv":
            if take(1) != b"0":
                raise UnknownCommand(f"GS v other than 0 at {i}")
            take(1)  # density mode
            xl, xh, yl, yh = take(4)
            width, height = xl + 256 * xh, yl + 256 * yh
            out.images.append(Raster(width, height, take(width * height)))
        elif command == b"\x1b!":
            take(1)  # print mode: python-escpos resets it
        elif command == b"\x1bd":
            for _ in range(take(1)[0]):
                out.lines.append(Line("", align, bold, size))
        elif command == b"\x1d!":
            size = take(1)[0]
        elif command == b"\x1c&":
            chinese = True
        elif command == b"\x1c.":
            chinese = False
        elif command == b"\x1d(":
            if take(1) != b"k":
                raise UnknownCommand(f"GS ( other than k at {i}")
            low, high = take(2)
            body = take(low + 256 * high)
            cn, fn = body[0], body[1]
            if cn != 49:
                raise UnknownCommand("GS ( k for something other than a QR code")
            if fn == 80:  # store the data
                qr_store = body[3:]
            elif fn == 81:  # print it
                out.qr.append(qr_store.decode("utf-8"))
        elif command in (b"\x1dh", b"\x1dw", b"\x1df", b"\x1dH"):
            take(1)  # barcode height, width, font, text position
        elif command == b"\x1dk":
            kind = take(1)[0]
            if kind < 65:
                raise UnknownCommand("barcode in the NUL-ended form")
            length = take(1)[0]
            payload = take(length).decode("ascii")
            out.barcodes.append(payload[2:] if payload.startswith("{B") else payload)
        elif command == b"\x1dV":
            mode = take(1)[0]
            if mode in (65, 66):
                take(1)
            out.cuts += 1
        else:
            raise UnknownCommand(f"unknown command {command!r} at {i - 2}")
    if buffer:
        raise UnknownCommand("text left without a line feed")
    return out
