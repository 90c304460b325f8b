"""The residents list's filters — a name, a unit's subtree, a colour category — in one place, for
the list page and for the export of what it shows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import ColourCategory, Resident, ResidentColour
from xinkan.residents.selectors import looks_like_number, residents_for

if TYPE_CHECKING:
    from django.http import QueryDict

    from xinkan.accounts.models import User


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=60)
    unit = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


@dataclass
class Listing:
    form: ResidentSearchForm
    residents: QuerySet[Resident]
    colour: ColourCategory | None
    unit: Unit | None
    # As the audit keeps them: never the name searched for.
    filters: dict[str, Any]
    tag: str = ""


def resident_listing(user: User, data: QueryDict) -> Listing:
    """The residents in scope that the filters in `data` select. A search that cannot be
    understood selects nobody (not everybody), and the form says why."""
    form = ResidentSearchForm(data or None)
    query, unit_id = "", None
    if form.is_valid() and looks_like_number(form.cleaned_data["q"]):
        # A number in the address would land in browser history and server logs.
        form.add_error("q", _("Search ID numbers and phones with the form above, never here."))
    if form.is_valid():
        query, unit_id = form.cleaned_data["q"], form.cleaned_data["unit"]
    residents = residents_for(user, query=query, unit_id=unit_id)
    colour = data.get("colour", "")
    shown = None
    if colour:
        shown = ColourCategory.objects.filter(colour=colour, is_active=True).first()
        allowed = shown is not None and (
            not shown.sensitive or get_scope(user).has_perm(Perm.RESIDENTS_VIEW_SENSITIVE)
        )
        member = ResidentColour.objects.filter(
            resident=OuterRef("pk"), category=shown, ended_on__isnull=True
        )
        residents = residents.filter(Exists(member)) if allowed else residents.none()
    tag = data.get("tag", "").strip()[:20]
    if tag:
        # Tags are a JSON list of short strings: matched as the quoted tag in the stored list.
        # (PostgreSQL shows the stored JSON with its characters, SQLite as Django wrote it.)
        residents = residents.filter(
            Q(tags__icontains=json.dumps(tag, ensure_ascii=False))
            | Q(tags__icontains=json.dumps(tag))
        )
    if form.is_bound and not form.is_valid():
        residents = residents.none()
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
    return Listing(
        form=form,
        residents=residents,
        colour=shown,
        unit=unit,
        filters={"unit": unit_id, "colour": colour, "name": bool(query), "tag": bool(tag)},
        tag=tag,
    )
