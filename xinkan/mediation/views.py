"""The mediation pages: the worklist, registering a dispute, the dispute page with the whole ladder,
the actions on it, the agreement as a PDF, the station's calendar. Thin: parse, call a service or a
selector, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xinkan.accounts.http import request_user
from xinkan.accounts.models import User
from xinkan.audit import services as audit
from xinkan.core.paging import CappedPaginator
from xinkan.mediation import agreement_pdf, indicators, selectors, services
from xinkan.mediation import forms as dispute_forms
from xinkan.mediation.access import allowed_actions, assignable_people, pdf_document
from xinkan.mediation.models import Agreement, Dispute, Session, Step, StepRecord, Term
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

PAGE_SIZE = 25
TABS = [
    (selectors.Worklist.MINE, gettext_lazy("To mediate")),
    (selectors.Worklist.OVERDUE, gettext_lazy("Overdue")),
    (selectors.Worklist.OPEN, gettext_lazy("All open")),
    (selectors.Worklist.ENDED, gettext_lazy("Ended")),
]


def _require_work(user: User) -> None:
    if not get_scope(user).has_perm(Perm.MEDIATION_WORK):
        raise PermissionDenied


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_work(user)
    tabs = [(key, str(label)) for key, label in TABS]
    current = request.GET.get("list") or selectors.Worklist.MINE
    if current not in {key for key, _label in tabs}:
        current = selectors.Worklist.MINE
    disputes = selectors.worklist(user, current)
    form = dispute_forms.FilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        disputes = selectors.search(disputes, data["q"])
        if data["dispute_type"]:
            disputes = disputes.filter(dispute_type=data["dispute_type"])
        if data["step"]:
            disputes = disputes.filter(step=data["step"])
    disputes = disputes.select_related("unit", "responsible_unit").order_by("-registered_at", "-id")
    page = CappedPaginator(disputes, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    deadlines = selectors.current_deadlines(rows)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "mediation/list.html",
        {
            "tabs": tabs,
            "current": current,
            "form": form,
            "page": page,
            "rows": [(d, deadlines.get(d.pk)) for d in rows],
            "query": params.urlencode(),
            "now": timezone.now(),
            "can_register": get_scope(user).has_perm(Perm.MEDIATION_REGISTER),
            "can_see_figures": get_scope(user).has_perm(Perm.MEDIATION_VIEW),
            "can_keep_clients": bool(_roster_lawyers(user)),
        },
    )


def _parties(data: dict[str, Any]) -> list[services.NewParty]:
    return [
        services.NewParty(
            name=data[f"p{n}_name"],
            phone=data[f"p{n}_phone"],
            id_number=data[f"p{n}_id_number"],
            representative=data[f"p{n}_representative"],
            statement=data[f"p{n}_statement"],
        )
        for n in range(1, dispute_forms.PARTY_SLOTS + 1)
        if data.get(f"p{n}_name", "").strip()
    ]


@login_required
def dispute_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.MEDIATION_REGISTER):
        raise PermissionDenied
    initial = _from_matter(user, request.GET.get("matter", "")) if request.method == "GET" else {}
    form = dispute_forms.RegisterForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        matter = _visible_matter(user, data.get("source_matter"))
        try:
            dispute = services.register_dispute(
                services.NewDispute(
                    dispute_type=data["dispute_type"],
                    source=data["source"],
                    title=data["title"],
                    unit=data["unit"],
                    address=data["address"],
                    urgency=data["urgency"],
                    parties=_parties(data),
                    source_matter=matter,
                    start_step=data.get("start_step") or 1,
                    start_reason=data.get("start_reason", ""),
                    idempotency_key=f"staff:{user.pk}:{data['idempotency_key']}",
                ),
                by=user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                field = {"source_matter": "source"}.get(field, field)
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            messages.success(
                request,
                _("Registered as %(code)s: %(step)s.")
                % {"code": dispute.code, "step": dispute.get_step_display()},
            )
            if dispute.urgency == "violence":
                messages.warning(
                    request,
                    _(
                        "Risk of violence: the level above was told. Call the police (110) if anyone is in danger."
                    ),
                )
            return redirect("mediation:detail", dispute.pk)
    return render(request, "mediation/new.html", {"form": form})


def _visible_matter(user: User, matter_id: int | None) -> Any:
    """The matter a dispute comes from, if the user may see it (else none: never a way to
    attach a dispute to someone else's matter)."""
    if not matter_id:
        return None
    from xinkan.matters.selectors import matters_for

    return matters_for(user).filter(pk=matter_id).select_related("unit").first()


def _from_matter(user: User, value: str) -> dict[str, Any]:
    """The registration form filled in from a matter (the matter page's "mediate it" link)."""
    matter = _visible_matter(user, int(value)) if value.isascii() and value.isdigit() else None
    if matter is None:
        return {}
    return {
        "source_matter": matter.pk,
        "source": "matter",
        "title": matter.title[:120],
        "unit": matter.unit_id,
        "address": matter.address,
        "p1_name": "" if matter.anonymous else matter.contact_name,
        "p1_phone": "" if matter.anonymous else matter.contact_phone,
        "p1_statement": matter.description[:2000],
    }


@login_required
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    user = request_user(request)
    _require_work(user)
    dispute = selectors.get_dispute_for_user(user, dispute_id)
    steps = list(
        dispute.steps.select_related("unit", "deadline").prefetch_related("mediators__user")
    )
    sessions = list(dispute.sessions.select_related("recorded_by"))
    agreement = Agreement.objects.filter(dispute=dispute).prefetch_related("terms").first()
    allowed = allowed_actions(user, dispute, steps, agreement)
    version = {"version": dispute.version}
    context = {
        "dispute": dispute,
        "ladder": _ladder(steps),
        "parties": list(dispute.parties.all()),
        "steps": [
            (record, [s for s in sessions if s.step_record_id == record.pk]) for record in steps
        ],
        "events": list(dispute.events.select_related("actor")),
        "agreement": agreement,
        "terms": list(agreement.terms.all()) if agreement else [],
        "allowed": allowed,
        "planned": [s for s in sessions if not s.held],
        "forms": {
            "session": dispute_forms.SessionForm(initial=version),
            "complete": dispute_forms.CompleteSessionForm(),
            "escalate": dispute_forms.ReasonForm(initial=version, prefix="escalate"),
            "withdraw": dispute_forms.ReasonForm(initial=version, prefix="withdraw"),
            "refer": dispute_forms.ReferForm(initial=version),
            "settle": dispute_forms.SettleForm(initial=version),
            "assign": dispute_forms.AssignForm(
                initial=version, people=assignable_people(dispute) if allowed.assign else []
            ),
            "performance": dispute_forms.PerformanceForm(),
            "confirmation": dispute_forms.ConfirmationForm(),
        },
    }
    return render(request, "mediation/detail.html", context)


def _ladder(steps: list[StepRecord]) -> list[tuple[int, str, str]]:
    """Each of the four steps with where the dispute stands on it: settled, passed (not settled),
    current, skipped (started above it), or still ahead."""
    outcomes = {record.step: record.outcome for record in steps}
    first = min(outcomes, default=Step.TEN_HOUSEHOLD)
    ladder = []
    for value, label in Step.choices:
        outcome = outcomes.get(value)
        if outcome == StepRecord.Outcome.ONGOING:
            state = "current"
        elif outcome == StepRecord.Outcome.SETTLED:
            state = "settled"
        elif outcome is not None:
            state = "passed"
        else:
            state = "skipped" if value < first else "ahead"
        ladder.append((value, str(label), state))
    return ladder


def _target(model: Any, request: HttpRequest, **lookup: Any) -> Any:
    target = request.POST.get("target", "")
    if not target.isascii() or not target.isdigit():
        raise Http404
    return get_object_or_404(model, pk=int(target), **lookup)


def _terms(data: dict[str, Any]) -> list[services.NewTerm]:
    return [
        services.NewTerm(text=data[f"t{n}_text"], how=data[f"t{n}_how"], due=data[f"t{n}_due"])
        for n in range(1, dispute_forms.TERM_SLOTS + 1)
        if data.get(f"t{n}_text", "").strip()
    ]


Run = Callable[[Dispute, dict[str, Any], User, HttpRequest], Any]

ACTIONS: dict[str, tuple[Callable[[HttpRequest, Dispute], forms.Form], Run, Any]] = {
    "session": (
        lambda r, d: dispute_forms.SessionForm(r.POST),
        lambda d, f, u, r: services.record_session(
            d,
            by=u,
            at=f["at"],
            place=f["place"],
            attendees=f["attendees"],
            statements=f["statements"],
            proposals=f["proposals"],
            version=f["version"],
        ),
        gettext_lazy("The session was recorded."),
    ),
    "complete": (
        lambda r, d: dispute_forms.CompleteSessionForm(r.POST),
        lambda d, f, u, r: services.complete_session(
            _target(Session, r, dispute=d),
            by=u,
            statements=f["statements"],
            proposals=f["proposals"],
        ),
        gettext_lazy("The session was recorded."),
    ),
    "escalate": (
        lambda r, d: dispute_forms.ReasonForm(r.POST, prefix="escalate"),
        lambda d, f, u, r: services.escalate(d, by=u, reason=f["reason"], version=f["version"]),
        gettext_lazy("Not settled here: the dispute went up to the next step."),
    ),
    "withdraw": (
        lambda r, d: dispute_forms.ReasonForm(r.POST, prefix="withdraw"),
        lambda d, f, u, r: services.withdraw(d, by=u, reason=f["reason"], version=f["version"]),
        gettext_lazy("The mediation was ended: withdrawn."),
    ),
    "refer": (
        lambda r, d: dispute_forms.ReferForm(r.POST),
        lambda d, f, u, r: services.refer(
            d, by=u, to=f["to"], note=f["note"], version=f["version"]
        ),
        gettext_lazy("The mediation was ended and the referral recorded."),
    ),
    "settle": (
        lambda r, d: dispute_forms.SettleForm(r.POST),
        lambda d, f, u, r: services.settle(
            d,
            by=u,
            version=f["version"],
            settlement=services.Settlement(
                kind=f["kind"],
                facts=f["facts"],
                points_at_issue=f["points_at_issue"],
                responsibilities=f["responsibilities"],
                performance=f["performance"],
                signed_on=f["signed_on"],
                terms=_terms(f),
            ),
        ),
        gettext_lazy("Settled. The agreement is on the page."),
    ),
    "assign": (
        lambda r, d: dispute_forms.AssignForm(r.POST, people=assignable_people(d)),
        lambda d, f, u, r: services.assign_mediator(
            d, by=u, user=get_object_or_404(User, pk=f["user"]), version=f["version"]
        ),
        gettext_lazy("The mediator was assigned."),
    ),
    "performance": (
        lambda r, d: dispute_forms.PerformanceForm(r.POST),
        lambda d, f, u, r: services.record_performance(
            _target(Term, r, agreement__dispute=d), by=u, performed=f["performed"], note=f["note"]
        ),
        gettext_lazy("Recorded."),
    ),
    "confirmation": (
        lambda r, d: dispute_forms.ConfirmationForm(r.POST),
        lambda d, f, u, r: services.record_confirmation(
            get_object_or_404(Agreement, dispute=d), by=u, applied=f["applied"], note=f["note"]
        ),
        gettext_lazy("Recorded."),
    ),
}


@login_required
@require_POST
def dispute_action(request: HttpRequest, dispute_id: int, action: str) -> HttpResponse:
    user = request_user(request)
    if action not in ACTIONS:
        raise Http404
    dispute = selectors.get_dispute_for_user(user, dispute_id, audit_view=False)
    make_form, run, done = ACTIONS[action]
    form = make_form(request, dispute)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("mediation:detail", dispute.pk)
    try:
        run(dispute, form.cleaned_data, user, request)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    except services.MediationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    return redirect("mediation:detail", dispute.pk)


@login_required
def agreement_download(request: HttpRequest, dispute_id: int) -> HttpResponse:
    """The agreement as a PDF, built from the record each time (never a stale copy); audited."""
    user = request_user(request)
    dispute = selectors.get_dispute_for_user(user, dispute_id, audit_view=False)
    agreement = Agreement.objects.filter(dispute=dispute, kind=Agreement.Kind.WRITTEN).first()
    if agreement is None:
        raise Http404
    try:
        content = agreement_pdf.render_agreement_pdf(pdf_document(dispute, agreement))
    except agreement_pdf.FontUnavailable as exc:
        return render(request, "web/error.html", {"message": str(exc)}, status=503)
    audit.record(
        actor=user, action="mediation.agreement_downloaded", obj=dispute, unit=dispute.unit
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="agreement-{dispute.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def station_calendar(request: HttpRequest) -> HttpResponse:
    """The station's sessions (step ④) for four weeks, by day."""
    user = request_user(request)
    _require_work(user)
    try:
        start = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = timezone.localdate()
    start -= dt.timedelta(days=start.weekday())
    sessions = list(selectors.station_sessions(user, start=start))
    days: dict[dt.date, list[Session]] = {}
    for session in sessions:
        days.setdefault(timezone.localtime(session.at).date(), []).append(session)
    return render(
        request,
        "mediation/calendar.html",
        {
            "start": start,
            "days": sorted(days.items()),
            "previous": start - dt.timedelta(days=28),
            "next": start + dt.timedelta(days=28),
        },
    )


@login_required
def figures_view(request: HttpRequest) -> HttpResponse:
    """Mediation indicators for the units below the user's own, over a period (this year by
    default): one row per unit, the total, and the mediators."""
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.MEDIATION_VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    form = dispute_forms.PeriodForm(request.GET or None)
    start, end = today.replace(month=1, day=1), today
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["date_from"] or start
        end = form.cleaned_data["date_to"] or end
    roots = scope.root_units(Perm.MEDIATION_VIEW)
    children = list(Unit.objects.filter(parent__in=roots, is_active=True).order_by("path"))
    same_depth = children and len({len(u.path) for u in children}) == 1
    rows_units = children if same_depth else roots
    figures = indicators.by_unit(rows_units, start, end) if rows_units else {}
    return render(
        request,
        "mediation/figures.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "rows": [(unit, figures[unit.pk]) for unit in rows_units],
            "total": indicators.total(roots, start, end),
            "mediators": indicators.by_mediator(roots, start, end)[:50],
            "steps": Step.choices,
        },
    )


def _roster_lawyers(user: User) -> list[tuple[int, str]]:
    """Whose earlier clients the user keeps: their own (a lawyer), and those of the lawyers on
    the rosters of the units where the user manages mediation."""
    from xinkan.org.models import Membership
    from xinkan.org.roles import Role

    scope = get_scope(user)
    lawyers: dict[int, str] = {}
    if scope.has_role(Role.LAWYER):
        lawyers[user.pk] = str(user)
    if scope.has_perm(Perm.MEDIATION_MANAGE):
        for membership in Membership.objects.filter(
            scope.unit_q(Perm.MEDIATION_MANAGE, "unit"), role=Role.LAWYER, is_active=True
        ).select_related("user"):
            lawyers.setdefault(membership.user_id, str(membership.user))
    return sorted(lawyers.items(), key=lambda item: item[1])


@login_required
def clients_view(request: HttpRequest) -> HttpResponse:
    """Lawyers' earlier clients: a lawyer is never assigned to mediate a client's dispute. Only
    names are shown; ID numbers and phones are kept as one-way hashes for the conflict check."""
    from xinkan.mediation.models import Representation

    user = request_user(request)
    lawyers = _roster_lawyers(user)
    if not lawyers:
        raise PermissionDenied
    form = dispute_forms.RepresentationForm(
        request.POST or None, lawyers=lawyers, initial={"lawyer": lawyers[0][0]}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_representation(
                lawyer=get_object_or_404(User, pk=data["lawyer"]),
                by=user,
                client_name=data["client_name"],
                id_number=data["id_number"],
                phone=data["phone"],
                note=data["note"],
                since=data["since"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request, _("Recorded: this lawyer will not mediate that client's disputes.")
            )
            return redirect("mediation:clients")
    rows = (
        Representation.objects.filter(lawyer_id__in=[pk for pk, _name in lawyers])
        .select_related("lawyer")
        .order_by("lawyer_id", "client_name")
    )
    return render(request, "mediation/clients.html", {"form": form, "rows": list(rows)})
