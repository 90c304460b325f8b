"""The mediation sweep: reminds before a step's time limit, marks it overdue and raises supervision
to the level above, reminds when an agreed term's date has passed unrecorded, and reminds the
mediators before the window for judicial confirmation closes.

Idempotent and safe when several sweeps run at once, as the matters sweep: each fact is claimed with
a conditional UPDATE and acted on only by the sweep whose UPDATE changed the row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.mediation.models import Agreement, Dispute, State, StepDeadline, Term
from xinkan.mediation.services import _core
from xinkan.mediation.services.notify import send, unit_staff
from xinkan.org.roles import Perm

if TYPE_CHECKING:
    from xinkan.accounts.models import User

BATCH = 500
# How many days before the window for judicial confirmation closes the mediators are reminded.
CONFIRMATION_REMINDER_DAYS = 7


@dataclass
class MediationSweep:
    reminded: int = 0
    overdue: int = 0
    supervised: int = 0
    terms: int = 0
    confirmations: int = 0

    def __str__(self) -> str:
        return (
            f"disputes: reminded {self.reminded}, overdue {self.overdue}, supervised "
            f"{self.supervised}, terms due {self.terms}, confirmations {self.confirmations}"
        )


def _people(deadline: StepDeadline) -> list[User]:
    record = deadline.step_record
    mediators = [m.user for m in record.mediators.filter(active=True).select_related("user")]
    return mediators or unit_staff(record.unit)


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def remind(now: dt.datetime) -> int:
    count = 0
    ids = list(
        StepDeadline.objects.filter(
            met_at__isnull=True, reminded_at__isnull=True, warn_at__lte=now, due_at__gt=now
        ).values_list("pk", flat=True)[:BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            claimed = StepDeadline.objects.filter(
                pk=pk, met_at__isnull=True, reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed != 1:
                continue
            deadline = StepDeadline.objects.select_related("dispute", "step_record__unit").get(
                pk=pk
            )
            send(
                _people(deadline),
                deadline.dispute,
                kind="due_soon",
                text=_("%(code)s: this mediation step is due %(due)s")
                % {"code": deadline.dispute.code, "due": _when(deadline.due_at)},
                fact=f"remind{pk}",
            )
            count += 1
    return count


def mark_overdue(now: dt.datetime, report: MediationSweep) -> None:
    ids = list(
        StepDeadline.objects.filter(
            met_at__isnull=True, overdue_at__isnull=True, due_at__lte=now
        ).values_list("pk", flat=True)[:BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            deadline = (
                StepDeadline.objects.select_for_update(of=("self",))
                .select_related("dispute__responsible_unit", "step_record__unit__parent")
                .filter(pk=pk, met_at__isnull=True, overdue_at__isnull=True)
                .first()
            )
            if deadline is None:
                continue  # another sweep took it, or the step ended meanwhile
            dispute: Dispute = deadline.dispute
            above = deadline.step_record.unit.parent
            StepDeadline.objects.filter(pk=pk).update(
                overdue_at=now, supervised_unit=above if above else None
            )
            report.overdue += 1
            _core.event(dispute, by=None, action="overdue", data={"step": dispute.step})
            send(
                _people(deadline),
                dispute,
                kind="overdue",
                text=_("%(code)s: this mediation step is overdue") % {"code": dispute.code},
                fact=f"overdue{pk}",
            )
            if above is not None:
                report.supervised += 1
                _core.event(dispute, by=None, action="supervised", data={"unit": above.pk})
                send(
                    unit_staff(above, Perm.MEDIATION_MANAGE),
                    dispute,
                    kind="supervision",
                    text=_("%(code)s: overdue at %(unit)s — supervise it (督办)")
                    % {"code": dispute.code, "unit": deadline.step_record.unit.name},
                    fact=f"supervise{pk}",
                )


def remind_terms(today: dt.date, now: dt.datetime) -> int:
    count = 0
    ids = list(
        Term.objects.filter(
            performed__isnull=True,
            reminded_at__isnull=True,
            due__lt=today,
            agreement__dispute__state=State.SETTLED,
        ).values_list("pk", flat=True)[:BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            if Term.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now) != 1:
                continue
            term = Term.objects.select_related(
                "agreement__dispute", "agreement__step_record__unit"
            ).get(pk=pk)
            record = term.agreement.step_record
            people = [m.user for m in record.mediators.all().select_related("user")]
            send(
                people or unit_staff(record.unit),
                term.agreement.dispute,
                kind="term_due",
                text=_("%(code)s: term %(n)d was due %(due)s — record whether it was performed")
                % {
                    "code": term.agreement.dispute.code,
                    "n": term.position,
                    "due": term.due.isoformat() if term.due else "",
                },
                fact=f"term{pk}",
            )
            count += 1
    return count


def remind_confirmations(today: dt.date, now: dt.datetime) -> int:
    count = 0
    ids = list(
        Agreement.objects.filter(
            kind=Agreement.Kind.WRITTEN,
            confirmation_applied__isnull=True,
            confirmation_reminded_at__isnull=True,
            confirmation_due__lte=today + dt.timedelta(days=CONFIRMATION_REMINDER_DAYS),
            confirmation_due__gte=today,
        ).values_list("pk", flat=True)[:BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            claimed = Agreement.objects.filter(pk=pk, confirmation_reminded_at__isnull=True).update(
                confirmation_reminded_at=now
            )
            if claimed != 1:
                continue
            agreement = Agreement.objects.select_related("dispute", "step_record__unit").get(pk=pk)
            record = agreement.step_record
            people = [m.user for m in record.mediators.all().select_related("user")]
            send(
                people or unit_staff(record.unit),
                agreement.dispute,
                kind="confirmation",
                text=_(
                    "%(code)s: the parties may ask the court to confirm the agreement until %(due)s — remind them and record whether they did"
                )
                % {"code": agreement.dispute.code, "due": agreement.confirmation_due.isoformat()},
                fact=f"confirm{pk}",
            )
            count += 1
    return count


def sweep(now: dt.datetime | None = None) -> MediationSweep:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    report = MediationSweep()
    report.reminded = remind(now)
    mark_overdue(now, report)
    report.terms = remind_terms(today, now)
    report.confirmations = remind_confirmations(today, now)
    return report
