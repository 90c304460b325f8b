from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
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
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents import services
from xinkan.residents.identity import mask_id_number
from xinkan.residents.listing import resident_listing
from xinkan.residents.models import (
    CareVisit,
    ColourCategory,
    Need,
    NeedType,
    Resident,
    ResidentColour,
)
from xinkan.residents.related import paired_needs, related_to
from xinkan.residents.selectors import (
    colours_of,
    get_resident_for_user,
    looks_like_number,
    residents_for,
    visible_categories,
    visits_due,
)

PAGE_SIZE = 50


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not get_scope(user).has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    listing = resident_listing(user, request.GET)
    residents = listing.residents
    page = CappedPaginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "residents/list.html",
        {
            "form": listing.form,
            "page": page,
            "query": params.urlencode(),
            "can_manage": get_scope(user).has_perm(Perm.RESIDENTS_MANAGE),
            "colour": listing.colour,
            "tag": listing.tag,
        },
    )


@login_required
def resident_detail(request: HttpRequest, resident_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    resident = get_resident_for_user(user, resident_id)
    return render(request, "residents/detail.html", _detail_context(user, resident))


# --- Personal data, colours, visits ----------------------------------------------------------


class NumberForm(forms.Form):
    number = forms.CharField(label=_("ID number or phone"), max_length=20)


class ColourForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, choices=[])
    reason = forms.CharField(label=_("Why"), max_length=200)


class EndColourForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why"), max_length=200)


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    found = forms.CharField(
        label=_("What was found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
@require_POST
def resident_find(request: HttpRequest) -> HttpResponse:
    """Find residents by ID number or phone: posted, so the number is never in an address or a
    server log."""
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    form = NumberForm(request.POST)
    found: list[Resident] = []
    if form.is_valid():
        number = form.cleaned_data["number"]
        if not looks_like_number(number):
            form.add_error("number", _("Give an 18-character ID number or a phone number."))
        else:
            found = list(residents_for(user, number=number)[:20])
    return render(request, "residents/find.html", {"form": form, "found": found})


def _detail_context(user: User, resident: Resident) -> dict[str, Any]:
    scope = get_scope(user)
    categories = visible_categories(user, resident.unit)
    colours = colours_of(user, resident)
    current = {row.category_id for row in colours if row.ended_on is None}
    can_manage = scope.covers_unit(resident.unit, Perm.RESIDENTS_MANAGE)
    members = []
    if resident.household_id:
        members = list(
            residents_for(user).filter(household_id=resident.household_id).exclude(pk=resident.pk)
        )
    colour_form = ColourForm()
    colour_form.fields["category"].choices = [  # type: ignore[attr-defined]
        (c.pk, f"{c.get_colour_display()} · {c.name}") for c in categories if c.pk not in current
    ]
    return {
        "resident": resident,
        "members": members,
        "masked_id": mask_id_number(resident.id_number) if resident.id_number else "",
        "masked_phone": mask_phone(resident.phone) if resident.phone else "",
        "can_reveal": scope.covers_unit(resident.unit, Perm.RESIDENTS_VIEW_PERSONAL),
        "colours": colours,
        "can_manage": can_manage,
        "colour_form": colour_form,
        "end_form": EndColourForm(),
        "visit_form": VisitForm(initial={"visited_on": timezone.localdate()}),
        "visits": list(
            CareVisit.objects.filter(resident=resident).select_related("visited_by")[:20]
        ),
        "revealed": {},
        "needs": list(
            Need.objects.filter(resident=resident).order_by(
                F("closed_at").desc(nulls_first=True), "-opened_at"
            )
        ),
        "need_form": NeedForm(),
        **related_to(user, resident),
    }


@login_required
@require_POST
def resident_reveal(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Show one masked field in full, on this response only (audited by the service)."""
    user = request_user(request)
    resident = get_resident_for_user(user, resident_id)
    field = request.POST.get("field", "")
    if field not in services.PERSONAL_FIELDS:
        raise Http404
    context = _detail_context(user, resident)
    context["revealed"] = {field: services.reveal(resident, field=field, by=user)}
    response = render(request, "residents/detail.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _after(request: HttpRequest, resident: Resident, run: Any, done: Any) -> HttpResponse:
    try:
        run()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("residents:detail", resident.pk)


@login_required
@require_POST
def colour_add(request: HttpRequest, resident_id: int) -> HttpResponse:
    user = request_user(request)
    resident = get_resident_for_user(user, resident_id, audit_view=False)
    form = ColourForm(request.POST)
    form.fields["category"].choices = [  # type: ignore[attr-defined]
        (c.pk, c.name) for c in ColourCategory.objects.filter(is_active=True)
    ]
    if not form.is_valid():
        messages.error(request, _("Choose a category and say why."))
        return redirect("residents:detail", resident.pk)
    category = get_object_or_404(ColourCategory, pk=form.cleaned_data["category"])
    return _after(
        request,
        resident,
        lambda: services.add_colour(
            resident, category=category, reason=form.cleaned_data["reason"], by=user
        ),
        _("The category was recorded."),
    )


@login_required
@require_POST
def colour_end(request: HttpRequest, resident_id: int) -> HttpResponse:
    user = request_user(request)
    resident = get_resident_for_user(user, resident_id, audit_view=False)
    form = EndColourForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the resident leaves this category."))
        return redirect("residents:detail", resident.pk)
    row = get_object_or_404(ResidentColour, pk=form.cleaned_data["target"], resident=resident)
    return _after(
        request,
        resident,
        lambda: services.end_colour(row, reason=form.cleaned_data["reason"], by=user),
        _("The resident left the category."),
    )


@login_required
@require_POST
def visit_add(request: HttpRequest, resident_id: int) -> HttpResponse:
    user = request_user(request)
    resident = get_resident_for_user(user, resident_id, audit_view=False)
    form = VisitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day of the visit and what was found."))
        return redirect("residents:detail", resident.pk)
    return _after(
        request,
        resident,
        lambda: services.record_care_visit(
            resident,
            by=user,
            found=form.cleaned_data["found"],
            visited_on=form.cleaned_data["visited_on"],
        ),
        _("The visit was recorded."),
    )


@login_required
def visits_due_view(request: HttpRequest) -> HttpResponse:
    """Residents whose colour categories ask for a visit by today."""
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.RESIDENTS_MANAGE):
        raise PermissionDenied
    residents = visits_due(user, today=timezone.localdate())
    page = CappedPaginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "residents/visits_due.html", {"page": page})


class NeedForm(forms.Form):
    need_type = forms.ChoiceField(label=_("Kind of help"), choices=NeedType.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Need.Urgency.choices)
    frequency = forms.CharField(label=_("How often"), max_length=60, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseNeedForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why"), max_length=200)


@login_required
@require_POST
def need_add(request: HttpRequest, resident_id: int) -> HttpResponse:
    user = request_user(request)
    resident = get_resident_for_user(user, resident_id, audit_view=False)
    form = NeedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the kind of help and how urgent it is."))
        return redirect("residents:detail", resident.pk)
    data = form.cleaned_data
    return _after(
        request,
        resident,
        lambda: services.open_need(
            resident,
            by=user,
            need_type=data["need_type"],
            urgency=data["urgency"],
            frequency=data["frequency"],
            notes=data["notes"],
        ),
        _("The need was recorded."),
    )


@login_required
@require_POST
def need_close(request: HttpRequest, resident_id: int) -> HttpResponse:
    user = request_user(request)
    resident = get_resident_for_user(user, resident_id, audit_view=False)
    form = CloseNeedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the need is closed."))
        return redirect("residents:detail", resident.pk)
    need = get_object_or_404(Need, pk=form.cleaned_data["target"], resident=resident)
    return _after(
        request,
        resident,
        lambda: services.close_need(need, by=user, reason=form.cleaned_data["reason"]),
        _("The need was closed."),
    )


@login_required
def needs_view(request: HttpRequest) -> HttpResponseBase:
    """Open needs of the residents in one's area, most urgent and oldest first."""
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    needs = (
        Need.objects.filter(
            closed_at__isnull=True, resident__unit_id__in=scope.unit_ids(Perm.RESIDENTS_VIEW)
        )
        .select_related("resident__unit")
        .order_by("-urgency", "opened_at", "pk")
    )
    kind = request.GET.get("type", "")
    if kind in NeedType.values:
        needs = needs.filter(need_type=kind)
    if "export" in request.GET:
        return tables.export_list(
            request,
            needs,
            action="residents.needs_exported",
            headers=[
                str(h)
                for h in (
                    _("Resident"),
                    _("Kind of help"),
                    _("Urgency"),
                    _("How often"),
                    _("Since"),
                    _("Grid / community"),
                )
            ],
            row=lambda n: [
                n.resident.name,
                str(n.get_need_type_display()),
                str(n.get_urgency_display()),
                n.frequency,
                timezone.localtime(n.opened_at).date().isoformat(),
                n.resident.unit.name,
            ],
            name="needs",
            sheet=str(_("Open needs")),
            filters={"type": kind},
        )
    page = CappedPaginator(needs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "residents/needs.html",
        {
            "page": page,
            "types": NeedType.choices,
            "current": kind,
            "can_pair": scope.has_perm(Perm.VOLUNTEERS_MANAGE),
            "export_query": f"type={kind}" if kind else "",
            "paired": paired_needs([need.pk for need in page.object_list]),
        },
    )


@login_required
def colour_overview(request: HttpRequest) -> HttpResponse:
    """Residents per colour and grid in one's area (one grouped query); each count leads to the
    people. Sensitive colours only for those permitted."""
    from django.db.models import Count

    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    roots = scope.root_units(Perm.RESIDENTS_VIEW)
    unit = roots[0] if roots else None
    categories = visible_categories(user, unit) if unit else []
    grids = list(
        Unit.objects.filter(pk__in=scope.unit_ids(Perm.RESIDENTS_VIEW), level=Level.GRID)
        .select_related("parent")
        .order_by("path")
    )
    counts: dict[tuple[int, int], int] = {}
    for row in (
        ResidentColour.objects.filter(
            ended_on__isnull=True,
            category__in=categories,
            resident__unit_id__in=[g.pk for g in grids],
        )
        .values("resident__unit_id", "category_id")
        .annotate(n=Count("resident", distinct=True))
    ):
        counts[(row["resident__unit_id"], row["category_id"])] = row["n"]
    rows = [(grid, [(c, counts.get((grid.pk, c.pk), 0)) for c in categories]) for grid in grids]
    totals = [(c, sum(counts.get((g.pk, c.pk), 0) for g in grids)) for c in categories]
    return render(
        request,
        "residents/colours.html",
        {"categories": categories, "rows": rows, "totals": totals},
    )
