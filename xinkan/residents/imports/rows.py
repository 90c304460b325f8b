"""One row of the import, checked on its own (the checks against the archive are in service.py).

The ID number and phone rules are those of the archive (identity.parse_id_number, core.phones);
the lengths are the model's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from xinkan.core.crypto import blind_index
from xinkan.core.phones import is_plausible_phone, mask_phone, normalise_phone
from xinkan.residents.identity import IdNumberError, mask_id_number, parse_id_number
from xinkan.residents.models import Gender, Household, Resident
from xinkan.residents.services import ID_PURPOSE, PHONE_PURPOSE

GENDER_WORDS = {
    "男": Gender.MALE,
    "男性": Gender.MALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "女": Gender.FEMALE,
    "女性": Gender.FEMALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "未知": Gender.UNKNOWN,
    "未说明": Gender.UNKNOWN,
    "unknown": Gender.UNKNOWN,
}
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{4})(\d{2})(\d{2})")


def _limit(model: type[Resident] | type[Household], name: str) -> int:
    field: Any = model._meta.get_field(name)
    return int(field.max_length)


LIMITS = {
    "name": _limit(Resident, "name"),
    "address": _limit(Resident, "address"),
    "occupation": _limit(Resident, "occupation"),
    "relation": _limit(Resident, "relation"),
    "household": _limit(Household, "code"),
}


@dataclass(frozen=True)
class Problem:
    column: str  # a column key (columns.COLUMNS)
    message: str
    value: str = ""  # what the cell held, masked when personal


@dataclass(slots=True)
class Row:
    """A row that passed the checks of its own; empty text means "keep what the archive holds"."""

    line: int
    unit_code: str
    household_code: str
    address: str
    relation: str
    name: str
    gender: str
    birth_date: dt.date | None
    id_number: str
    id_index: str
    id_masked: bool
    phone: str
    phone_index: str
    occupation: str


def masked(column: str, value: str) -> str:
    """What a report may show of a cell: personal numbers masked, the rest as written, cut short."""
    if column == "id_number":
        return value if "*" in value else mask_id_number(value)
    if column == "phone":
        return value if "*" in value else mask_phone(value)
    return value[:40]


def parse_row(line: int, record: dict[str, str]) -> tuple[Row | None, list[Problem]]:
    problems: list[Problem] = []

    def refuse(column: str, message: str) -> None:
        problems.append(Problem(column, message, masked(column, record.get(column, ""))))

    name = record.get("name", "")
    if not name:
        refuse("name", _("The name is missing."))
    unit_code = record.get("unit", "")
    if not unit_code:
        refuse("unit", _("The unit code is missing."))
    for column, limit in LIMITS.items():
        if len(record.get(column, "")) > limit:
            refuse(column, _("Longer than %(n)d characters.") % {"n": limit})

    gender = ""
    if word := record.get("gender", ""):
        gender = GENDER_WORDS.get(word.lower(), "")
        if not gender:
            refuse("gender", _("Write the gender as 男 or 女."))
    birth_date = None
    if text := record.get("birth_date", ""):
        birth_date = parse_date(text)
        if birth_date is None:
            refuse("birth_date", _("Not a date; write it as 1950-03-21."))

    id_number = id_index = ""
    id_masked = False
    if raw := record.get("id_number", ""):
        if "*" in raw:
            id_masked = True
        else:
            try:
                parsed = parse_id_number(raw)
            except IdNumberError as exc:
                refuse("id_number", str(exc))
            else:
                id_number, id_index = parsed.value, blind_index(parsed.value, ID_PURPOSE)
                if gender and gender != Gender.UNKNOWN and gender != parsed.gender:
                    refuse("gender", _("Does not match the ID number."))
                if birth_date is not None and birth_date != parsed.birth_date:
                    refuse("birth_date", _("Does not match the ID number."))
                gender, birth_date = parsed.gender, parsed.birth_date

    phone = phone_index = ""
    if (raw := record.get("phone", "")) and "*" not in raw:
        phone = normalise_phone(raw)
        if not is_plausible_phone(phone):
            refuse("phone", _("A phone number has 7 to 15 digits."))
        phone_index = blind_index(phone, PHONE_PURPOSE)

    if problems:
        return None, problems
    return (
        Row(
            line=line,
            unit_code=unit_code,
            household_code=record.get("household", ""),
            address=record.get("address", ""),
            relation=record.get("relation", ""),
            name=name,
            gender=gender,
            birth_date=birth_date,
            id_number=id_number,
            id_index=id_index,
            id_masked=id_masked,
            phone=phone,
            phone_index=phone_index,
            occupation=record.get("occupation", ""),
        ),
        [],
    )


def parse_date(text: str) -> dt.date | None:
    match = _DATE.fullmatch(text.strip()[:10] if "年" not in text else text.strip())
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups() if g is not None)
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None
    return value if dt.date(1900, 1, 1) <= value <= dt.date.today() else None
