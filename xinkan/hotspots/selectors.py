"""Reads of hot spots and campaigns, always within the reader's scope.

Hot spots and campaigns are seen by those who see the performance figures of their area
(`metrics.view`, like the dashboard); the matters behind them only as far as the reader may see
matters (`matters.view`): counts, samples and lists are all of visible matters, so the number on
a link is the number of rows behind it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from xinkan.audit import services as audit
from xinkan.hotspots.models import Campaign, CampaignMatter, HotSpot, HotSpotMatter, HotSpotRun
from xinkan.matters.models import Channel, LinkKind, Matter, MatterLink, State
from xinkan.matters.selectors import visible_q
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

SAMPLES = 3
# What a list of matters does not show (and should not read).
_LIST_DEFER = ("description", "search_text", "contact_phone", "id_number")
RESOLVED_STATES = (State.RESOLVED, State.CONCLUDED)


def _refused(user: User, action: str, data: dict[str, Any]) -> Http404:
    audit.record_failure(actor=user, action="hotspots.denied", data={"attempt": action, **data})
    return Http404()


def area_for(user: User, unit_id: Any) -> Unit | None:
    """The unit asked for (?unit=<id>) if the user sees its figures; None for no unit; 404 (the
    same for "not yours" and "does not exist") otherwise."""
    if not unit_id:
        return None
    try:
        unit = Unit.objects.filter(pk=int(unit_id)).first()
    except (TypeError, ValueError):
        unit = None
    if unit is None or not get_scope(user).covers_unit(unit, Perm.METRICS_VIEW):
        raise _refused(user, "view_area", {"unit": str(unit_id)[:20]})
    return unit


def last_run() -> HotSpotRun | None:
    return HotSpotRun.objects.filter(computed_at__isnull=False).order_by("-computed_at").first()


def hotspots_for(user: User, *, within: Unit | None = None) -> QuerySet[HotSpot]:
    """The hot spots of the user's area (and below `within`), best first."""
    scope = get_scope(user)
    rows = HotSpot.objects.filter(scope.unit_q(Perm.METRICS_VIEW, "unit"))
    if within is not None:
        rows = rows.filter(unit__path__startswith=within.path)
    return rows.select_related("unit__parent", "category").order_by("-score", "-size", "pk")


def get_hotspot_for_user(user: User, hotspot_id: int) -> HotSpot:
    found = hotspots_for(user).filter(pk=hotspot_id).first()
    if found is None:
        raise _refused(user, "view_hotspot", {"hotspot": hotspot_id})
    return found


@dataclass
class HotSpotRow:
    hotspot: HotSpot
    visible: int = 0
    samples: list[Matter] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    proactive: list[Matter] = field(default_factory=list)


def _visible(user: User, ids: set[int]) -> dict[int, Matter]:
    """The matters among `ids` the user may see: a primary-key lookup, filtered by the scope
    (never the scope's matters joined to the ids, which PostgreSQL answers by scanning them all)."""
    if not ids:
        return {}
    return {
        m.pk: m
        for m in Matter.objects.filter(visible_q(get_scope(user)), pk__in=sorted(ids)).defer(
            *_LIST_DEFER
        )
    }


