"""The pairing pages: the community's pairings with those falling behind first, pairing a need
with a volunteer or team, one pairing with its visits, the printable agreement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinkan.accounts.http import request_user
from xinkan.audit import services as audit
from xinkan.core import tables
from xinkan.core.paging import CappedPaginator
from xinkan.core.pdf import FontUnavailable
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import Need
from xinkan.residents.selectors import residents_for
from xinkan.volunteers import documents, pairings, selectors
from xinkan.volunteers.fit import skill_fit
from xinkan.volunteers.models import Pairing, PairingVisit, Team, Volunteer

PAGE_SIZE = 50


class PairingForm(forms.Form):
    helper = forms.ChoiceField(label=_("Volunteer or service team"))
    help = forms.CharField(
        label=_("Help agreed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    visit_every_days = forms.IntegerField(
        label=_("Visit at least every (days)"), min_value=1, max_value=365, initial=7
    )
    starts_on = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, helpers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["helper"].choices = helpers  # type: ignore[attr-defined]


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    hours = forms.DecimalField(
        label=_("Hours"), max_digits=4, decimal_places=1, required=False, min_value=Decimal("0.5")
    )
    volunteer = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EndForm(forms.Form):
    reason = forms.CharField(label=_("Why it ends"), max_length=200)
    need_met = forms.BooleanField(label=_("The need is met"), required=False)


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        for error in errors:
            label = form.fields[field].label if field in form.fields else None
            messages.error(request, f"{label}: {error}" if label else str(error))


def _service_errors(request: HttpRequest, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


@login_required
def pairing_list(request: HttpRequest) -> HttpResponseBase:
    """The community's worklist: pairings falling behind (visits overdue), then all active ones,
    or the ended ones."""
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.VOLUNTEERS_VIEW):
        raise PermissionDenied
    show = request.GET.get("show", "behind")
    today = timezone.localdate()
    if show == "ended":
        rows = (
            selectors.pairings_for(user)
            .filter(status=Pairing.Status.ENDED)
            .order_by("-ended_on", "-pk")
        )
    elif show == "active":
        rows = selectors.pairings_for(user).filter(status=Pairing.Status.ACTIVE)
    else:
        show = "behind"
        rows = selectors.pairings_behind(user, today)
    if "export" in request.GET:
        return tables.export_list(
            request,
            rows,
            action="volunteers.pairings_exported",
            headers=[
                str(h)
                for h in (
                    _("Agreement number"),
                    _("Assisted resident"),
                    _("Helped by"),
                    _("Need"),
                    _("From"),
                    _("Until"),
                    _("Last visit"),
                    _("Next visit due"),
                    _("Grid / community"),
                )
            ],
            row=lambda p: [
                p.code,
                p.resident.name,
                p.helper_name,
                str(p.need.get_need_type_display()),
                p.starts_on.isoformat(),
                p.ends_on.isoformat(),
                p.last_visit_on.isoformat() if p.last_visit_on else "",
                p.next_visit_due.isoformat() if p.status == Pairing.Status.ACTIVE else "",
                p.unit.name,
            ],
            name="pairings",
            sheet=str(_("Pairings")),
            filters={"show": show},
        )
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteers/pairings.html",
        {
            "page": page,
            "show": show,
            "today": today,
            "export_query": f"show={show}",
            "can_manage": scope.has_perm(Perm.VOLUNTEERS_MANAGE),
        },
    )


def _helper_choices(user: Any, need: Need) -> list[tuple[str, str]]:
    """Volunteers with a free place and teams of the user's area, fitting skills first."""
    volunteers = list(
        selectors.volunteers_for(user).filter(is_active=True).order_by("name", "pk")[:500]
    )
    loads = selectors.active_loads([v.pk for v in volunteers])
    free = [v for v in volunteers if loads.get(v.pk, 0) < v.max_pairings]
    free.sort(
        key=lambda v: (-skill_fit(need.need_type, v.skills), v.unit_id != need.resident.unit_id)
    )
    choices = [("", "—")]
    for v in free:
        fit = "✓ " if skill_fit(need.need_type, v.skills) else ""
        label = f"{fit}{v.name} · {'、'.join(v.skill_labels())} · {v.unit.name}"
        choices.append((f"v{v.pk}", label))
    team_rows = get_scope(user).filter_units(Team.objects.all(), Perm.VOLUNTEERS_VIEW)
    for team in team_rows.select_related("unit").order_by("name")[:100]:
        choices.append((f"t{team.pk}", f"{_('Team')}: {team.name} · {team.unit.name}"))
    return choices


