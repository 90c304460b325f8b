"""Reads of the archive, always within the reader's scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from xinkan.audit import services as audit
from xinkan.core.crypto import blind_index
from xinkan.core.phones import normalise_phone
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import CareVisit, ColourCategory, Resident, ResidentColour

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def residents_for(
    user: User, *, query: str = "", unit_id: int | None = None, number: str = ""
) -> QuerySet[Resident]:
    """Residents in scope; `query` matches names, `number` an ID number or phone exactly (posted,
    never in an address)."""
    scope = get_scope(user)
    residents = scope.filter_units(Resident.objects.all(), Perm.RESIDENTS_VIEW)
    if query:
        residents = residents.filter(name__contains=query.strip())
    if number:
        residents = residents.filter(number_q(number))
    if unit_id:
        path = Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
        residents = residents.filter(unit__path__startswith=path) if path else residents.none()
    return residents.select_related("unit", "household").order_by("unit__path", "name", "pk")


_ID_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")
_PHONE_SHAPE = re.compile(r"\+?[0-9][0-9 -]{6,18}")


def looks_like_number(text: str) -> bool:
    return bool(_ID_SHAPE.fullmatch(text.strip()) or _PHONE_SHAPE.fullmatch(text.strip()))


def number_q(query: str) -> Q:
    """An ID number or phone, matched exactly through their keyed hashes."""
    from xinkan.residents.services import ID_PURPOSE, PHONE_PURPOSE

    text = query.strip()
    if _ID_SHAPE.fullmatch(text):
        return Q(id_number_index=blind_index(text.upper(), ID_PURPOSE))
    if _PHONE_SHAPE.fullmatch(text):
        return Q(phone_index=blind_index(normalise_phone(text), PHONE_PURPOSE))
    return Q(pk__in=[])


def visible_categories(user: User, unit: Unit) -> list[ColourCategory]:
    """The colour categories the user may see for residents of `unit`."""
    sensitive = get_scope(user).covers_unit(unit, Perm.RESIDENTS_VIEW_SENSITIVE)
    return [
        c
        for c in ColourCategory.objects.filter(is_active=True).order_by("pk")
        if sensitive or not c.sensitive
    ]


def colours_of(user: User, resident: Resident) -> list[ResidentColour]:
    """The resident's categories, current and past, that the user may see; showing a sensitive
    one is audited."""
    allowed = {c.pk for c in visible_categories(user, resident.unit)}
    rows = [
        row
        for row in ResidentColour.objects.filter(resident=resident)
        .select_related("category", "added_by")
        .order_by("ended_on", "category_id")
        if row.category_id in allowed
    ]
    if any(row.category.sensitive for row in rows):
        audit.record(actor=user, action="residents.colour.viewed", obj=resident, unit=resident.unit)
    return rows


def visits_due(user: User, *, today: dt.date) -> QuerySet[Resident]:
    """Residents in scope whose categories ask for a visit by now: never visited, or last visited
    longer ago than the most frequent of their categories asks."""
    scope = get_scope(user)
    last = Subquery(
        CareVisit.objects.filter(resident=OuterRef("pk"))
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    residents = scope.filter_units(Resident.objects.all(), Perm.RESIDENTS_MANAGE).annotate(
        last_visit=last
    )
    due = Q(pk__in=[])
    for category in ColourCategory.objects.filter(is_active=True, visit_every_days__isnull=False):
        if category.sensitive and not scope.has_perm(Perm.RESIDENTS_VIEW_SENSITIVE):
            continue
        member = Exists(
            ResidentColour.objects.filter(
                resident=OuterRef("pk"), category=category, ended_on__isnull=True
            )
        )
        cutoff = today - dt.timedelta(days=category.visit_every_days or 0)
        due |= Q(member) & (Q(last_visit__isnull=True) | Q(last_visit__lte=cutoff))
    return (
        residents.filter(due)
        .select_related("unit")
        .order_by(F("last_visit").asc(nulls_first=True), "unit__path", "pk")
    )


def get_resident_for_user(user: User, resident_id: int, *, audit_view: bool = True) -> Resident:
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
    if audit_view:
        audit.record(
            actor=user, action="residents.resident.viewed", obj=resident, unit=resident.unit
        )
    return resident
