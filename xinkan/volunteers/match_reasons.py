"""Reason codes of matching proposals (`matching.Reason`) as text in the reader's language.

The codes are stored (`Pairing.match_reasons`, as JSON lists), the text is made when shown, so a
pairing made in Chinese reads in English too. Unknown codes (from a later version) show as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from xinkan.volunteers import matching
from xinkan.volunteers.models import WEEKDAYS, Skill


def _skill(value: Any) -> str:
    return str(Skill(value).label) if value in Skill.values else str(value)


def _days(values: Any) -> str:
    names = [str(WEEKDAYS[d]) for d in values if isinstance(d, int) and 0 <= d < 7]
    return pgettext("list separator", ", ").join(names)


def describe(reason: Sequence[Any]) -> str:
    """One reason, e.g. ("skill", "medical") → "Skill fits: Medical"."""
    if not reason:
        return ""
    code, params = reason[0], list(reason[1:])
    if code == "skill" and params:
        return _("Skill fits: %(skill)s") % {"skill": _skill(params[0])}
    if code == "same_grid":
        return _("Same grid")
    if code == "same_community":
        return _("Same community")
    if code == "same_subdistrict":
        return _("Same subdistrict")
    if code == "days" and params:
        return _("Free on %(days)s") % {"days": _days(params[0])}
    if code == "urgent":
        return _("Urgent need, matched first")
    if code == "free" and params and isinstance(params[0], int):
        count = params[0]
        return ngettext(
            "Can take %(count)d more pairing", "Can take %(count)d more pairings", count
        ) % {"count": count}
    return " ".join(str(part) for part in reason)


def describe_all(reasons: Iterable[Sequence[Any]]) -> list[str]:
    return [text for text in (describe(reason) for reason in reasons) if text]


def describe_unmatched(code: str) -> str:
    """Why a need got no proposal (`matching.Unmatched.reason`)."""
    if code == matching.NO_SKILL_NEARBY:
        return _("No volunteer nearby has a fitting skill")
    if code == matching.NO_COMMON_DAYS:
        return _("No fitting volunteer nearby is free on the days wanted")
    if code == matching.ALL_FULL:
        return _("All fitting volunteers nearby have as many pairings as they take")
    if code == matching.CAPACITY_SHORT:
        return _("The fitting volunteers nearby are better used for other needs")
    return code
