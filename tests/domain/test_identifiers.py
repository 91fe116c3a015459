from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from clerk_console.domain.identifiers import (
    check_credit_code,
    check_id_number,
    check_mobile,
    id_birth_date,
    mask_id_number,
    mask_mobile,
    mask_name,
)

VALID_ID = "11010519491231002X"
VALID_USCC = "91110000600037341L"


def test_valid_id_number_is_normalised() -> None:
    checked = check_id_number(" 11010519491231002x ")
    assert checked.ok and checked.value == VALID_ID
    assert id_birth_date(checked.value).isoformat() == "1949-12-31"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1101051949123100", "length"),
        ("11010519491231002Y", "format"),
        ("11010519491331002X", "birth_date"),  # month 13
        ("110105194912310021", "checksum"),
        ("990105194912310023", "region"),  # right check digit, no such region
    ],
)
def test_invalid_id_number_says_why(raw: str, reason: str) -> None:
    checked = check_id_number(raw)
    assert not checked.ok
    assert checked.reason == reason


def test_a_region_code_newer_than_the_birth_date_is_accepted() -> None:
    # 440305 (南山区) dates from 1990; people born before then hold it all the same.
    body = "44030519820101000"
    assert check_id_number(body + ric.calc_check_digit(body + "0")).ok


def test_credit_code() -> None:
    assert check_credit_code(VALID_USCC.lower()).ok
    assert check_credit_code("91110000600037341").reason == "length"
    assert check_credit_code("91110000600037341A").reason == "checksum"


@pytest.mark.parametrize(
    ("raw", "ok", "value"),
    [
        ("13812345678", True, "13812345678"),
        ("+86 138-1234-5678", True, "13812345678"),
        ("12812345678", False, "12812345678"),
        ("1381234567", False, "1381234567"),
    ],
)
def test_mobile(raw: str, ok: bool, value: str) -> None:
    checked = check_mobile(raw)
    assert checked.ok is ok and checked.value == value


def test_masks_match_the_printed_forms() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳明华") == "欧**华"


_body = st.tuples(
    st.sampled_from(["110105", "310104", "440305", "510107"]),
    st.dates(min_value=__import__("datetime").date(1900, 1, 1)),
    st.integers(min_value=0, max_value=999),
).map(lambda t: f"{t[0]}{t[1]:%Y%m%d}{t[2]:03d}")


@given(_body)
def test_the_right_check_digit_is_accepted_and_every_other_refused(body: str) -> None:
    good = body + ric.calc_check_digit(body + "0")  # stdnum expects a check-digit slot
    assert check_id_number(good).ok
    for digit in "0123456789X":
        if digit != good[-1]:
            assert check_id_number(body + digit).reason == "checksum"


@given(st.text(alphabet="0123456789X", min_size=11, max_size=18))
def test_masking_keeps_length_and_ends(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked[:6] == value[:6] and masked[-4:] == value[-4:]
    assert "*" in masked
