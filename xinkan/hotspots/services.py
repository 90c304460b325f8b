"""Every write of hot spots and campaigns: storing the periodic job's result, acting before
complaints (a proactive matter through the matters services), and problem-of-the-month campaigns.
Each action checks the user's scope, runs in one transaction and writes its audit entry."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.hotspots import detection
from xinkan.hotspots.models import (
    Campaign,
    CampaignMatter,
    CampaignNote,
    HotSpot,
    HotSpotMatter,
    HotSpotRun,
)
from xinkan.matters import services as matters
from xinkan.matters.models import Category, Channel, Matter
from xinkan.matters.selectors import matters_for
from xinkan.org.models import Department, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

RUN_NAME = "hotspots"
MAX_TITLE = 120
MAX_TEXT = 4000


class HotSpotError(Exception):
    """A refusal the user can understand; the message is shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def refuse(by: User, obj: models.Model | None, unit: Unit | None, attempt: str) -> None:
    """Raise PermissionDenied, audited. Services check before they write, so the audit entry is
    never rolled back with the refused work."""
    audit.record_failure(
        actor=by, action="hotspots.denied", obj=obj, unit=unit, data={"attempt": attempt}
    )
    raise PermissionDenied(_("You may not do this outside your area."))


# --- The periodic job ----------------------------------------------------------------------------


@dataclass
class RefreshReport:
    matters: int
    groups: int
    pairs: int
    hot_spots: int
    created: int
    removed: int
    seconds: dict[str, float]
    stored: bool = True
    changed: int = 0

    def __str__(self) -> str:
        if not self.stored:
            return "skipped: a newer result is stored"
        timings = ", ".join(f"{name} {value:.2f}s" for name, value in self.seconds.items())
        return (
            f"{self.hot_spots} hot spots ({self.created} new, {self.changed} changed, "
            f"{self.removed} gone) from "
            f"{self.matters} matters, {self.groups} groups, {self.pairs} pairs; {timings}"
        )


_FIELDS = [
    "unit_id",
    "category_id",
    "center_id",
    "size",
    "previous",
    "residents",
    "anonymous",
    "places",
    "score",
    "keywords",
    "capped",
    "first_at",
    "last_at",
]


def _values(item: detection.Cluster) -> dict[str, object]:
    return {
        "unit_id": item.area_id,
        "category_id": item.category_id,
        "center_id": item.center.pk,
        "size": item.size,
        "previous": item.previous,
        "residents": item.residents,
        "anonymous": item.anonymous,
        "places": item.places,
        "score": item.score,
        "keywords": " ".join(item.keywords)[:120],
        "capped": item.capped,
        "first_at": item.first_at,
        "last_at": item.last_at,
    }


def refresh(
    *, now: dt.datetime | None = None, window_days: int = detection.WINDOW_DAYS
) -> RefreshReport:
    """Detect the hot spots of the whole tree and store them in place of the last result.

    Idempotent: the same matters give the same rows. A cluster keeps its row (by key) while its
    first matter stays in the window, and a row or a membership is written only when it changed.
    The comparison runs outside any transaction; storing takes the run row's lock, and a result
    older than the stored one is dropped, so workers running at once cannot interleave or go back
    in time."""
    started = time.perf_counter()
    now = now or timezone.now()
    found = detection.detect(now=now, window_days=window_days)
    HotSpotRun.objects.get_or_create(name=RUN_NAME)
    storing = time.perf_counter()
    with transaction.atomic():
        run = HotSpotRun.objects.select_for_update().get(name=RUN_NAME)
        if run.computed_at is not None and run.computed_at > now:
            return RefreshReport(
                found.matters, found.groups, found.pairs, 0, 0, 0, found.seconds, stored=False
            )
        existing = {row["key"]: row for row in HotSpot.objects.values("pk", "key", *_FIELDS)}
        changed, new = [], []
        for item in found.clusters:
            values = _values(item)
            before = existing.get(item.key)
            if before is None:
                new.append(HotSpot(key=item.key, **values))
            elif any(before[name] != value for name, value in values.items()):
                changed.append(HotSpot(pk=before["pk"], key=item.key, **values))
        keys = {item.key for item in found.clusters}
        gone = [row["pk"] for key, row in existing.items() if key not in keys]
        HotSpot.objects.filter(pk__in=gone).delete()
        HotSpot.objects.bulk_update(changed, _FIELDS, batch_size=200)
        HotSpot.objects.bulk_create(new, batch_size=500)
        ids = dict(HotSpot.objects.values_list("key", "pk"))
        wanted = {
            (ids[item.key], member.pk) for item in found.clusters for member in item.current_members
        }
        stored = {
            (hotspot, matter): pk
            for pk, hotspot, matter in HotSpotMatter.objects.values_list(
                "pk", "hotspot_id", "matter_id"
            )
        }
        stale = [pk for pair, pk in stored.items() if pair not in wanted]
        for start in range(0, len(stale), 2000):
            HotSpotMatter.objects.filter(pk__in=stale[start : start + 2000]).delete()
        HotSpotMatter.objects.bulk_create(
            [HotSpotMatter(hotspot_id=h, matter_id=m) for h, m in sorted(wanted - stored.keys())],
            batch_size=2000,
        )
        HotSpotRun.objects.filter(pk=run.pk).update(
            computed_at=now,
            window_days=window_days,
            matters=found.matters,
            hot_spots=len(found.clusters),
            seconds=round(time.perf_counter() - started, 3),
        )
    seconds = {**found.seconds, "store": time.perf_counter() - storing}
    return RefreshReport(
        found.matters,
        found.groups,
        found.pairs,
        len(found.clusters),
        len(new),
        len(gone),
        seconds,
        changed=len(changed),
    )


