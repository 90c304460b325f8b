"""redact(): ID card numbers, mobile numbers and secrets masked in free text; mask_middle()."""

from __future__ import annotations

import pytest

from xinkan.core.redaction import mask_middle, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("110105199003071234", "110105********1234"),
        ("11010519900307123X", "110105********123X"),
        ("11010519900307123x", "110105********123x"),
        ("身份证号110105199003071234，请核实", "身份证号110105********1234，请核实"),
        ("id=110105199003071234&x=1", "id=110105********1234&x=1"),
        ("110105900307123", "110105******123"),  # the old 15-digit numbers
    ],
)
def test_id_card_numbers_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "138****5678"),
        ("电话:19912345678。", "电话:199****5678。"),
        ("+8613812345678", "+86138****5678"),
        ("8613812345678", "86138****5678"),
    ],
)
def test_mobile_numbers_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=S3cret!Value-xyz", "password=********"),
        (
            "login failed password = hunter2, user=zhou",
            "login failed password = ********, user=zhou",
        ),
        ('{"password": "S3cret!Value-xyz"}', '{"password": "********"}'),
        ("{'token': 'abc123'}", "{'token': '********'}"),
        ("PASSWD: topsecret", "PASSWD: ********"),
        ("otp_token=123456&next=/", "otp_token=********&next=/"),
        ("api-key=k-123 secret=s-456", "api-key=******** secret=********"),
        ("Authorization: Bearer eyJhbGciOi.x-y", "Authorization: ********"),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=********"),
    ],
)
def test_secret_pairs_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "matter 2026-000123 registered",
        "1101051990030712345",  # 19 digits: not an ID number
        "12812345678",  # not a mobile prefix
        "010-12345678",  # a landline
        "hash 5f1d2c3b4a5968778695a4b3c2d1e0f9",
        "user zhou changed the unit name",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_several_kinds_in_one_line_are_all_masked() -> None:
    line = "resident 11010519900307123X phone 13812345678 password=abc"

    assert redact(line) == "resident 110105********123X phone 138****5678 password=********"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519900307123X", "1101**********123X"),
        ("13812345678", "1381***5678"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_middle_keeps_only_the_ends(value: str, expected: str) -> None:
    assert mask_middle(value) == expected
