"""The monthly reports' pages: a unit's reports with a form to ask for one (the row follows its
generation with htmx), the units below for one month, and the download (scope-checked, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from xinkan.metrics import reports as service
from xinkan.metrics import selectors
from xinkan.metrics.models import MonthlyReport
from xinkan.metrics.periods import add_months
from xinkan.metrics.views import _require
from xinkan.org.models import Unit

SHOWN_MONTHS = 24


class RequestForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    regenerate = forms.BooleanField(
        label=gettext_lazy("Generate again if it exists"), required=False
    )

    def clean_month(self) -> dt.date:
        month: dt.date = self.cleaned_data["month"].replace(day=1)
        if month > service.last_complete_month() or month < service.EARLIEST:
            raise forms.ValidationError(_("Choose a month that has ended."))
        return month


def _reports_url(unit: Unit, **params: str) -> str:
    return f"{reverse('metrics:reports')}?{urlencode({'unit': unit.pk, **params})}"


def _month_param(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{value}-01") if value else default
    except ValueError:
        return default


@login_required
def reports(request: HttpRequest) -> HttpResponseBase:
    """GET: the unit's monthly reports and those of the units below for a month; POST: ask for
    one (idempotent: the same report again unless `regenerate`)."""
    user = _require(request)
    data = request.POST if request.method == "POST" else request.GET
    target = selectors.get_target(user, unit_id=data.get("unit"))
    if not isinstance(target, Unit):
        raise Http404
    last = service.last_complete_month()
    form = RequestForm(request.POST or None, initial={"month": last})
    if request.method == "POST" and form.is_valid():
        try:
            report = service.request_report(
                target,
                form.cleaned_data["month"],
                by=user,
                regenerate=form.cleaned_data["regenerate"],
            )
        except service.ReportError as exc:
            messages.error(request, exc.message)
        else:
            if report.status == MonthlyReport.Status.DONE:
                messages.info(request, _("The report of this month is ready."))
            else:
                messages.success(request, _("The report is being generated."))
        return redirect(_reports_url(target))

    month = _month_param(request.GET.get("on"), last)
    own = list(
        MonthlyReport.objects.filter(unit=target).defer("figures").order_by("-month")[:SHOWN_MONTHS]
    )
    children = selectors.children_of(target)
    of_children = {
        report.unit_id: report
        for report in MonthlyReport.objects.filter(unit__in=children, month=month).defer("figures")
    }
    return render(
        request,
        "metrics/reports.html",
        {
            "target": target,
            "form": form,
            "reports": own,
            "month": month,
            "children": [(child, of_children.get(child.pk)) for child in children],
            "previous_month_url": _reports_url(target, on=f"{add_months(month, -1):%Y-%m}"),
            "next_month_url": (
                _reports_url(target, on=f"{add_months(month, 1):%Y-%m}") if month < last else ""
            ),
            "dashboard_url": f"{reverse('metrics:dashboard')}?unit={target.pk}",
        },
    )


@login_required
@require_GET
def report_status(request: HttpRequest, report_id: int) -> HttpResponse:
    """One report's row (polled by htmx while it is being generated)."""
    user = _require(request)
    report = service.get_report_for_user(user, report_id)
    if not request.headers.get("HX-Request"):
        return redirect(_reports_url(report.unit))
    return render(request, "metrics/_report_row.html", {"report": report, "unit": report.unit})


@login_required
@require_GET
def download(request: HttpRequest, report_id: int) -> FileResponse:
    user = _require(request)
    report = service.get_report_for_user(user, report_id)
    if report.status != MonthlyReport.Status.DONE or not report.file:
        raise Http404
    try:
        stream: Any = report.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    service.record_download(user, report)
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=service.download_name(report),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
