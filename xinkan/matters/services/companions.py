"""带办陪访: a cadre handles a matter for the resident (代办) within a set time, or accompanies them
(陪办) to the departments, recording each visit; the cadre stays with the matter up the levels."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.matters.models import (
    CLOSED_STATES,
    AccompaniedVisit,
    Companion,
    CompanionMode,
    Matter,
    Stage,
)
from xinkan.matters.services import _core
from xinkan.matters.services._core import InvalidTransition, MatterError
from xinkan.org.models import Department
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


@_core.atomic_service
def take_matter(matter: Matter, *, by: User, mode: str) -> Companion:
    if mode not in CompanionMode.values:
        raise MatterError(_("Choose to handle it for the resident or to accompany them."))
    if not (
        get_scope(by).covers_unit(matter.unit, Perm.MATTERS_ACCOMPANY)
        or get_scope(by).covers_unit(matter.handling_unit, Perm.MATTERS_ACCOMPANY)
    ):
        raise _core.refuse(
            by, matter, "accompany", _("You may not take matters from outside your area.")
        )
    if matter.state in CLOSED_STATES:
        raise InvalidTransition(_("This matter is closed."))
    try:
        with transaction.atomic():
            companion = Companion.objects.create(matter=matter, cadre=by, mode=mode)
    except IntegrityError as exc:
        raise InvalidTransition(_("You are already with this matter.")) from exc
    if mode == CompanionMode.PROXY:
        _core.open_deadline(matter, Stage.PROXY)
    _core.event(
        matter,
        by=by,
        action="taken_for_resident" if mode == CompanionMode.PROXY else "accompanied",
        data={"mode": mode},
        public=True,
    )
    _core.bump_version(matter)
    return companion


@_core.atomic_service
def record_visit(
    companion: Companion,
    *,
    by: User,
    at: dt.datetime,
    place: str,
    summary: str,
    department: Department | None = None,
    met: str = "",
) -> AccompaniedVisit:
    if companion.cadre_id != by.pk or not companion.active:
        raise _core.refuse(
            by, companion.matter, "record_visit", _("Only the accompanying cadre records visits.")
        )
    if not place.strip() or len(summary.strip()) < 4:
        raise MatterError(_("Say where you went and what was said."))
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise MatterError(_("A visit cannot be recorded in the future."))
    visit = AccompaniedVisit.objects.create(
        companion=companion,
        at=at,
        place=place.strip()[:120],
        department=department,
        met=met.strip()[:120],
        summary=summary.strip()[:4000],
    )
    _core.event(
        companion.matter,
        by=by,
        action="accompanied_visit",
        note=visit.summary,
        data={
            "place": visit.place,
            "department": department.pk if department else None,
            "met": visit.met,
        },
    )
    return visit


@_core.atomic_service
def release_matter(companion: Companion, *, by: User, note: str = "") -> None:
    if companion.cadre_id != by.pk:
        raise _core.refuse(
            by, companion.matter, "release", _("Only the accompanying cadre can step back.")
        )
    changed = Companion.objects.filter(pk=companion.pk, active=True).update(active=False)
    if changed:
        _core.cancel_deadlines(companion.matter, Stage.PROXY)
        _core.event(companion.matter, by=by, action="companion_released", note=note)
