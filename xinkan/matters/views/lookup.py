"""Type-ahead for the intake form (htmx): residents of the user's area by name."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xinkan.accounts.models import User
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.selectors import residents_for


@login_required
def resident_lookup(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    query = request.GET.get("contact_name", "").strip()[:30]
    residents = []
    if query and get_scope(user).has_perm(Perm.RESIDENTS_VIEW):
        residents = list(residents_for(user, query=query)[:8])
    return render(
        request, "matters/_resident_options.html", {"residents": residents, "query": query}
    )
