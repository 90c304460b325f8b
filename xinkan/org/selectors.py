"""Reads of the organisation, within the reader's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from xinkan.org.models import Unit
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def get_unit_for_user(user: User, unit_id: int, perm: str) -> Unit:
    """The unit if it lies in the user's scope for `perm`; 404 otherwise (not yours = not found)."""
    unit = get_scope(user).units(perm).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def ancestors_of(unit: Unit) -> list[Unit]:
    ids = unit.ancestor_ids()
    return list(Unit.objects.filter(pk__in=ids).order_by("depth")) if ids else []
