"""Matching proposals: for the open needs of a unit, the jointly best volunteers, each with why;
staff accept a proposal (a pairing on the usual terms) or change it (the pairing form, filled in).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinkan.accounts.http import request_user
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.volunteers import pairings
from xinkan.volunteers.matching_data import proposals_for_unit

# The terms of an accepted proposal; "change" opens the form to set others.
DEFAULT_VISIT_EVERY_DAYS = 7
DEFAULT_TERM_DAYS = 365


class AcceptForm(forms.Form):
    unit = forms.IntegerField()
    need = forms.IntegerField()
    volunteer = forms.IntegerField()


def _units(request: HttpRequest) -> list[Unit]:
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.VOLUNTEERS_MANAGE):
        raise PermissionDenied
    return list(
        scope.units(Perm.VOLUNTEERS_MANAGE)
        .filter(is_active=True)
        .exclude(level="grid")
        .order_by("path")[:200]
    )


def _chosen(units: list[Unit], raw: object) -> Unit | None:
    try:
        wanted = int(str(raw))
    except ValueError:
        return units[0] if units else None
    return next((u for u in units if u.pk == wanted), None)


@login_required
def proposals(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    units = _units(request)
    unit = _chosen(units, request.GET.get("unit", ""))
    found = proposals_for_unit(user, unit) if unit is not None else None
    return render(
        request,
        "volunteers/proposals.html",
        {
            "units": units,
            "unit": unit,
            "found": found,
            "visit_every_days": DEFAULT_VISIT_EVERY_DAYS,
        },
    )


@login_required
@require_POST
def proposal_accept(request: HttpRequest) -> HttpResponse:
    """Accept one proposal. It is proposed afresh first: if the needs or volunteers changed since
    the page was shown, the pairing is not made and the new proposals are shown."""
    user = request_user(request)
    units = _units(request)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a proposal to accept."))
        return redirect("volunteers:proposals")
    unit = _chosen(units, form.cleaned_data["unit"])
    if unit is None:
        raise PermissionDenied
    back = f"{reverse('volunteers:proposals')}?unit={unit.pk}"
    found = proposals_for_unit(user, unit)
    proposal = next(
        (
            p
            for p in found.proposals
            if p.need.pk == form.cleaned_data["need"]
            and p.volunteer.pk == form.cleaned_data["volunteer"]
        ),
        None,
    )
    if proposal is None:
        messages.error(
            request,
            _("The proposals changed since the page was shown (a need or a volunteer changed)."),
        )
        return redirect(back)
    today = timezone.localdate()
    try:
        pairing = pairings.pair(
            by=user,
            need=proposal.need,
            volunteer=proposal.volunteer,
            help_text=proposal.need.notes or str(proposal.need.get_need_type_display()),
            visit_every_days=DEFAULT_VISIT_EVERY_DAYS,
            starts_on=today,
            ends_on=today + dt.timedelta(days=DEFAULT_TERM_DAYS - 1),
            match_reasons=proposal.reasons_json,
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect(back)
    messages.success(
        request,
        _("%(volunteer)s is paired with %(resident)s (%(code)s).")
        % {
            "volunteer": proposal.volunteer.name,
            "resident": proposal.need.resident.name,
            "code": pairing.code,
        },
    )
    return redirect(back)
