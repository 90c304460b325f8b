"""The worklist page: the user's work in tabs, with filters, search, sorting, paging, bulk dispatch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinkan.accounts.http import request_user
from xinkan.core.http import safe_redirect
from xinkan.core.paging import CappedPaginator
from xinkan.matters import selectors, services
from xinkan.matters.forms import MatterFilterForm
from xinkan.matters.selectors import Worklist
from xinkan.org.models import Department
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope, get_scope

PAGE_SIZE = 25

TABS = [
    (Worklist.TO_ACCEPT, gettext_lazy("To accept"), Perm.MATTERS_ACCEPT),
    (Worklist.TO_DISPATCH, gettext_lazy("To dispatch"), Perm.MATTERS_ACCEPT),
    (Worklist.TO_HANDLE, gettext_lazy("To handle"), Perm.MATTERS_HANDLE),
    (Worklist.FOLLOW_UP, gettext_lazy("To follow up"), Perm.MATTERS_FOLLOW_UP),
    (Worklist.REVIEW, gettext_lazy("Reviews"), Perm.MATTERS_REVIEW),
    (Worklist.DUE_SOON, gettext_lazy("Due soon"), Perm.MATTERS_VIEW),
    (Worklist.OVERDUE, gettext_lazy("Overdue"), Perm.MATTERS_VIEW),
    (Worklist.SUPERVISED, gettext_lazy("Supervised"), Perm.MATTERS_SUPERVISE),
    (Worklist.ALL_OPEN, gettext_lazy("All open"), Perm.MATTERS_VIEW),
    (Worklist.ALL, gettext_lazy("All"), Perm.MATTERS_VIEW),
]


@login_required
def worklist_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.MATTERS_VIEW):
        raise PermissionDenied
    tabs = [(key, label) for key, label, perm in TABS if scope.has_perm(perm)]
    current = request.GET.get("list") or tabs[0][0]
    if current not in {key for key, _label in tabs}:
        current = tabs[0][0]
    form = MatterFilterForm(request.GET or None, language=get_language())
    matters = selectors.worklist(user, current)
    sort = "new"
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        matters = selectors.apply_filter(
            matters,
            selectors.MatterFilter(
                query=data["q"],
                state=data["state"],
                category_id=data["category"],
                unit_id=data["unit"],
                channel=data["channel"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                overdue=data["overdue"],
            ),
        )
        sort = data["sort"] or "new"
    elif form.is_bound:
        matters = matters.none()
    matters = selectors.with_list_relations(matters).order_by(*selectors.SORTS[sort])
    page = CappedPaginator(matters, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    deadlines = selectors.next_deadlines(rows)
    params = request.GET.copy()
    params.pop("page", None)
    departments = (
        _dispatch_departments(scope)
        if current in {Worklist.TO_ACCEPT, Worklist.TO_DISPATCH}
        else Department.objects.none()
    )
    return render(
        request,
        "matters/worklist.html",
        {
            "tabs": tabs,
            "current": current,
            "form": form,
            "page": page,
            "rows": [(matter, deadlines.get(matter.pk)) for matter in rows],
            "query": params.urlencode(),
            "departments": list(departments.select_related("unit")),
            "can_register": scope.has_perm(Perm.MATTERS_REGISTER),
        },
    )


def _dispatch_departments(scope: Scope) -> QuerySet[Department]:
    """Departments that may take matters of the units the user dispatches for: those of the units
    in scope and of the units above them (a community's matters go to the district's bureaus)."""
    roots = scope.unit_paths(Perm.MATTERS_ACCEPT)
    above = {int(part) for path in roots for part in path.strip("/").split("/") if part}
    return Department.objects.filter(
        Q(unit_id__in=sorted(above)) | scope.unit_q(Perm.MATTERS_ACCEPT, "unit"), is_active=True
    ).order_by("unit__depth", "code")


@login_required
@require_POST
def bulk_dispatch_view(request: HttpRequest) -> HttpResponse:
    """Dispatch several matters to one lead department; each is its own transaction."""
    user = request_user(request)
    ids = [int(value) for value in request.POST.getlist("matter") if value.isdigit()][:100]
    department = Department.objects.filter(pk=request.POST.get("lead") or 0, is_active=True).first()
    back = request.POST.get("next")
    if not ids or department is None:
        messages.error(request, _("Choose the matters and the lead department."))
        return safe_redirect(request, back, "matters:worklist")
    done, refused = 0, []
    found = list(
        selectors.matters_for(user).filter(pk__in=ids).select_related("handling_unit", "category")
    )
    for matter in found:
        try:
            services.dispatch_matter(matter, lead=department, by=user)
            done += 1
        except (services.MatterError, PermissionDenied) as exc:
            refused.append(f"{matter.code}: {exc}")
    if done:
        messages.success(
            request,
            _("%(n)d matters dispatched to %(department)s.")
            % {"n": done, "department": department.name},
        )
    for line in refused[:10]:
        messages.error(request, line)
    # Posted ids the user cannot see: say so, without telling "not yours" from "does not exist".
    unseen = len(set(ids)) - len(found)
    if unseen:
        messages.error(
            request,
            _(
                "%(n)d of the chosen matters are not in your area or no longer exist; they were not dispatched."
            )
            % {"n": unseen},
        )
    return safe_redirect(request, back, "matters:worklist")
