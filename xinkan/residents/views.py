from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from xinkan.accounts.models import User
from xinkan.core.paging import CappedPaginator
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.selectors import get_resident_for_user, residents_for

PAGE_SIZE = 50


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=60)
    unit = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not get_scope(user).has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    form = ResidentSearchForm(request.GET or None)
    query, unit_id = "", None
    if form.is_valid():
        query, unit_id = form.cleaned_data["q"], form.cleaned_data["unit"]
    residents = residents_for(user, query=query, unit_id=unit_id)
    if form.is_bound and not form.is_valid():
        # A search that cannot be understood lists nobody (not everybody); the form says why.
        residents = residents.none()
    page = CappedPaginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request, "residents/list.html", {"form": form, "page": page, "query": params.urlencode()}
    )


@login_required
def resident_detail(request: HttpRequest, resident_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    resident = get_resident_for_user(user, resident_id)
    members = []
    if resident.household_id:
        members = list(
            residents_for(user).filter(household_id=resident.household_id).exclude(pk=resident.pk)
        )
    return render(request, "residents/detail.html", {"resident": resident, "members": members})
