"""Resident ID card numbers (GB 11643-1999): structure, date of birth, gender, check digit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    gender: str  # "male" / "female"
    region: str


def check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_id_number(raw: str) -> IdNumber:
    # NFKC turns full-width digits and Ｘ (typed with a Chinese input method) into ASCII; other
    # Unicode digits, which str.isdigit() would let through, are refused by the pattern.
    value = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
    if not _SHAPE.fullmatch(value):
        raise IdNumberError(_("An ID number has 18 characters: 17 digits, then a digit or X."))
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise IdNumberError(_("The date of birth in this ID number does not exist.")) from exc
    if birth.year < 1900 or birth > dt.date.today():
        raise IdNumberError(_("The date of birth in this ID number does not exist."))
    if check_digit(value[:17]) != value[17]:
        raise IdNumberError(_("The ID number's last character does not match; check for a typo."))
    gender = "male" if int(value[16]) % 2 else "female"
    return IdNumber(value=value, birth_date=birth, gender=gender, region=value[:6])


def mask_id_number(value: str) -> str:
    """1101**********1234"""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
