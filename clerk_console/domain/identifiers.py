"""Identifiers of applicants: 身份证 (GB 11643), 统一社会信用代码 (GB 32100), mobile numbers,
and how they are masked on screens and on paper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True, slots=True)
class Checked:
    """The result of checking an identifier: the normalised value, or why it is refused.

    `reason` is a message key: length, format, birth_date, checksum, region.
    """

    value: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the identifier is valid."""
        return not self.reason


def _reason(exc: stdnum_errors.ValidationError) -> str:
    if isinstance(exc, stdnum_errors.InvalidLength):
        return "length"
    if isinstance(exc, stdnum_errors.InvalidChecksum):
        return "checksum"
    return "format"


def check_id_number(raw: str) -> Checked:
    """Check an 18-digit resident identity card number (GB 11643-1999)."""
    value = raw.strip().upper().replace(" ", "")
    if len(value) != 18:
        return Checked(value, "length")
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return Checked(value, "format")
    # The birth date first: "invalid birth date" tells the clerk more than "check digit".
    try:
        ric.get_birth_date(value)
    except stdnum_errors.ValidationError:
        return Checked(value, "birth_date")
    if value[-1] != ric.calc_check_digit(value):
        return Checked(value, "checksum")
    if not _known_region(value[:6]):
        return Checked(value, "region")
    return Checked(value)


def _known_region(code: str) -> bool:
    """Whether the 6-digit region code was ever assigned.

    Not stdnum's `get_birth_place`: it also demands that the code existed in the birth year,
    but a number carries the code current when it was first issued (someone born in 1982
    in today's 南山区 holds 440305, created in 1990), so that check refuses real residents.
    """
    from stdnum import numdb

    parts = numdb.get("cn/loc").info(code)
    return any("county" in props for _part, props in parts)


def id_birth_date(value: str) -> date:
    """The birth date carried in a valid ID number."""
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def check_credit_code(raw: str) -> Checked:
    """Check an 18-character unified social credit code (GB 32100-2015)."""
    value = raw.strip().upper().replace(" ", "")
    if len(value) != 18:
        return Checked(value, "length")
    try:
        uscc.validate(value)
    except stdnum_errors.ValidationError as exc:
        return Checked(value, _reason(exc))
    return Checked(value)


def check_mobile(raw: str) -> Checked:
    """Check a mainland China mobile number (11 digits starting 13–19); +86 is dropped."""
    value = re.sub(r"[\s\-]", "", raw.strip())
    if value.startswith("+86"):
        value = value[3:]
    if len(value) != 11:
        return Checked(value, "length")
    if not _MOBILE.match(value):
        return Checked(value, "format")
    return Checked(value)


def mask_id_number(value: str) -> str:
    """Keep the region (6) and the last 4: ``110105********002X``."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    """Keep the first 3 and the last 4: ``138****5678``."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """Keep the family name and, for longer names, the last character: 张*, 欧阳*明."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
