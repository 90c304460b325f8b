"""Pages of the import (upload, progress and report, template) and the export of the list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xinkan.accounts.http import request_user
from xinkan.accounts.models import User
from xinkan.core import tables
from xinkan.core.paging import capped_count
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents import exports
from xinkan.residents.imports import columns, report, service
from xinkan.residents.listing import resident_listing
from xinkan.residents.models import ImportJob, Resident

FAILURES_ON_PAGE = 200
RECENT_JOBS = 10


def _manager(request: HttpRequest) -> User:
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.RESIDENTS_MANAGE):
        raise PermissionDenied
    return user


class ImportForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Import into"), coerce=int, choices=[])
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload a .xlsx or .csv file."))
        if upload.size > service.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(mb)d MB. Split it, or ask the administrator to "
                    "import it from the command line."
                )
                % {"mb": service.MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """The upload form and one's recent imports."""
    user = _manager(request)
    units = get_scope(user).root_units(Perm.RESIDENTS_MANAGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields["unit"].choices = [(u.pk, f"{u.name} ({u.code})") for u in units]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
        upload = form.cleaned_data["file"]
        job = service.start_import(by=user, unit=unit, file_name=upload.name, content=upload.read())
        return redirect("residents:import_job", job.pk)
    jobs = (
        ImportJob.objects.filter(created_by=user)
        .defer("content", "report")
        .select_related("unit")[:RECENT_JOBS]
    )
    return render(
        request,
        "residents/import.html",
        {"form": form, "jobs": jobs, "columns": columns.COLUMNS},
    )


def _job_for(user: User, job_id: int) -> ImportJob:
    """One's own job, or 404 — also for another user's job."""
    return get_object_or_404(
        ImportJob.objects.defer("content").select_related("unit"), pk=job_id, created_by=user
    )


@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Progress while the job runs (the page polls itself with htmx), then the report."""
    user = _manager(request)
    job = _job_for(user, job_id)
    failures = report.failures(job)
    context = {
        "job": job,
        "failures": failures[:FAILURES_ON_PAGE],
        "more_failures": max(
            0, job.failed_count - len({f.row for f in failures[:FAILURES_ON_PAGE]})
        ),
    }
    if request.headers.get("HX-Request"):
        return render(request, "residents/_import_progress.html", context)
    return render(request, "residents/import_job.html", context)


@login_required
def import_report(request: HttpRequest, job_id: int) -> HttpResponse:
    """The failed rows and why, as CSV (masked values only)."""
    user = _manager(request)
    job = _job_for(user, job_id)
    response = HttpResponse(report.report_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    roots = get_scope(user).root_units(Perm.RESIDENTS_MANAGE)
    content = columns.template_workbook(roots[0].code if roots else "")
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="residents-template.xlsx"'
    return response


# --- Export --------------------------------------------------------------------------------------


def _filtered(
    user: User, data: QueryDict
) -> tuple[QuerySet[Resident], dict[str, Any], Unit | None]:
    """The residents the list page shows for these filters, the filters as the audit keeps them
    (no name text), and the unit filtered by."""
    listing = resident_listing(user, data)
    return listing.residents, listing.filters, listing.unit


def _filter_params(data: QueryDict) -> QueryDict:
    params = QueryDict(mutable=True)
    for key in ("q", "unit", "colour", "tag"):
        if value := data.get(key):
            params[key] = str(value)
    return params


@login_required
def export_view(request: HttpRequest) -> HttpResponseBase:
    """GET: the export's options and how many residents it holds; POST: the file."""
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    if request.method == "POST":
        return _export(request, user)
    residents, _filters, _unit = _filtered(user, request.GET)
    count, capped = capped_count(residents, exports.EXPORT_CAP)
    return render(
        request,
        "residents/export.html",
        {
            "params": _filter_params(request.GET),
            "count": count,
            "capped": capped,
            "cap": exports.EXPORT_CAP,
            "can_full": scope.has_perm(Perm.RESIDENTS_VIEW_PERSONAL),
            "list_query": _filter_params(request.GET).urlencode(),
        },
    )


def _export(request: HttpRequest, user: User) -> HttpResponseBase:
    fmt = request.POST.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        fmt = "xlsx"
    full = request.POST.get("full") == "1"
    if full and not get_scope(user).has_perm(Perm.RESIDENTS_VIEW_PERSONAL):
        raise PermissionDenied
    residents, filters, unit = _filtered(user, request.POST)
    try:
        rows = exports.start_export(user, residents, fmt=fmt, full=full, filters=filters, unit=unit)
    except exports.ExportTooLarge as exc:
        messages.error(request, str(exc))
        query = _filter_params(request.POST).urlencode()
        return redirect(reverse("residents:export") + (f"?{query}" if query else ""))
    return tables.download(exports.headers(), rows, fmt=fmt, name="residents", sheet="居民")
