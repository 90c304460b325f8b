"""Reads of drives and stations: lists with their figures, totals by item type, stock, the rows a
reader may see. Visibility rules are in access.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from xinkan.aid.models import Direction, Drive, ItemType, Movement, Station, unit_word_for
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

HELP_WINDOW_DAYS = 30

_IN = Q(direction=Direction.IN)
_OUT = Q(direction=Direction.OUT)


def _total(field: str, condition: Q) -> Coalesce:
    return Coalesce(Sum(field, filter=condition), Value(0), output_field=IntegerField())


def drives_with_figures(drives: QuerySet[Drive]) -> QuerySet[Drive]:
    """Each drive's goods received (cash apart) and cash received, and households helped — in the
    same query."""
    received = Q(movements__direction=Direction.IN)
    cash = Q(movements__item_type=ItemType.CASH)
    return drives.annotate(
        goods_received=_total("movements__quantity", received & ~cash),
        cash_received=_total("movements__quantity", received & cash),
        households_helped=Count(
            "movements__household", distinct=True, filter=Q(movements__direction=Direction.OUT)
        ),
    )


def stations_with_figures(stations: QuerySet[Station], *, today: dt.date) -> QuerySet[Station]:
    """Each station's goods held (cash apart) and the help it gave in the last 30 days."""
    since = today - dt.timedelta(days=HELP_WINDOW_DAYS)
    goods = ~Q(movements__item_type__in=[ItemType.CASH, ItemType.SERVICE])
    return stations.annotate(
        goods_held=_total("movements__quantity", Q(movements__direction=Direction.IN) & goods)
        - _total("movements__quantity", Q(movements__direction=Direction.OUT) & goods),
        recent_help=Count(
            "movements",
            filter=Q(movements__direction=Direction.OUT, movements__date__gte=since),
        ),
    )


@dataclass(frozen=True)
class TypeTotal:
    item_type: str
    label: str
    word: str
    received: int
    given: int

    @property
    def held(self) -> int:
        return self.received - self.given


def totals_by_type(movements: QuerySet[Movement]) -> list[TypeTotal]:
    """Received, given and held per item type, in the order of the item types (one query)."""
    rows = {
        row["item_type"]: row
        for row in movements.order_by()
        .values("item_type")
        .annotate(received=_total("quantity", _IN), given=_total("quantity", _OUT))
    }
    return [
        TypeTotal(
            choice.value,
            str(choice.label),
            unit_word_for(choice.value),
            rows[choice.value]["received"],
            rows[choice.value]["given"],
        )
        for choice in ItemType
        if choice.value in rows
    ]


def held(movements: QuerySet[Movement], item_type: str) -> int:
    """What the holder of these movements holds of one item type."""
    totals = movements.filter(item_type=item_type).aggregate(
        received=_total("quantity", _IN), given=_total("quantity", _OUT)
    )
    return int(totals["received"]) - int(totals["given"])


def households_helped(movements: QuerySet[Movement]) -> int:
    """Distinct households among what was given: a household helped twice counts once."""
    figures = movements.filter(_OUT).aggregate(n=Count("household", distinct=True))
    return int(figures["n"])


@dataclass(frozen=True)
class HelpSummary:
    given: int  # times help was given (goods or a service)
    households: int


def recent_help(station: Station, *, today: dt.date) -> HelpSummary:
    since = today - dt.timedelta(days=HELP_WINDOW_DAYS)
    figures = station.movements.filter(_OUT, date__gte=since).aggregate(
        given=Count("pk"), households=Count("household", distinct=True)
    )
    return HelpSummary(figures["given"], figures["households"])


def visible_rows(
    user: User, movements: QuerySet[Movement], direction: str = ""
) -> QuerySet[Movement]:
    """The rows of a drive or station the user may read: those recorded in their area."""
    rows = get_scope(user).filter_units(movements, Perm.AID_VIEW)
    if direction in Direction.values:
        rows = rows.filter(direction=direction)
    return rows.select_related("household", "resident", "unit", "recorded_by").order_by(
        "-date", "-pk"
    )
