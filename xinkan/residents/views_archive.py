"""Keeping the archive by hand: households (list, register, one household with its members),
registering a resident into a household, correcting a resident's facts and personal numbers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from xinkan.accounts.http import request_user
from xinkan.accounts.models import User
from xinkan.core import tables
from xinkan.core.paging import CappedPaginator
from xinkan.core.phones import mask_phone
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents import editing, services
from xinkan.residents.identity import mask_id_number
from xinkan.residents.models import Gender, Household
from xinkan.residents.selectors import get_resident_for_user

PAGE_SIZE = 50
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = {"autocomplete": "off", "spellcheck": "false"}


def _places(user: User) -> Any:
    return (
        get_scope(user)
        .units(Perm.RESIDENTS_MANAGE)
        .filter(is_active=True, level__in=editing.RESIDENCE_LEVELS)
        .order_by("path")
    )


def _households(user: User) -> Any:
    return get_scope(user).filter_units(Household.objects.all(), Perm.RESIDENTS_VIEW)


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


class HouseholdForm(forms.Form):
    code = forms.CharField(label=_("Household number"), max_length=40)
    unit = forms.ModelChoiceField(label=_("Grid / community"), queryset=Unit.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200)

    def __init__(self, *args: Any, places: Any, editing_existing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = places  # type: ignore[attr-defined]
        if editing_existing:
            del self.fields["code"]


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    relation = forms.CharField(
        label=_("Relation to the head"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"list": "relations"}),
    )
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, required=False, widget=forms.TextInput(attrs=NUMBER)
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={**NUMBER, "inputmode": "tel"}),
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN, required=False
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    occupation = forms.CharField(label=_("Occupation"), max_length=60, required=False)
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for the household's address."),
    )


class EditResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    unit = forms.ModelChoiceField(label=_("Grid / community"), queryset=Unit.objects.none())
    household = forms.CharField(
        label=_("Household number"),
        max_length=40,
        required=False,
        help_text=_("Empty: not in a household."),
    )
    relation = forms.CharField(
        label=_("Relation to the head"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"list": "relations"}),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    occupation = forms.CharField(label=_("Occupation"), max_length=60, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    tags = forms.CharField(
        label=_("Tags"),
        max_length=250,
        required=False,
        help_text=_("Separated by commas, for example 党员，退役军人，楼栋长."),
    )
    new_id_number = forms.CharField(
        label=_("New ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs=NUMBER),
        help_text=_("Leave empty to keep the number on file."),
    )
    new_phone = forms.CharField(
        label=_("New phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={**NUMBER, "inputmode": "tel"}),
        help_text=_("Leave empty to keep the number on file."),
    )
    remove_phone = forms.BooleanField(label=_("Remove the phone number"), required=False)

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = places  # type: ignore[attr-defined]


@login_required
def household_list(request: HttpRequest) -> HttpResponseBase:
    """Households in one's area by address, with how many members each has on file."""
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:60]
    households = _households(user).select_related("unit").annotate(n_members=Count("members"))
    if query:
        households = households.filter(Q(address__contains=query) | Q(code=query))
    households = households.order_by("unit__path", "address", "pk")
    if "export" in request.GET:
        return tables.export_list(
            request,
            households,
            action="residents.households_exported",
            headers=[
                str(h)
                for h in (
                    _("Household number"),
                    _("Address"),
                    _("Grid / community"),
                    _("Members on file"),
                )
            ],
            row=lambda h: [h.code, h.address, h.unit.name, str(h.n_members)],
            name="households",
            sheet=str(_("Households")),
            filters={"search": bool(query)},
        )
    page = CappedPaginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "residents/households.html",
        {
            "page": page,
            "q": query,
            "can_manage": scope.has_perm(Perm.RESIDENTS_MANAGE),
            "export_query": urlencode({"q": query}) if query else "",
        },
    )


