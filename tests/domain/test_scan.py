"""A scan is told from typing by its speed, and routed by what it reads."""

from __future__ import annotations

import pytest

from clerk_console.domain.scan import CodeKind, ScannedCode, is_scan, read_code


def times(count: int, gap: float) -> list[float]:
    return [i * gap for i in range(count)]


def test_scanner_speed_is_a_scan_and_typing_is_not() -> None:
    assert is_scan(times(12, 0.008))  # a scanner: 8 ms a key
    assert not is_scan(times(12, 0.12))  # a fast typist: 120 ms a key
    assert not is_scan(times(3, 0.005))  # too short to tell from two keys at once
    # One pause in the middle (a person finishing a pasted number by hand) is typing.
    assert not is_scan([0.0, 0.01, 0.02, 0.03, 0.3, 0.31])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("b017", ScannedCode(CodeKind.TICKET, "B017", raw="b017")),
        (
            "JY01-20261122-05-0003",
            ScannedCode(CodeKind.CASE, "JY01-20261122-05-0003", raw="JY01-20261122-05-0003"),
        ),
        (
            "https://track.example.invalid/q?case=JY01-20261122-05-0003",
            ScannedCode(
                CodeKind.CASE,
                "JY01-20261122-05-0003",
                raw="https://track.example.invalid/q?case=JY01-20261122-05-0003",
            ),
        ),
        ("ys2026112201", ScannedCode(CodeKind.PREAPPLICATION, "YS2026112201", raw="ys2026112201")),
        (
            "DZZZ:BIZREG:91110000600037341L",
            ScannedCode(
                CodeKind.ELICENCE,
                "91110000600037341L",
                registry="BIZREG",
                raw="DZZZ:BIZREG:91110000600037341L",
            ),
        ),
        ("6901234567892", ScannedCode(CodeKind.UNKNOWN, "6901234567892", raw="6901234567892")),
        (
            "JY01-20261340-05-0003",
            ScannedCode(CodeKind.UNKNOWN, "JY01-20261340-05-0003", raw="JY01-20261340-05-0003"),
        ),
    ],
)
def test_each_code_goes_where_it_belongs(raw: str, expected: ScannedCode) -> None:
    assert read_code(raw) == expected
