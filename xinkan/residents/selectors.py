"""Reads of the archive, always within the reader's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from xinkan.audit import services as audit
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import Resident

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def residents_for(user: User, *, query: str = "", unit_id: int | None = None) -> QuerySet[Resident]:
    scope = get_scope(user)
    residents = scope.filter_units(Resident.objects.all(), Perm.RESIDENTS_VIEW)
    if query:
        residents = residents.filter(name__contains=query.strip())
    if unit_id:
        path = Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
        residents = residents.filter(unit__path__startswith=path) if path else residents.none()
    return residents.select_related("unit", "household").order_by("unit__path", "name", "pk")


def get_resident_for_user(user: User, resident_id: int) -> Resident:
    """The resident, or 404 — the same answer for "not yours" and "does not exist".

    Opening a resident's page is a view of personal data, so it is audited.
    """
    resident = residents_for(user).filter(pk=resident_id).first()
    if resident is None:
        audit.record_failure(
            actor=user,
            action="residents.resident.view_denied",
            data={"resident_id": resident_id},
        )
        raise Http404
    audit.record(actor=user, action="residents.resident.viewed", obj=resident, unit=resident.unit)
    return resident
