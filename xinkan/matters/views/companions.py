"""A cadre's page of the people they accompany (带办陪访) and where each matter stands."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xinkan.accounts.models import User
from xinkan.matters.models import Companion
from xinkan.matters.selectors import next_deadlines


@login_required
def accompanied_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    companions = list(
        Companion.objects.filter(cadre=user)
        .select_related("matter__category", "matter__handling_unit", "matter__unit")
        .annotate(n_visits=Count("visits"), last_visit=Max("visits__at"))
        .order_by("-active", "-since")
    )
    deadlines = next_deadlines([c.matter for c in companions])
    rows = [(c, deadlines.get(c.matter_id)) for c in companions]
    return render(request, "matters/accompanied.html", {"rows": rows})
