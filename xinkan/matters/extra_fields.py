"""Extra fields a category asks for at intake (Open311 GeoReport v2 service attributes).

A category's `extra_fields` is a list of definitions:

    {"code": "building", "label": "楼号", "label_en": "Building number",
     "datatype": "string", "required": true, "order": 1,
     "values": [{"key": "yes", "name": "是", "name_en": "Yes"}, ...]}   # list datatypes only

`validate_definition` checks and normalises such a list (the category's clean()); `clean_answers`
checks what a resident or staff member answered — the one check the staff form, the REST API and
Open311 share (through matters.services.register_matter). The answers are stored by code in
`Matter.extra`: strings, numbers (int or float), W3C datetimes as ISO strings, list keys.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from xinkan.matters.models import Category

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})
CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_LENGTH = {"string": 200, "text": 2000}
MAX_FIELDS = 20
# Intake errors about extra fields are keyed "extra.<code>" (the REST API's field path).
EXTRA_PREFIX = "extra."


def validate_definition(fields: Any) -> list[dict[str, Any]]:
    """The definitions, checked and normalised (sorted by order); ValidationError lists problems."""
    if fields in (None, ""):
        return []
    if not isinstance(fields, list):
        raise ValidationError(_("Extra fields must be a list of field definitions."))
    if len(fields) > MAX_FIELDS:
        raise ValidationError(
            _("A category asks for at most %(n)d extra fields.") % {"n": MAX_FIELDS}
        )
    problems: list[str] = []
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(fields, start=1):
        if not isinstance(item, dict):
            problems.append(_("Field %(n)d is not a definition.") % {"n": index})
            continue
        code = str(item.get("code") or "")
        where = code or str(index)
        if not CODE.fullmatch(code):
            problems.append(
                _(
                    "Field %(field)s: the code must start with a small letter and have only small "
                    "letters, digits and underscores (at most 40)."
                )
                % {"field": where}
            )
        elif code in seen:
            problems.append(_("Field %(field)s: the code is used twice.") % {"field": where})
        seen.add(code)
        label = str(item.get("label") or "").strip()
        if not label:
            problems.append(_("Field %(field)s: give a label.") % {"field": where})
        datatype = item.get("datatype")
        if datatype not in DATATYPES:
            problems.append(
                _("Field %(field)s: the datatype must be one of %(types)s.")
                % {"field": where, "types": ", ".join(DATATYPES)}
            )
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems.append(
                _("Field %(field)s: required must be true or false.") % {"field": where}
            )
        order = item.get("order", index)
        if not isinstance(order, int) or isinstance(order, bool):
            problems.append(_("Field %(field)s: order must be a whole number.") % {"field": where})
            order = index
        values: list[dict[str, str]] = []
        if datatype in LIST_TYPES:
            raw_values = item.get("values")
            if not isinstance(raw_values, list) or not raw_values:
                problems.append(
                    _("Field %(field)s: a list field needs values to choose from.")
                    % {"field": where}
                )
                raw_values = []
            keys: set[str] = set()
            for value in raw_values:
                key = str(value.get("key") or "").strip() if isinstance(value, dict) else ""
                name = str(value.get("name") or "").strip() if isinstance(value, dict) else ""
                if not key or not name or key in keys:
                    problems.append(
                        _("Field %(field)s: every value needs a key of its own and a name.")
                        % {"field": where}
                    )
                    continue
                keys.add(key)
                assert isinstance(value, dict)
                values.append(
                    {"key": key, "name": name, "name_en": str(value.get("name_en") or "").strip()}
                )
        definition: dict[str, Any] = {
            "code": code,
            "label": label,
            "label_en": str(item.get("label_en") or "").strip(),
            "datatype": datatype,
            "required": bool(required),
            "order": order,
        }
        if datatype in LIST_TYPES:
            definition["values"] = values
        result.append(definition)
    if problems:
        raise ValidationError(problems)
    return sorted(result, key=lambda d: d["order"])


def _english(language: str | None) -> bool:
    return (language or get_language() or "").startswith("en")


def field_label(definition: Mapping[str, Any], language: str | None = None) -> str:
    if _english(language) and definition.get("label_en"):
        return str(definition["label_en"])
    return str(definition["label"])


def value_name(value: Mapping[str, Any], language: str | None = None) -> str:
    if _english(language) and value.get("name_en"):
        return str(value["name_en"])
    return str(value["name"])


def definitions(category: Category) -> list[dict[str, Any]]:
    """The category's definitions in their order (as stored: checked when the category was saved)."""
    return sorted(category.extra_fields or [], key=lambda d: d.get("order", 0))


