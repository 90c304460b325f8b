"""The dashboard's lists of what needs pushing now: the unit's overdue matters and those under
supervision, the longest waiting first — the same lists (and scope) as the matters worklists,
narrowed to the unit's subtree (and to the dashboard's category, when it has one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xinkan.matters.models import Matter
from xinkan.matters.selectors import Worklist, with_list_relations, worklist

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit

SHOWN = 10


def pressing(
    user: User, unit: Unit, *, categories: Sequence[int] | None = None
) -> dict[str, list[Matter]]:
    """Up to ten overdue and ten supervised matters handled in `unit`'s subtree, oldest first."""
    lists: dict[str, list[Matter]] = {}
    for name in (Worklist.OVERDUE, Worklist.SUPERVISED):
        matters = worklist(user, name, within=unit)
        if categories is not None:
            matters = matters.filter(category_id__in=list(categories))
        lists[str(name)] = list(
            with_list_relations(matters).order_by("registered_at", "id")[:SHOWN]
        )
    return lists
