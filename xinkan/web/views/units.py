"""Browsing the unit tree within one's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xinkan.accounts.models import User
from xinkan.org.models import Department
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.org.selectors import ancestors_of, get_unit_for_user


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    scope = get_scope(user)
    if not scope.has_perm(Perm.ORG_VIEW):
        raise PermissionDenied
    roots = scope.root_units(Perm.ORG_VIEW)
    return render(request, "web/units/list.html", {"roots": roots})


@login_required
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    unit = get_unit_for_user(user, unit_id, Perm.ORG_VIEW)
    scope = get_scope(user)
    children = list(
        unit.children.annotate(
            n_children=Count("children", distinct=True),
            n_residents=Count("residents", distinct=True),
        ).order_by("code")
    )
    ancestors = [
        ancestor for ancestor in ancestors_of(unit) if scope.covers_unit(ancestor, Perm.ORG_VIEW)
    ]
    departments = list(
        Department.objects.filter(unit=unit)
        .annotate(staff=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("code")
    )
    staff = list(
        unit.memberships.filter(is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )
    context = {
        "unit": unit,
        "children": children,
        "ancestors": ancestors,
        "departments": departments,
        "staff": staff,
        "can_see_residents": scope.covers_unit(unit, Perm.RESIDENTS_VIEW),
    }
    return render(request, "web/units/detail.html", context)
