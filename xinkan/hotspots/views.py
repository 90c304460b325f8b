"""The hot spot pages (the ranked list, one hot spot with its matters and the actions) and the
campaign pages (list, one campaign with its progress). Thin: parse, call a selector or a service,
render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinkan.accounts.http import request_user
from xinkan.accounts.models import User
from xinkan.core.paging import CappedPaginator
from xinkan.hotspots import forms as hotspot_forms
from xinkan.hotspots import selectors, services
from xinkan.hotspots.models import Campaign, HotSpot
from xinkan.matters.selectors import matters_for
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

PAGE_SIZE = 25


def _require(request: HttpRequest) -> User:
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.METRICS_VIEW):
        raise PermissionDenied
    return user


def _errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


# --- Hot spots ------------------------------------------------------------------------------------


@login_required
def hotspot_list(request: HttpRequest) -> HttpResponse:
    user = _require(request)
    within = selectors.area_for(user, request.GET.get("unit"))
    paginator = CappedPaginator(selectors.hotspots_for(user, within=within), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = selectors.rows_for(user, list(page.object_list))
    return render(
        request,
        "hotspots/list.html",
        {
            "run": selectors.last_run(),
            "within": within,
            "page": page,
            "rows": [(page.start_index() + i, row) for i, row in enumerate(rows)],
            "unit_query": f"unit={within.pk}&" if within else "",
        },
    )


PANEL_SIZE = 3


@login_required
def hotspot_panel(request: HttpRequest) -> HttpResponse:
    """The dashboard's panel (loaded after the page): the top hot spots below its unit."""
    user = _require(request)
    target = selectors.area_for(user, request.GET.get("unit"))
    if target is None:
        raise Http404
    return render(
        request,
        "hotspots/_panel.html",
        {"target": target, "hotspots": selectors.hotspots_for(user, within=target)[:PANEL_SIZE]},
    )


def _campaign_units(user: User, hotspot: HotSpot) -> list[Unit]:
    """The hot spot's area and the units above it whose campaigns the user may run."""
    area = hotspot.unit
    units = Unit.objects.filter(pk__in=[*area.ancestor_ids(), area.pk], is_active=True)
    return [unit for unit in units if services.can_run_campaigns(user, unit)]


def _defaults(hotspot: HotSpot) -> dict[str, str]:
    keywords = "、".join(hotspot.keywords.split()) or hotspot.category.name
    return {
        "title": _("Act before complaints: %(category)s in %(unit)s")
        % {"category": hotspot.category.name, "unit": hotspot.unit.name},
        "description": _(
            "%(people)d residents of %(unit)s raised the same problem (%(keywords)s) between "
            "%(start)s and %(end)s. Found by the hot spot analysis; their reports are linked."
        )
        % {
            "people": hotspot.people,
            "unit": hotspot.unit.name,
            "keywords": keywords,
            "start": f"{hotspot.first_at:%Y-%m-%d}",
            "end": f"{hotspot.last_at:%Y-%m-%d}",
        },
    }


@login_required
def hotspot_detail(request: HttpRequest, hotspot_id: int) -> HttpResponse:
    user = _require(request)
    hotspot = selectors.get_hotspot_for_user(user, hotspot_id)
    row = selectors.rows_for(user, [hotspot])[0]
    matters = list(selectors.hotspot_matters(user, hotspot))
    units = _campaign_units(user, hotspot)
    defaults = _defaults(hotspot)
    return render(
        request,
        "hotspots/detail.html",
        {
            "hotspot": hotspot,
            "row": row,
            "matters": matters,
            "can_act": services.can_act(user, hotspot),
            "act_form": hotspot_forms.ActForm(initial=defaults),
            "campaign_form": hotspot_forms.CampaignForm(
                units=units,
                area=hotspot.unit,
                initial={
                    "title": _("Problem of the month: %(category)s in %(unit)s")
                    % {"category": hotspot.category.name, "unit": hotspot.unit.name},
                    "unit": hotspot.unit.pk,
                },
            )
            if units
            else None,
        },
    )