def rows_for(user: User, hotspots: Sequence[HotSpot]) -> list[HotSpotRow]:
    """What a list shows of each hot spot, in at most five queries however many: how many of
    its matters the user may see, the newest of those (the centre first), the campaigns and the
    proactive matters that took them up."""
    rows = {h.pk: HotSpotRow(h) for h in hotspots}
    if not rows:
        return []
    members = list(
        HotSpotMatter.objects.filter(hotspot_id__in=list(rows)).values_list(
            "hotspot_id", "matter_id"
        )
    )
    visible = _visible(user, {matter for _h, matter in members})
    by_matter: dict[int, list[int]] = defaultdict(list)
    shown: dict[int, list[Matter]] = defaultdict(list)
    for hotspot_id, matter_id in members:
        if matter_id in visible:
            by_matter[matter_id].append(hotspot_id)
            shown[hotspot_id].append(visible[matter_id])
    for hotspot_id, matters in shown.items():
        row = rows[hotspot_id]
        row.visible = len(matters)
        center = row.hotspot.center_id
        matters.sort(key=lambda m: (m.pk != center, -m.registered_at.timestamp(), -m.pk))
        row.samples = matters[:SAMPLES]
    if not by_matter:
        return [rows[h.pk] for h in hotspots]
    seen: set[tuple[int, int]] = set()
    for link in (
        CampaignMatter.objects.filter(matter_id__in=sorted(by_matter))
        .filter(campaign__in=Campaign.objects.filter(_campaign_q(user)))
        .select_related("campaign")
        .order_by("campaign__month", "campaign_id")
    ):
        for hotspot_id in by_matter[link.matter_id]:
            if (hotspot_id, link.campaign_id) not in seen:
                seen.add((hotspot_id, link.campaign_id))
                rows[hotspot_id].campaigns.append(link.campaign)
    links = list(
        MatterLink.objects.filter(
            other_id__in=sorted(by_matter),
            kind=LinkKind.RELATED,
            matter__channel=Channel.PROACTIVE,
        )
        .order_by("matter_id")
        .values_list("matter_id", "other_id")
    )
    proactive = _visible(user, {matter for matter, _other in links})
    seen = set()
    for matter_id, other_id in links:
        for hotspot_id in by_matter[other_id]:
            if matter_id in proactive and (hotspot_id, matter_id) not in seen:
                seen.add((hotspot_id, matter_id))
                rows[hotspot_id].proactive.append(proactive[matter_id])
    return [rows[h.pk] for h in hotspots]


def hotspot_matters(user: User, hotspot: HotSpot) -> QuerySet[Matter]:
    """The hot spot's matters the user may see, newest first, for a list."""
    return (
        Matter.objects.filter(
            visible_q(get_scope(user)),
            pk__in=HotSpotMatter.objects.filter(hotspot=hotspot).values("matter_id"),
        )
        .select_related("category", "unit", "handling_unit", "lead_department")
        .defer(*_LIST_DEFER)
        .order_by("-registered_at", "-id")
    )


# --- Campaigns -----------------------------------------------------------------------------------


def _campaign_q(user: User) -> Q:
    scope = get_scope(user)
    query = scope.unit_q(Perm.METRICS_VIEW, "unit")
    departments = scope.department_ids(Perm.METRICS_VIEW)
    if departments:
        query |= Q(department_id__in=sorted(departments))
    return query


def campaigns_for(user: User) -> QuerySet[Campaign]:
    """Campaigns of the user's area, and those their department is responsible for, with their
    progress (`total`, `resolved`): one query."""
    return (
        with_progress(Campaign.objects.filter(_campaign_q(user)))
        .select_related("unit", "department", "category")
        .order_by("-month", "-created_at", "-pk")
    )


def with_progress(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """`total` linked matters and how many are `resolved` (a merged matter counts as its target)."""
    resolved = Q(links__matter__state__in=RESOLVED_STATES) | Q(
        links__matter__state=State.MERGED,
        links__matter__merged_into__state__in=RESOLVED_STATES,
    )
    return campaigns.annotate(
        total=Count("links", distinct=True),
        resolved=Count("links", filter=resolved, distinct=True),
    )


def progress(campaign: Any) -> float | None:
    """The share of linked matters resolved, 0..1 (None without matters)."""
    total = getattr(campaign, "total", 0)
    return getattr(campaign, "resolved", 0) / total if total else None


def get_campaign_for_user(user: User, campaign_id: int) -> Campaign:
    found = campaigns_for(user).filter(pk=campaign_id).first()
    if found is None:
        raise _refused(user, "view_campaign", {"campaign": campaign_id})
    return found


def campaign_matters(user: User, campaign: Campaign) -> QuerySet[Matter]:
    """The campaign's matters the user may see, newest first."""
    return (
        Matter.objects.filter(
            visible_q(get_scope(user)),
            pk__in=CampaignMatter.objects.filter(campaign=campaign).values("matter_id"),
        )
        .select_related("category", "unit", "handling_unit", "lead_department")
        .defer(*_LIST_DEFER)
        .order_by("-registered_at", "-id")
    )
