"""residents.identity: resident ID card numbers (GB 11643-1999) — structure, date of birth, gender,
check digit — and how they are shown masked."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from xinkan.residents.identity import (
    IdNumber,
    IdNumberError,
    check_digit,
    mask_id_number,
    parse_id_number,
)


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked in English; the default UI language is Chinese."""
    with translation.override("en"):
        yield


def valid(first17: str) -> str:
    return first17 + check_digit(first17)


def test_the_check_digit_is_the_iso_7064_mod_11_2_remainder():
    # The standard's worked example, and one ending in X.
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"


def test_a_valid_number_gives_birth_date_gender_and_region():
    number = valid("11010519900307451")

    parsed = parse_id_number(number)

    assert parsed == IdNumber(
        value=number, birth_date=dt.date(1990, 3, 7), gender="male", region="110105"
    )


@pytest.mark.parametrize(
    ("seventeenth", "gender"), [("1", "male"), ("3", "male"), ("2", "female"), ("0", "female")]
)
def test_the_seventeenth_digit_gives_the_gender(seventeenth, gender):
    assert parse_id_number(valid("1101051990030745" + seventeenth)).gender == gender


def test_an_x_check_digit_is_accepted_in_either_case_and_kept_upper_case():
    number = valid("11010519491231002")
    assert number.endswith("X")

    parsed = parse_id_number(number.lower())

    assert parsed.value == number
    assert (parsed.birth_date, parsed.gender) == (dt.date(1949, 12, 31), "female")


def test_spaces_are_ignored():
    number = valid("11010519900307451")

    assert parse_id_number(f" {number[:6]} {number[6:14]} {number[14:]} ").value == number


SAMPLE = valid("11010519900307451")


@pytest.mark.parametrize("wrong", [ch for ch in "0123456789X" if ch != SAMPLE[-1]])
def test_a_wrong_check_digit_is_refused(wrong):
    with pytest.raises(IdNumberError, match="last character"):
        parse_id_number(SAMPLE[:-1] + wrong)


def test_a_single_typo_is_caught_by_the_check_digit():
    number = valid("11010519900307451")
    typo = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]

    with pytest.raises(IdNumberError):
        parse_id_number(typo)


@pytest.mark.parametrize(
    "birth",
    [
        "19900230",  # 30 February
        "19901301",  # month 13
        "19900100",  # day 0
        "20230229",  # not a leap year
        "18991231",  # before 1900
    ],
)
def test_an_impossible_birth_date_is_refused_even_with_a_correct_check_digit(birth):
    with pytest.raises(IdNumberError, match="date of birth"):
        parse_id_number(valid(f"110105{birth}451"))


def test_a_leap_day_is_a_real_birth_date():
    assert parse_id_number(valid("11010520000229451")).birth_date == dt.date(2000, 2, 29)


def test_a_birth_date_in_the_future_is_refused():
    with time_machine.travel(dt.datetime(2026, 3, 2, tzinfo=dt.UTC), tick=False):
        assert parse_id_number(valid("11010520260302451")).birth_date == dt.date(2026, 3, 2)
        with pytest.raises(IdNumberError, match="date of birth"):
            parse_id_number(valid("11010520260303451"))


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "11010519900307451",  # 17 characters
        "1101051990030745123",  # 19
        "110105199003074",  # the old 15-digit numbers are not accepted
        "11010519900307451Y",
        "X10105199003074511",
        "١١٠١٠٥١٩٩٠٠٣٠٧٤٥١X",  # Arabic-Indic digits, which str.isdigit() accepts
    ],
)
def test_a_malformed_number_is_refused(raw):
    with pytest.raises(IdNumberError, match="18 characters"):
        parse_id_number(raw)


@pytest.mark.parametrize("raw", ["1²010519900307451X", "11010519900307451²"])
def test_odd_unicode_digits_give_an_id_number_error_not_a_crash(raw):
    with pytest.raises(IdNumberError):
        parse_id_number(raw)


def test_full_width_characters_from_a_chinese_input_method_are_read_as_ascii():
    number = valid("11010519491231002")
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in number)  # "１１０…Ｘ"

    assert parse_id_number(full_width).value == number


def test_a_masked_number_shows_only_its_first_and_last_four_characters():
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert len(mask_id_number("11010519491231002X")) == 18


@pytest.mark.parametrize(
    ("value", "masked"), [("", ""), ("1234567", "*******"), ("12345678", "12345678")]
)
def test_short_values_are_masked_entirely_or_have_nothing_to_hide(value, masked):
    assert mask_id_number(value) == masked