@login_required
@require_POST
def hotspot_act(request: HttpRequest, hotspot_id: int) -> HttpResponse:
    user = _require(request)
    hotspot = selectors.get_hotspot_for_user(user, hotspot_id)
    back = reverse("hotspots:detail", args=[hotspot.pk])
    form = hotspot_forms.ActForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect(back)
    try:
        acted = services.act_proactively(
            hotspot,
            by=user,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
        )
    except services.HotSpotError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    if acted.created:
        messages.success(
            request,
            _("Proactive matter %(code)s registered, with %(n)d reports linked.")
            % {"code": acted.matter.code, "n": acted.linked},
        )
    else:
        messages.info(
            request,
            _("This hot spot was taken up already: %(code)s.") % {"code": acted.matter.code},
        )
    return redirect("matters:detail", acted.matter.pk)


@login_required
@require_POST
def hotspot_campaign(request: HttpRequest, hotspot_id: int) -> HttpResponse:
    user = _require(request)
    hotspot = selectors.get_hotspot_for_user(user, hotspot_id)
    back = reverse("hotspots:detail", args=[hotspot.pk])
    units = _campaign_units(user, hotspot)
    if not units:
        services.refuse(user, hotspot, hotspot.unit, "campaign")
    form = hotspot_forms.CampaignForm(request.POST, units=units, area=hotspot.unit)
    if not form.is_valid():
        _errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    try:
        campaign, created = services.start_campaign(
            services.CampaignDetails(
                title=data["title"],
                unit=data["unit"],
                month=data["month"],
                target=data["target"],
                department=data["department"],
                category=hotspot.category,
            ),
            by=user,
            hotspot=hotspot,
        )
    except services.HotSpotError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if created:
        messages.success(request, _("Campaign started."))
    else:
        messages.info(request, _("This hot spot has a campaign for that month already."))
    return redirect("hotspots:campaign", campaign.pk)


# --- Campaigns -----------------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = _require(request)
    paginator = CappedPaginator(selectors.campaigns_for(user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "hotspots/campaigns.html",
        {
            "page": page,
            "rows": [(c, selectors.progress(c)) for c in page.object_list],
        },
    )


def _campaign_page(request: HttpRequest, user: User, campaign: Campaign, **forms: Any) -> Any:
    can_run = services.can_run_campaigns(user, campaign.unit)
    matters = list(selectors.campaign_matters(user, campaign))
    return render(
        request,
        "hotspots/campaign.html",
        {
            "campaign": campaign,
            "progress": selectors.progress(campaign),
            "matters": matters,
            "hidden": campaign.total - len(matters),  # type: ignore[attr-defined]
            "notes": list(campaign.notes.select_related("by")),
            "can_run": can_run,
            "note_form": forms.get("note_form") or hotspot_forms.NoteForm(),
            "add_form": forms.get("add_form") or hotspot_forms.AddMatterForm(),
        },
        status=400 if forms else 200,
    )


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = _require(request)
    campaign = selectors.get_campaign_for_user(user, campaign_id)
    return _campaign_page(request, user, campaign)


@login_required
@require_POST
def campaign_note(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = _require(request)
    campaign = selectors.get_campaign_for_user(user, campaign_id)
    form = hotspot_forms.NoteForm(request.POST)
    if not form.is_valid():
        return _campaign_page(request, user, campaign, note_form=form)
    try:
        services.add_note(campaign, by=user, text=form.cleaned_data["text"])
    except services.HotSpotError as exc:
        form.add_error("text", exc.message)
        return _campaign_page(request, user, campaign, note_form=form)
    messages.success(request, _("Progress recorded."))
    return redirect("hotspots:campaign", campaign.pk)


@login_required
@require_POST
def campaign_add_matter(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = _require(request)
    campaign = selectors.get_campaign_for_user(user, campaign_id)
    if not services.can_run_campaigns(user, campaign.unit):
        services.refuse(user, campaign, campaign.unit, "add_matter")
    form = hotspot_forms.AddMatterForm(request.POST)
    if not form.is_valid():
        return _campaign_page(request, user, campaign, add_form=form)
    year, pk = form.cleaned_data["code"]
    matter = matters_for(user).filter(pk=pk, registered_at__year=year).first()
    if matter is None:
        form.add_error("code", _("No matter with this code in your area."))
        return _campaign_page(request, user, campaign, add_form=form)
    if services.add_matter(campaign, by=user, matter=matter):
        messages.success(request, _("%(code)s added to the campaign.") % {"code": matter.code})
    else:
        messages.info(request, _("%(code)s is in the campaign already.") % {"code": matter.code})
    return redirect("hotspots:campaign", campaign.pk)
