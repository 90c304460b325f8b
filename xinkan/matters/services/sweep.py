"""The deadline sweep: reminds before a deadline, marks it overdue, raises supervision (督办) to the
level above, and closes answered matters whose review window has passed.

Idempotent and safe when several sweeps run at once: each fact is claimed with a conditional UPDATE
("set reminded_at where it is still empty") and acted on only by the sweep whose UPDATE changed the
row; a supervision is unique per deadline. Run it from Celery beat or `manage.py sweep_deadlines`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.matters.models import Deadline, Matter, Stage, State, Supervision
from xinkan.matters.services import _core
from xinkan.matters.services.follow_up import close_after_review_window
from xinkan.matters.services.notify import (
    notify,
    notify_department_staff,
    notify_unit_staff,
    staff_with_perm,
)
from xinkan.org.roles import Perm

BATCH = 500
_RESPONSIBLE_PERM: dict[str, str] = {
    Stage.RESPOND: Perm.MATTERS_ACCEPT,
    Stage.ACCEPT: Perm.MATTERS_ACCEPT,
    Stage.HANDLE: Perm.MATTERS_HANDLE,
    Stage.FOLLOW_UP: Perm.MATTERS_FOLLOW_UP,
    Stage.REVIEW: Perm.MATTERS_REVIEW,
    Stage.REREVIEW: Perm.MATTERS_REVIEW,
    Stage.PROXY: Perm.MATTERS_ACCOMPANY,
}


@dataclass
class SweepReport:
    reminded: int = 0
    overdue: int = 0
    supervised: int = 0
    closed: int = 0

    def __str__(self) -> str:
        return (
            f"reminded {self.reminded}, overdue {self.overdue}, supervised {self.supervised}, "
            f"closed after the review window {self.closed}"
        )


def _open() -> dict[str, object]:
    return {"met_at__isnull": True, "cancelled": False}


def _tell_responsible(deadline: Deadline, kind: str, text: str) -> None:
    matter = deadline.matter
    # One notice per deadline and due date: another deadline of the matter, or the same one
    # after an extension, is a new fact.
    fact = f"d{deadline.pk}:{deadline.due_at:%Y%m%d%H%M}"
    if deadline.stage == Stage.HANDLE and matter.lead_department_id:
        notify_department_staff(matter, matter.lead_department_id, kind=kind, text=text, fact=fact)
        return
    if deadline.stage == Stage.PROXY:
        for companion in matter.companions.filter(active=True).select_related("cadre"):
            notify(
                companion.cadre,
                kind=kind,
                text=text,
                matter=matter,
                dedupe_key=f"{kind}:d{deadline.pk}:{companion.cadre_id}",
            )
        return
    notify_unit_staff(
        matter,
        matter.handling_unit,
        _RESPONSIBLE_PERM[deadline.stage],
        kind=kind,
        text=text,
        fact=fact,
    )


def remind_due_soon(now: dt.datetime) -> int:
    count = 0
    ids = list(
        Deadline.objects.filter(
            **_open(), reminded_at__isnull=True, warn_at__lte=now, due_at__gt=now
        )
        .order_by("warn_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            if (
                Deadline.objects.filter(pk=pk, reminded_at__isnull=True, **_open()).update(
                    reminded_at=now
                )
                != 1
            ):
                continue  # another sweep took it
            deadline = Deadline.objects.select_related(
                "matter__handling_unit", "matter__category"
            ).get(pk=pk)
            _tell_responsible(
                deadline,
                "due_soon",
                _("%(code)s: “%(stage)s” is due %(due)s")
                % {
                    "code": deadline.matter.code,
                    "stage": Stage(deadline.stage).label,
                    "due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M"),
                },
            )
            count += 1
    return count


def mark_overdue(now: dt.datetime, report: SweepReport) -> None:
    ids = list(
        Deadline.objects.filter(**_open(), overdue_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            if (
                Deadline.objects.filter(pk=pk, overdue_at__isnull=True, **_open()).update(
                    overdue_at=now
                )
                != 1
            ):
                continue
            deadline = Deadline.objects.select_related("matter__handling_unit__parent").get(pk=pk)
            matter = deadline.matter
            report.overdue += 1
            _core.event(
                matter,
                by=None,
                action="overdue",
                data={"stage": deadline.stage, "due_at": deadline.due_at},
            )
            text = _("%(code)s is overdue: “%(stage)s” was due %(due)s") % {
                "code": matter.code,
                "stage": Stage(deadline.stage).label,
                "due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M"),
            }
            _tell_responsible(deadline, "overdue", text)
            if _supervise(deadline, matter, now, text):
                report.supervised += 1


def _supervise(deadline: Deadline, matter: Matter, now: dt.datetime, text: str) -> bool:
    """督办 by the level above the responsible unit (or the unit itself at the top)."""
    above = matter.handling_unit.parent or matter.handling_unit
    try:
        with transaction.atomic():
            Supervision.objects.create(
                matter=matter, deadline=deadline, unit=above, raised_at=now, note=text
            )
    except IntegrityError:
        return False
    _core.event(
        matter, by=None, action="supervised", data={"unit": above.pk, "stage": deadline.stage}
    )
    for user in staff_with_perm(above, Perm.MATTERS_SUPERVISE):
        notify(
            user,
            kind="supervision",
            text=text,
            matter=matter,
            dedupe_key=f"supervision:{deadline.pk}:{user.pk}",
        )
    return True


def close_expired_reviews(now: dt.datetime) -> int:
    from xinkan.matters.deadlines import REVIEW_REQUEST_WINDOW_DAYS

    limit = now - dt.timedelta(days=REVIEW_REQUEST_WINDOW_DAYS)
    # The window runs to the end of its 30th day, so some of these are still open: oldest first,
    # or a batch of still-open ones would be taken again and again while expired ones wait.
    matters = (
        Matter.objects.filter(state=State.REPLIED, replied_at__lt=limit)
        .select_related("handling_unit", "category")
        .order_by("replied_at", "pk")[:BATCH]
    )
    return sum(1 for matter in matters if close_after_review_window(matter, now=now))


def sweep(now: dt.datetime | None = None) -> SweepReport:
    """One pass; call repeatedly (it processes at most BATCH of each kind per call)."""
    now = now or timezone.now()
    report = SweepReport()
    report.reminded = remind_due_soon(now)
    mark_overdue(now, report)
    report.closed = close_expired_reviews(now)
    return report


def sweep_all(now: dt.datetime | None = None, max_rounds: int = 1000) -> SweepReport:
    """Sweep until nothing is left to do (for the command and the periodic task)."""
    total = SweepReport()
    for _round in range(max_rounds):
        report = sweep(now)
        total.reminded += report.reminded
        total.overdue += report.overdue
        total.supervised += report.supervised
        total.closed += report.closed
        if not (report.reminded or report.overdue or report.closed):
            break
    return total