@login_required
def pairing_new(request: HttpRequest, need_id: int) -> HttpResponse:
    """Pair an open need with a volunteer or a team (a proposal's "change" lands here too)."""
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.VOLUNTEERS_MANAGE):
        raise PermissionDenied
    need = get_object_or_404(
        Need.objects.select_related("resident", "resident__unit").filter(
            resident__in=residents_for(user)
        ),
        pk=need_id,
    )
    today = timezone.localdate()
    form = PairingForm(
        request.POST or None,
        helpers=_helper_choices(user, need),
        initial={
            "helper": request.GET.get("helper", ""),
            "help": need.notes or need.get_need_type_display(),
            "starts_on": today,
            "ends_on": today.replace(year=today.year + 1) - dt.timedelta(days=1)
            if not (today.month == 2 and today.day == 29)
            else today + dt.timedelta(days=364),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind, pk = data["helper"][:1], int(data["helper"][1:])
        volunteer = (
            get_object_or_404(selectors.volunteers_for(user), pk=pk) if kind == "v" else None
        )
        team = (
            get_object_or_404(
                get_scope(user).filter_units(Team.objects.all(), Perm.VOLUNTEERS_VIEW), pk=pk
            )
            if kind == "t"
            else None
        )
        try:
            pairing = pairings.pair(
                by=user,
                need=need,
                volunteer=volunteer,
                team=team,
                help_text=data["help"],
                visit_every_days=data["visit_every_days"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("The pairing was made."))
            return redirect("volunteers:pairing", pairing.pk)
    return render(request, "volunteers/pairing_new.html", {"form": form, "need": need})


@login_required
def pairing_detail(request: HttpRequest, pairing_id: int) -> HttpResponse:
    user = request_user(request)
    pairing, as_staff = selectors.get_pairing_for_user(user, pairing_id)
    can_manage = as_staff and get_scope(user).covers_unit(pairing.unit, Perm.VOLUNTEERS_MANAGE)
    visits = list(pairing.visits.select_related("volunteer", "recorded_by", "service_record"))
    members = list(pairing.team.members.order_by("name")) if pairing.team is not None else []
    return render(
        request,
        "volunteers/pairing.html",
        {
            "pairing": pairing,
            "visits": visits,
            "members": members,
            "as_staff": as_staff,
            "can_manage": can_manage,
            "can_log": pairing.status == Pairing.Status.ACTIVE,
            "behind": pairing.is_behind(),
            "visit_form": VisitForm(initial={"visited_on": timezone.localdate()}),
            "end_form": EndForm(),
        },
    )


@login_required
@require_POST
def visit_add(request: HttpRequest, pairing_id: int) -> HttpResponse:
    user = request_user(request)
    pairing, _staff = selectors.get_pairing_for_user(user, pairing_id)
    form = VisitForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("volunteers:pairing", pairing.pk)
    data = form.cleaned_data
    visitor = None
    if data["volunteer"]:
        visitor = Volunteer.objects.filter(pk=data["volunteer"]).first()
    try:
        pairings.record_visit(
            pairing,
            by=user,
            visited_on=data["visited_on"],
            notes=data["notes"],
            hours=data["hours"],
            volunteer=visitor,
        )
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        messages.success(request, _("The visit was logged."))
    return redirect("volunteers:pairing", pairing.pk)


@login_required
@require_POST
def visit_certify(request: HttpRequest, pairing_id: int, visit_id: int) -> HttpResponse:
    user = request_user(request)
    pairing, _staff = selectors.get_pairing_for_user(user, pairing_id)
    visit = get_object_or_404(PairingVisit.objects.select_related("volunteer"), pk=visit_id)
    if visit.pairing_id != pairing.pk:
        raise PermissionDenied
    visit.pairing = pairing
    try:
        pairings.certify_visit_hours(visit, by=user)
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        messages.success(
            request, _("The hours were certified and added to the volunteer's record.")
        )
    return redirect("volunteers:pairing", pairing.pk)


@login_required
@require_POST
def pairing_end(request: HttpRequest, pairing_id: int) -> HttpResponse:
    user = request_user(request)
    pairing, _staff = selectors.get_pairing_for_user(user, pairing_id)
    form = EndForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("volunteers:pairing", pairing.pk)
    try:
        pairings.end_pairing(
            pairing,
            by=user,
            reason=form.cleaned_data["reason"],
            need_met=form.cleaned_data["need_met"],
        )
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        messages.success(request, _("The pairing has ended."))
    return redirect("volunteers:pairing", pairing.pk)


def pdf_response(request: HttpRequest, render_pdf: Any, filename: str) -> HttpResponse:
    try:
        content = render_pdf()
    except FontUnavailable as exc:
        return render(request, "web/error.html", {"message": str(exc)}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def agreement_pdf(request: HttpRequest, pairing_id: int) -> HttpResponse:
    """The assistance agreement, built from the record on each download; audited."""
    user = request_user(request)
    pairing, _staff = selectors.get_pairing_for_user(user, pairing_id)
    leader = ""
    if pairing.team_id is not None and pairing.team.leader_id is not None:  # type: ignore[union-attr]
        leader = pairing.team.leader.name  # type: ignore[union-attr]
    facts = documents.AgreementFacts(
        number=pairing.code,
        community=pairing.unit.name,
        helper=pairing.helper_name,
        helper_is_team=pairing.team_id is not None,
        helper_leader=leader,
        resident=pairing.resident.name,
        resident_address=pairing.resident.address,
        need=str(pairing.need.get_need_type_display()),
        help=pairing.help,
        visit_every_days=pairing.visit_every_days,
        starts_on=pairing.starts_on,
        ends_on=pairing.ends_on,
        signed_on=pairing.created_at.date(),
    )
    response = pdf_response(
        request,
        lambda: documents.render_pairing_agreement(facts),
        f"agreement-{pairing.code}.pdf",
    )
    if response.status_code == 200:
        audit.record(
            actor=user, action="volunteers.agreement_downloaded", obj=pairing, unit=pairing.unit
        )
    return response