# --- Acting before complaints (未诉先办) -----------------------------------------------------------


def require_hotspot(by: User, hotspot: HotSpot, attempt: str) -> None:
    if not get_scope(by).covers_unit(hotspot.unit, Perm.METRICS_VIEW):
        refuse(by, hotspot, hotspot.unit, attempt)


def visible_matters(by: User, hotspot: HotSpot) -> models.QuerySet[Matter]:
    """The hot spot's matters that `by` may see."""
    return matters_for(by).filter(
        pk__in=HotSpotMatter.objects.filter(hotspot=hotspot).values("matter_id")
    )


def can_act(by: User, hotspot: HotSpot) -> bool:
    """Those who register and accept matters in the area (community workers, cadres) raise the
    proactive matter and link the reports to it."""
    scope = get_scope(by)
    return scope.covers_unit(hotspot.unit, Perm.MATTERS_REGISTER) and scope.covers_unit(
        hotspot.unit, Perm.MATTERS_ACCEPT
    )


@dataclass
class Acted:
    matter: Matter
    created: bool
    linked: int


def act_proactively(hotspot: HotSpot, *, by: User, title: str, description: str) -> Acted:
    """未诉先办: raise a proactive matter for the hot spot's problem, registered through the
    matters services (channel "proactive", in the hot spot's area and category, so it is
    dispatched and followed like any other) and linked to the reports behind it. A form sent twice
    gives the first matter back (the hot spot's key is the idempotency key)."""
    require_hotspot(by, hotspot, "act")
    if not can_act(by, hotspot):
        refuse(by, hotspot, hotspot.unit, "act")
    if len(title.strip()) > MAX_TITLE:
        raise HotSpotError(_("The title is longer than %(n)d characters.") % {"n": MAX_TITLE})
    reports = list(visible_matters(by, hotspot))
    with transaction.atomic():
        result = matters.register_matter(
            matters.Intake(
                channel=Channel.PROACTIVE,
                category=hotspot.category,
                unit=hotspot.unit,
                title=title.strip(),
                description=description,
                idempotency_key=f"hotspot:{hotspot.key}",
            ),
            by=by,
        )
        if not result.created:
            return Acted(result.matter, created=False, linked=0)
        linked = matters.link_related(
            result.matter,
            reports,
            by=by,
            note=_("The reports of a hot spot: %(n)d residents in %(unit)s.")
            % {"n": hotspot.people, "unit": hotspot.unit.name},
        )
        audit.record(
            actor=by,
            action="hotspots.acted",
            obj=result.matter,
            unit=hotspot.unit,
            data={"hotspot": hotspot.key, "matter": result.matter.pk, "linked": linked},
        )
    return Acted(result.matter, created=True, linked=linked)


# --- Problem of the month (每月一题) --------------------------------------------------------------


def can_run_campaigns(by: User, unit: Unit) -> bool:
    """Leaders and cadres push the work of their area (督办): they start and follow campaigns."""
    return get_scope(by).covers_unit(unit, Perm.MATTERS_SUPERVISE)


def campaign_departments(unit: Unit) -> models.QuerySet[Department]:
    """Departments that may be responsible: the unit's own and those of the units above it (the
    departments that may take its matters)."""
    return (
        Department.objects.filter(unit_id__in=[*unit.ancestor_ids(), unit.pk], is_active=True)
        .select_related("unit")
        .order_by("unit__depth", "code")
    )


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


@dataclass
class CampaignDetails:
    title: str
    unit: Unit
    month: dt.date
    target: str
    department: Department | None = None
    category: Category | None = None


