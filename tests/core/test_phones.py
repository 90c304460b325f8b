"""Phone numbers: normalised to digits, checked for a plausible length, masked for display."""

from __future__ import annotations

import pytest

from xinkan.core.phones import is_plausible_phone, mask_phone, normalise_phone


def test_spaces_and_dashes_go_a_leading_plus_stays():
    assert normalise_phone("138 0013-8000") == "13800138000"
    assert normalise_phone("+86 138 0013 8000") == "+8613800138000"


@pytest.mark.parametrize(
    ("digits", "plausible"),
    [
        ("8765432", True),
        ("13800138000", True),
        ("+8613800138000", True),
        ("123456", False),
        ("1" * 16, False),
    ],
)
def test_a_plausible_length(digits, plausible):
    assert is_plausible_phone(digits) is plausible


def test_masking_keeps_three_and_four_digits_of_a_long_number_only():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("87654321") == "876****4321"
    assert mask_phone("1234567") == "*******"
