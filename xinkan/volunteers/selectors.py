"""Reads of volunteers within the reader's scope; totals of hours and star levels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.volunteers.models import Pairing, Volunteer

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


# --- Pairings ------------------------------------------------------------------------------------


def _pairing_rows(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    return queryset.select_related("volunteer", "team", "resident", "need", "unit")


def own_volunteer(user: User) -> Volunteer | None:
    return Volunteer.objects.filter(user=user, is_active=True).first()


def own_pairings(user: User) -> QuerySet[Pairing]:
    """The pairings of the user's own volunteer profile: as the volunteer, or in the team."""
    volunteer = own_volunteer(user)
    if volunteer is None:
        return Pairing.objects.none()
    return _pairing_rows(
        Pairing.objects.filter(Q(volunteer=volunteer) | Q(team__members=volunteer)).distinct()
    )


def pairings_for(user: User) -> QuerySet[Pairing]:
    """Pairings of assisted residents in the user's area."""
    scope = get_scope(user)
    return _pairing_rows(scope.filter_units(Pairing.objects.all(), Perm.VOLUNTEERS_VIEW))


def pairings_behind(user: User, today: dt.date | None = None) -> QuerySet[Pairing]:
    """Active pairings whose next visit is overdue, the longest overdue first."""
    today = today or timezone.localdate()
    return (
        pairings_for(user)
        .filter(status=Pairing.Status.ACTIVE, next_visit_due__lt=today)
        .order_by("next_visit_due", "pk")
    )


def get_pairing_for_user(user: User, pairing_id: int) -> tuple[Pairing, bool]:
    """The pairing and whether the user sees it as staff (else as its own volunteer); 404 when
    neither."""
    pairing = pairings_for(user).filter(pk=pairing_id).first()
    if pairing is not None:
        return pairing, True
    pairing = own_pairings(user).filter(pk=pairing_id).first()
    if pairing is None:
        raise Http404
    return pairing, False


def active_loads(volunteer_ids: list[int]) -> dict[int, int]:
    """How many active pairings each volunteer has, in one query."""
    rows = (
        Pairing.objects.filter(status=Pairing.Status.ACTIVE, volunteer_id__in=volunteer_ids)
        .values_list("volunteer_id")
        .annotate(n=Count("pk"))
    )
    return {volunteer_id: n for volunteer_id, n in rows}