@login_required
def household_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.RESIDENTS_MANAGE):
        raise PermissionDenied
    form = HouseholdForm(request.POST or None, places=_places(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if Household.objects.filter(code=data["code"].strip()).exists():
            form.add_error("code", _("A household with this number is already on file."))
        else:
            try:
                household = services.create_household(
                    code=data["code"], unit=data["unit"], address=data["address"], by=user
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The household was registered; now add its members."))
                return redirect("residents:household", household.pk)
    return render(request, "residents/household_new.html", {"form": form})


@login_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    """One household: its address and members, forms to correct it and to add a member."""
    user = request_user(request)
    household = get_object_or_404(_households(user).select_related("unit"), pk=household_id)
    can_manage = get_scope(user).covers_unit(household.unit, Perm.RESIDENTS_MANAGE)
    edit_form = HouseholdForm(
        request.POST if request.POST.get("form") == "household" else None,
        places=_places(user),
        editing_existing=True,
        initial={"unit": household.unit_id, "address": household.address},
    )
    member_form = ResidentForm(request.POST if request.POST.get("form") == "member" else None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if request.POST.get("form") == "household" and edit_form.is_valid():
            try:
                editing.update_household(
                    household,
                    by=user,
                    address=edit_form.cleaned_data["address"],
                    unit=edit_form.cleaned_data["unit"],
                )
            except ValidationError as exc:
                _apply_errors(edit_form, exc)
            else:
                messages.success(request, _("The household was updated."))
                return redirect("residents:household", household.pk)
        if request.POST.get("form") == "member" and member_form.is_valid():
            data = member_form.cleaned_data
            try:
                resident = services.register_resident(
                    name=data["name"],
                    unit=household.unit,
                    by=user,
                    household=household,
                    relation=data["relation"],
                    gender=data["gender"] or Gender.UNKNOWN,
                    birth_date=data["birth_date"],
                    address=data["address"],
                    occupation=data["occupation"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                )
            except ValidationError as exc:
                _apply_errors(member_form, exc)
            else:
                messages.success(
                    request, _("%(name)s was added to the household.") % {"name": resident.name}
                )
                return redirect("residents:household", household.pk)
    members = list(
        household.members.filter(
            unit_id__in=get_scope(user).unit_ids(Perm.RESIDENTS_VIEW)
        ).order_by("pk")
    )
    return render(
        request,
        "residents/household.html",
        {
            "household": household,
            "members": members,
            "can_manage": can_manage,
            "edit_form": edit_form,
            "member_form": member_form,
            "relations": editing.RELATIONS,
            "open_member": request.POST.get("form") == "member" or not members,
        },
    )


@login_required
def resident_edit(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Correct a resident's facts; new ID numbers and phones are typed in full, the ones on file
    are never shown here."""
    user = request_user(request)
    resident = get_resident_for_user(user, resident_id)
    if not get_scope(user).covers_unit(resident.unit, Perm.RESIDENTS_MANAGE):
        raise PermissionDenied
    household_code = resident.household.code if resident.household else ""
    form = EditResidentForm(
        request.POST or None,
        places=_places(user),
        initial={
            "name": resident.name,
            "unit": resident.unit_id,
            "household": household_code,
            "relation": resident.relation,
            "gender": resident.gender,
            "birth_date": resident.birth_date,
            "occupation": resident.occupation,
            "address": resident.address,
            "tags": "，".join(resident.tags or []),
        },
    )
    if resident.id_number:  # derived from the number on file
        form.fields["gender"].disabled = True
        form.fields["birth_date"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = None
        if data["household"].strip():
            household = _households(user).filter(code=data["household"].strip()).first()
            if household is None:
                form.add_error("household", _("No household with this number in your area."))
        if not form.errors:
            try:
                # Facts and numbers change together or not at all.
                with transaction.atomic():
                    editing.update_resident(
                        resident,
                        by=user,
                        name=data["name"],
                        unit=data["unit"],
                        household=household,
                        relation=data["relation"],
                        address=data["address"],
                        occupation=data["occupation"],
                        gender=data["gender"],
                        birth_date=data["birth_date"],
                        tags=editing.parse_tags(data["tags"]),
                    )
                    new_id = data["new_id_number"].strip()
                    new_phone = data["new_phone"].strip()
                    if new_id or new_phone or data["remove_phone"]:
                        services.update_personal(
                            resident,
                            by=user,
                            id_number=new_id or resident.id_number,
                            phone="" if data["remove_phone"] else (new_phone or resident.phone),
                        )
            except ValidationError as exc:
                resident.refresh_from_db()
                renamed = {"id_number": "new_id_number", "phone": "new_phone"}
                _apply_errors(
                    form,
                    ValidationError({renamed.get(k, k): v for k, v in exc.message_dict.items()}),
                )
            else:
                messages.success(request, _("The resident's facts were updated."))
                return redirect("residents:detail", resident.pk)
    return render(
        request,
        "residents/edit.html",
        {
            "resident": resident,
            "form": form,
            "relations": editing.RELATIONS,
            "masked_id": mask_id_number(resident.id_number) if resident.id_number else "",
            "masked_phone": mask_phone(resident.phone) if resident.phone else "",
        },
    )
