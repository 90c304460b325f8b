from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xinkan.accounts.models import User
from xinkan.audit.forms import AuditFilterForm
from xinkan.audit.selectors import AuditFilter, entries_for, filter_entries, page_of
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

PAGE_SIZE = 50


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not (get_scope(user).has_perm(Perm.AUDIT_VIEW) or user.is_superuser):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    entries = entries_for(user)
    before = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        entries = filter_entries(
            entries,
            AuditFilter(
                action=data["action"].strip(),
                actor=data["actor"].strip(),
                outcome=data["outcome"],
                date_from=data["date_from"],
                date_to=data["date_to"],
            ),
        )
        before = data["before"]
    elif form.is_bound:
        entries = entries.none()
    rows, next_before = page_of(entries, before=before, size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/list.html",
        {"form": form, "entries": rows, "next_before": next_before, "query": query.urlencode()},
    )