def _blank(value: str | list[str]) -> bool:
    if isinstance(value, list):
        return not any(str(v).strip() for v in value)
    return not str(value).strip()


def _one(value: str | list[str]) -> str:
    if isinstance(value, list):
        items = [str(v).strip() for v in value if str(v).strip()]
        if len(items) != 1:
            raise ValueError(_("Give one value."))
        return items[0]
    return str(value).strip()


def _number(text: str) -> int | float:
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("Enter a number.")) from None
    if not number.is_finite():
        raise ValueError(_("Enter a number."))
    return int(number) if number == number.to_integral_value() else float(number)


def _datetime(text: str) -> str:
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(
            _("Enter a date and time in W3C (ISO 8601) format, e.g. 2026-05-04T09:30:00+08:00.")
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return timezone.localtime(parsed).isoformat(timespec="seconds")


def _answer(definition: Mapping[str, Any], value: str | list[str]) -> Any:
    datatype = definition["datatype"]
    if datatype == "multivaluelist":
        items = value if isinstance(value, list) else [value]
        chosen = {str(v).strip() for v in items if str(v).strip()}
        keys = [v["key"] for v in definition.get("values", [])]
        unknown = sorted(chosen - set(keys))
        if unknown:
            raise ValueError(
                _("%(values)s is not among the choices: %(keys)s.")
                % {"values": ", ".join(unknown), "keys": ", ".join(keys)}
            )
        return [key for key in keys if key in chosen]
    text = _one(value)
    if datatype == "number":
        return _number(text)
    if datatype == "datetime":
        return _datetime(text)
    if datatype == "singlevaluelist":
        keys = [v["key"] for v in definition.get("values", [])]
        if text not in keys:
            raise ValueError(
                _("%(value)s is not among the choices: %(keys)s.")
                % {"value": text, "keys": ", ".join(keys)}
            )
        return text
    limit = MAX_LENGTH.get(datatype, MAX_LENGTH["text"])
    if len(text) > limit:
        raise ValueError(_("Write at most %(n)d characters.") % {"n": limit})
    return text


def clean_answers(category: Category, raw: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """The answers to `category`'s extra fields, checked; ValidationError keyed by field code.

    An empty answer counts as absent. Codes the category does not ask for are refused (a typo in
    a code would otherwise lose the answer without a word).
    """
    fields = definitions(category)
    if not fields and not raw:
        return {}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    known = {d["code"]: d for d in fields}
    for code in raw:
        if code not in known:
            errors[code] = [
                _("%(category)s asks for no field %(code)s.")
                % {"category": category.label(get_language() or ""), "code": code}
            ]
    for definition in fields:
        code = definition["code"]
        label = field_label(definition)
        value = raw.get(code)
        if value is None or _blank(value):
            if definition.get("required"):
                errors[code] = [_("%(label)s: this field is required.") % {"label": label}]
            continue
        try:
            cleaned[code] = _answer(definition, value)
        except ValueError as exc:
            errors[code] = [f"{label}: {exc}"]
    if errors:
        raise ValidationError(errors)
    return cleaned


def display(category: Category, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of each answer, in the category's order, list keys shown by their names."""
    language = get_language()
    rows: list[tuple[str, str]] = []
    for definition in definitions(category):
        code = definition["code"]
        if code not in answers:
            continue
        answer = answers[code]
        names = {v["key"]: value_name(v, language) for v in definition.get("values", [])}
        if isinstance(answer, list):
            shown = (", " if _english(language) else "、").join(
                names.get(str(a), str(a)) for a in answer
            )
        elif definition["datatype"] == "datetime":
            parsed = parse_datetime(str(answer))
            shown = (
                timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
                if isinstance(parsed, dt.datetime) and timezone.is_aware(parsed)
                else str(answer)
            )
        else:
            shown = names.get(str(answer), str(answer))
        rows.append((field_label(definition, language), shown))
    return rows