def _check_details(details: CampaignDetails) -> CampaignDetails:
    title, target = details.title.strip(), details.target.strip()
    if not title:
        raise HotSpotError(_("Give the campaign a title."))
    if len(title) > MAX_TITLE:
        raise HotSpotError(_("The title is longer than %(n)d characters.") % {"n": MAX_TITLE})
    if len(target) < 4:
        raise HotSpotError(_("Say what the campaign is to achieve."))
    if len(target) > MAX_TEXT:
        raise HotSpotError(_("The target is longer than %(n)d characters.") % {"n": MAX_TEXT})
    if not details.unit.is_active:
        raise HotSpotError(_("This place is no longer in use."))
    this_month = month_of(timezone.localdate())
    month = month_of(details.month)
    if (
        not (this_month - dt.timedelta(days=31)).replace(day=1)
        <= month
        <= (this_month + dt.timedelta(days=366))
    ):
        raise HotSpotError(_("Choose this month, the month before, or one in the next year."))
    department = details.department
    if (
        department is not None
        and not campaign_departments(details.unit).filter(pk=department.pk).exists()
    ):
        raise HotSpotError(
            _("%(department)s cannot be responsible for a campaign of %(unit)s.")
            % {"department": department.name, "unit": details.unit.name}
        )
    return CampaignDetails(title, details.unit, month, target, department, details.category)


def start_campaign(
    details: CampaignDetails,
    *,
    by: User,
    matters_in: Iterable[Matter] = (),
    hotspot: HotSpot | None = None,
) -> tuple[Campaign, bool]:
    """Start a campaign of `details.unit` with the given matters (those `by` may see). From a hot
    spot: its visible matters, and at most one campaign per hot spot and month — a second start
    gives the first campaign back. Returns (campaign, created)."""
    if not can_run_campaigns(by, details.unit):
        refuse(by, hotspot, details.unit, "campaign")
    if hotspot is not None:
        require_hotspot(by, hotspot, "campaign")
        if not details.unit.is_active or not hotspot.unit.path.startswith(details.unit.path):
            raise HotSpotError(_("Choose the hot spot's area or a unit above it."))
    details = _check_details(details)
    source = hotspot.key if hotspot is not None else ""
    if source:
        existing = Campaign.objects.filter(source_key=source, month=details.month).first()
        if existing is not None:
            return existing, False
    wanted = list(matters_in)
    if hotspot is not None:
        wanted += list(visible_matters(by, hotspot))
    ids = sorted(
        set(matters_for(by).filter(pk__in={m.pk for m in wanted}).values_list("pk", flat=True))
    )
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                title=details.title,
                unit=details.unit,
                month=details.month,
                department=details.department,
                target=details.target,
                category=details.category or (hotspot.category if hotspot else None),
                source_key=source,
                created_by=by,
            )
            CampaignMatter.objects.bulk_create(
                [CampaignMatter(campaign=campaign, matter_id=pk, added_by=by) for pk in ids]
            )
            audit.record(
                actor=by,
                action="hotspots.campaign.started",
                obj=campaign,
                unit=campaign.unit,
                data={
                    "month": details.month,
                    "department": details.department.pk if details.department else None,
                    "hotspot": source,
                    "matters": len(ids),
                },
            )
    except IntegrityError:
        # The same hot spot's campaign started by someone else a moment ago.
        existing = Campaign.objects.filter(source_key=source, month=details.month).first()
        if source and existing is not None:
            return existing, False
        raise
    return campaign, True


def _require_campaign(by: User, campaign: Campaign, attempt: str) -> None:
    if not can_run_campaigns(by, campaign.unit):
        refuse(by, campaign, campaign.unit, attempt)


def add_note(campaign: Campaign, *, by: User, text: str) -> CampaignNote:
    """Record how the campaign is getting on (a visit, a repair done, a meeting held)."""
    _require_campaign(by, campaign, "note")
    text = text.strip()
    if len(text) < 4:
        raise HotSpotError(_("Write down what has been done."))
    if len(text) > MAX_TEXT:
        raise HotSpotError(_("The note is longer than %(n)d characters.") % {"n": MAX_TEXT})
    with transaction.atomic():
        note = CampaignNote.objects.create(campaign=campaign, text=text, by=by)
        audit.record(
            actor=by,
            action="hotspots.campaign.note_added",
            obj=campaign,
            unit=campaign.unit,
            data={"note": note.pk},
        )
    return note


def add_matter(campaign: Campaign, *, by: User, matter: Matter) -> bool:
    """Add a matter (one `by` may see) to the campaign; False when it is there already."""
    _require_campaign(by, campaign, "add_matter")
    if not matters_for(by).filter(pk=matter.pk).exists():
        refuse(by, matter, campaign.unit, "add_matter")
    with transaction.atomic():
        _link, created = CampaignMatter.objects.get_or_create(
            campaign=campaign, matter=matter, defaults={"added_by": by}
        )
        if created:
            audit.record(
                actor=by,
                action="hotspots.campaign.matter_added",
                obj=campaign,
                unit=campaign.unit,
                data={"matter": matter.pk},
            )
    return created
