"""The volunteers pages: the list with hours and stars, registering, one volunteer's record with
the forms to record and correct hours."""

from __future__ import annotations

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
from xinkan.accounts.models import User
from xinkan.core import tables
from xinkan.core.paging import CappedPaginator
from xinkan.core.phones import mask_phone
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.volunteers import selectors, services, teams
from xinkan.volunteers.models import WEEKDAYS, ServiceRecord, Skill, Team

PAGE_SIZE = 50


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    unit = forms.ModelChoiceField(label=_("Home unit"), queryset=Unit.objects.none())
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    skills = forms.MultipleChoiceField(
        label=_("Skills"), choices=Skill.choices, widget=forms.CheckboxSelectMultiple
    )
    available_days = forms.TypedMultipleChoiceField(
        label=_("Usually free on"),
        coerce=int,
        required=False,
        choices=[(i, label) for i, label in enumerate(WEEKDAYS)],
        widget=forms.CheckboxSelectMultiple,
    )
    available_note = forms.CharField(label=_("Availability"), max_length=100, required=False)
    max_pairings = forms.IntegerField(label=_("At most this many pairings"), initial=2)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class HoursForm(forms.Form):
    activity = forms.CharField(label=_("Activity"), max_length=120)
    served_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = forms.DecimalField(label=_("Hours"), max_digits=4, decimal_places=1)
    organiser = forms.ModelChoiceField(label=_("Organised by"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = units  # type: ignore[attr-defined]


class CorrectionForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    served_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = forms.DecimalField(label=_("Hours"), max_digits=4, decimal_places=1)
    reason = forms.CharField(label=_("What the volunteer asked to correct"), max_length=200)


def _managed_units(user: User) -> Any:
    return get_scope(user).units(Perm.VOLUNTEERS_MANAGE).filter(is_active=True).order_by("path")


@login_required
def volunteer_list(request: HttpRequest) -> HttpResponseBase:
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.VOLUNTEERS_VIEW):
        raise PermissionDenied
    volunteers = selectors.with_totals(selectors.volunteers_for(user)).order_by(
        "unit__path", "name", "pk"
    )
    skill = request.GET.get("skill", "")
    if skill in Skill.values:
        # Skills are a JSON list of fixed keys: matched as the quoted key in the stored list.
        volunteers = volunteers.filter(skills__icontains=f'"{skill}"')
    if "export" in request.GET:
        return tables.export_list(
            request,
            volunteers,
            action="volunteers.exported",
            headers=[
                str(h)
                for h in (_("Name"), _("Skills"), _("Home unit"), _("Phone"), _("Usually free on"))
            ]
            + [str(_("Hours")), str(_("Stars"))],
            row=lambda v: [
                v.name,
                "、".join(v.skill_labels()),
                v.unit.name,
                mask_phone(v.phone) if v.phone else "",
                "、".join(v.day_labels()),
                str(v.total_hours),
                str(selectors.stars(v.total_hours)),
            ],
            name="volunteers",
            sheet=str(_("Volunteers")),
            filters={"skill": skill},
        )
    page = CappedPaginator(volunteers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteers/list.html",
        {
            "page": page,
            "rows": [(v, selectors.stars(v.total_hours)) for v in page.object_list],
            "skills": Skill.choices,
            "current": skill,
            "can_manage": scope.has_perm(Perm.VOLUNTEERS_MANAGE),
            "export_query": f"skill={skill}" if skill else "",
        },
    )


@login_required
def volunteer_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.VOLUNTEERS_MANAGE):
        raise PermissionDenied
    form = VolunteerForm(request.POST or None, units=_managed_units(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            volunteer = services.register_volunteer(
                by=user,
                name=data["name"],
                unit=data["unit"],
                phone=data["phone"],
                skills=data["skills"],
                available_days=data["available_days"],
                available_note=data["available_note"],
                max_pairings=data["max_pairings"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("The volunteer was registered."))
            return redirect("volunteers:detail", volunteer.pk)
    return render(request, "volunteers/new.html", {"form": form})


@login_required
def volunteer_detail(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    user = request_user(request)
    volunteer = selectors.get_volunteer_for_user(user, volunteer_id)
    units = _managed_units(user)
    return render(
        request,
        "volunteers/detail.html",
        {
            "volunteer": volunteer,
            "stars": selectors.stars(getattr(volunteer, "total_hours", 0)),
            "thresholds": selectors.star_hours(),
            "records": list(volunteer.records.select_related("organiser", "recorded_by")),
            "pairings": list(
                selectors.pairings_for(user).filter(volunteer=volunteer).order_by("-pk")[:20]
            ),
            "can_manage": get_scope(user).has_perm(Perm.VOLUNTEERS_MANAGE),
            "hours_form": HoursForm(
                units=units,
                initial={"served_on": timezone.localdate(), "organiser": volunteer.unit_id},
            ),
            "correction_form": CorrectionForm(),
        },
    )


def _done(request: HttpRequest, volunteer_id: int, run: Any, message: Any) -> HttpResponse:
    try:
        run()
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect("volunteers:detail", volunteer_id)


@login_required
@require_POST
def hours_add(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    user = request_user(request)
    volunteer = selectors.get_volunteer_for_user(user, volunteer_id)
    form = HoursForm(request.POST, units=_managed_units(user))
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request,
                    f"{form.fields[field].label}: {error}" if field in form.fields else str(error),
                )
        return redirect("volunteers:detail", volunteer.pk)
    data = form.cleaned_data
    return _done(
        request,
        volunteer.pk,
        lambda: services.record_service(
            volunteer,
            by=user,
            organiser=data["organiser"],
            activity=data["activity"],
            served_on=data["served_on"],
            hours=Decimal(data["hours"]),
        ),
        _("The hours were recorded."),
    )


@login_required
@require_POST
def account_link(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    user = request_user(request)
    volunteer = selectors.get_volunteer_for_user(user, volunteer_id)
    return _done(
        request,
        volunteer.pk,
        lambda: services.link_account(
            volunteer, by=user, username=request.POST.get("username", "")[:150]
        ),
        _("The account was linked: its holder now sees their pairings and hours."),
    )


@login_required
@require_POST
def hours_correct(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    user = request_user(request)
    volunteer = selectors.get_volunteer_for_user(user, volunteer_id)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the corrected date and hours, and what was asked."))
        return redirect("volunteers:detail", volunteer.pk)
    record = get_object_or_404(ServiceRecord, pk=form.cleaned_data["target"], volunteer=volunteer)
    data = form.cleaned_data
    return _done(
        request,
        volunteer.pk,
        lambda: services.correct_service(
            record,
            by=user,
            hours=Decimal(data["hours"]),
            served_on=data["served_on"],
            reason=data["reason"],
        ),
        _("The correction was recorded."),
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=60)
    skill = forms.ChoiceField(label=_("Specialty"), choices=Skill.choices)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    volunteer = forms.IntegerField()
    leader = forms.BooleanField(required=False)
    remove = forms.BooleanField(required=False)


@login_required
def teams_view(request: HttpRequest) -> HttpResponse:
    """The service teams of one's area, their members and hours; a form to create one."""
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.VOLUNTEERS_VIEW):
        raise PermissionDenied
    can_manage = scope.has_perm(Perm.VOLUNTEERS_MANAGE)
    form = TeamForm(request.POST or None, units=_managed_units(user))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                teams.create_team(
                    by=user, name=data["name"], skill=data["skill"], unit=data["unit"]
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("The team was created."))
                return redirect("volunteers:teams")
    rows = list(
        teams.teams_with_totals(scope.filter_units(Team.objects.all(), Perm.VOLUNTEERS_VIEW))
        .select_related("unit", "leader")
        .prefetch_related("members")
        .order_by("unit__path", "name")
    )
    candidates = list(selectors.volunteers_for(user).filter(is_active=True).order_by("name")[:500])
    return render(
        request,
        "volunteers/teams.html",
        {"rows": rows, "form": form, "can_manage": can_manage, "candidates": candidates},
    )


@login_required
@require_POST
def team_members(request: HttpRequest, team_id: int) -> HttpResponse:
    user = request_user(request)
    scope = get_scope(user)
    team = get_object_or_404(
        scope.filter_units(Team.objects.all(), Perm.VOLUNTEERS_VIEW).select_related("unit"),
        pk=team_id,
    )
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a volunteer."))
        return redirect("volunteers:teams")
    volunteer = get_object_or_404(selectors.volunteers_for(user), pk=form.cleaned_data["volunteer"])
    try:
        if form.cleaned_data["remove"]:
            teams.remove_member(team, volunteer, by=user)
        else:
            teams.add_member(team, volunteer, by=user, leader=form.cleaned_data["leader"])
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, _("The team was updated."))
    return redirect("volunteers:teams")
