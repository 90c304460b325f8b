"""Reads of volunteers within the reader's scope; totals of hours and star levels."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.volunteers.models import Volunteer

if TYPE_CHECKING:
    from xinkan.accounts.models import User

# Cumulative hours for one to five stars (a common provincial practice); XINKAN_STAR_HOURS changes it.
DEFAULT_STAR_HOURS = (100, 300, 600, 1000, 1500)


def star_hours() -> tuple[int, ...]:
    return tuple(getattr(settings, "XINKAN_STAR_HOURS", DEFAULT_STAR_HOURS))


def stars(total: Decimal | int | float) -> int:
    return sum(1 for threshold in star_hours() if total >= threshold)


def with_totals(volunteers: QuerySet[Volunteer]) -> QuerySet[Volunteer]:
    """Each volunteer's hours (current records only), in the same query."""
    return volunteers.annotate(
        total_hours=Coalesce(
            Sum("records__hours", filter=Q(records__superseded=False)),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=8, decimal_places=1),
        )
    )


def volunteers_for(user: User) -> QuerySet[Volunteer]:
    scope = get_scope(user)
    return scope.filter_units(Volunteer.objects.all(), Perm.VOLUNTEERS_VIEW).select_related("unit")


def get_volunteer_for_user(user: User, volunteer_id: int) -> Volunteer:
    volunteer = with_totals(volunteers_for(user)).filter(pk=volunteer_id).first()
    if volunteer is None:
        raise Http404
    return volunteer
