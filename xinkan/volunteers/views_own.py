"""A volunteer's own pages (their pairings, their hours) and the hours certificate.

Per the 2021 record rules, whoever records certifies: a certificate lists only the hours recorded
by the issuing unit. Staff issue one for the records their units organised; a volunteer downloads
one per organising unit of their own records.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from xinkan.accounts.http import request_user
from xinkan.audit import services as audit
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.volunteers import documents, selectors
from xinkan.volunteers.models import Pairing, ServiceRecord, Volunteer
from xinkan.volunteers.views_pairings import pdf_response


def _certificate(
    request: HttpRequest, volunteer: Volunteer, issuer: Unit, organisers: list[int]
) -> HttpResponse:
    today = timezone.localdate()
    records = list(
        ServiceRecord.objects.filter(
            volunteer=volunteer, superseded=False, organiser_id__in=organisers
        ).select_related("organiser")
    )
    if not records:
        raise Http404
    all_hours = ServiceRecord.objects.filter(volunteer=volunteer, superseded=False).aggregate(
        total=Sum("hours", output_field=DecimalField(max_digits=8, decimal_places=1))
    )["total"] or Decimal("0")
    facts = documents.CertificateFacts(
        number=f"ZM-{today:%Y%m%d}-{volunteer.pk:06d}",
        issuer=issuer.name,
        volunteer=volunteer.name,
        joined_on=volunteer.joined_on,
        issued_on=today,
        lines=[
            documents.CertificateLine(r.served_on, r.activity, r.hours, r.organiser.name)
            for r in records
        ],
        stars=selectors.stars(all_hours),
    )
    response = pdf_response(
        request,
        lambda: documents.render_hours_certificate(facts),
        f"hours-certificate-{volunteer.pk}.pdf",
    )
    if response.status_code == 200:
        audit.record(
            actor=request_user(request),
            action="volunteers.certificate_issued",
            obj=volunteer,
            unit=issuer,
            data={"records": len(records), "hours": str(facts.total)},
        )
    return response


@login_required
def certificate(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    """Staff issue the certificate of the hours their units recorded."""
    user = request_user(request)
    scope = get_scope(user)
    volunteer = selectors.get_volunteer_for_user(user, volunteer_id)
    managed = list(scope.units(Perm.VOLUNTEERS_MANAGE).order_by("depth", "path"))
    if not managed:
        raise PermissionDenied
    return _certificate(request, volunteer, managed[0], [unit.pk for unit in managed])


def _own(request: HttpRequest) -> Volunteer:
    volunteer = selectors.own_volunteer(request_user(request))
    if volunteer is None:
        raise Http404
    return volunteer


@login_required
def my_page(request: HttpRequest) -> HttpResponse:
    """What a volunteer sees of themselves: pairings to visit, hours, certificates."""
    volunteer = _own(request)
    total = selectors.with_totals(Volunteer.objects.filter(pk=volunteer.pk)).get().total_hours  # type: ignore[attr-defined]
    by_organiser = list(
        ServiceRecord.objects.filter(volunteer=volunteer, superseded=False)
        .values("organiser_id", "organiser__name")
        .annotate(
            hours=Sum("hours", output_field=DecimalField(max_digits=8, decimal_places=1)),
            n=Count("pk"),
        )
        .order_by("organiser__name")
    )
    return render(
        request,
        "volunteers/me.html",
        {
            "volunteer": volunteer,
            "total": total,
            "stars": selectors.stars(total),
            "thresholds": selectors.star_hours(),
            "pairings": list(
                selectors.own_pairings(request_user(request)).filter(status=Pairing.Status.ACTIVE)
            ),
            "records": list(volunteer.records.select_related("organiser")[:100]),
            "by_organiser": by_organiser,
            "today": timezone.localdate(),
        },
    )


@login_required
def my_certificate(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A volunteer's own certificate from one organising unit."""
    volunteer = _own(request)
    issuer = Unit.objects.filter(pk=unit_id).first()
    if issuer is None:
        raise Http404
    return _certificate(request, volunteer, issuer, [issuer.pk])
