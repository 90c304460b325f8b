"""Settling a dispute with an agreement (调解协议书, or the record of an oral agreement), following
its performance, and recording judicial confirmation (《人民调解法》 Art. 28-33)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.mediation.models import Agreement, Dispute, State, StepRecord, Term
from xinkan.mediation.services import _core
from xinkan.mediation.services.ladder import _open
from xinkan.mediation.services.notify import tell_parties

if TYPE_CHECKING:
    from xinkan.accounts.models import User

# Both parties may apply jointly to the court within 30 days of the agreement taking effect (Art. 33).
CONFIRMATION_DAYS = 30
MAX_TERMS = 20


@dataclass
class NewTerm:
    text: str
    how: str = ""
    due: dt.date | None = None


@dataclass
class Settlement:
    kind: str
    facts: str
    points_at_issue: str
    terms: list[NewTerm]
    signed_on: dt.date
    responsibilities: str = ""
    performance: str = ""


def _validate(data: Settlement) -> list[NewTerm]:
    errors: dict[str, list[str]] = {}
    terms = [t for t in data.terms if t.text.strip()]
    if data.kind not in Agreement.Kind.values:
        errors["kind"] = [_("Choose a written or an oral agreement.")]
    if len(data.facts.strip()) < 4:
        errors["facts"] = [_("Write the main facts of the dispute.")]
    if len(data.points_at_issue.strip()) < 2:
        errors["points_at_issue"] = [_("Write what the parties disagreed about.")]
    if not terms:
        errors["terms"] = [_("Write at least one agreed term.")]
    elif len(terms) > MAX_TERMS:
        errors["terms"] = [_("At most %(n)d terms.") % {"n": MAX_TERMS}]
    today = timezone.localdate()
    if data.signed_on > today:
        errors["signed_on"] = [_("The agreement cannot be signed in the future.")]
    for term in terms:
        if term.due is not None and term.due < data.signed_on:
            errors.setdefault("terms", []).append(
                _("A term cannot be due before the agreement is signed.")
            )
            break
    if errors:
        raise ValidationError(errors)
    return terms


def _number(dispute: Dispute, record: StepRecord) -> str:
    """调字 number of the committee that signs: 东风调字〔2026〕第12号 (the dispute's own number)."""
    short = record.unit.name
    for suffix in ("街道", "社区", "镇", "乡", "村", "网格"):
        if suffix in short:
            short = short.split(suffix)[0]
            break
    return f"{short}调字〔{dispute.code_year}〕第{dispute.pk}号"


def settle(
    dispute: Dispute, *, by: User, settlement: Settlement, version: int | None = None
) -> Agreement:
    """Settled at the current step: the agreement, its terms, the dispute closed as settled."""
    record = _open(dispute)
    _core.require_mediate(by, dispute, record, "settle")
    terms = _validate(settlement)
    with transaction.atomic():
        now = timezone.now()
        _core.bump(
            dispute, version=version, state=State.SETTLED, ended_at=now, settled_step=record.step
        )
        StepRecord.objects.filter(pk=record.pk).update(
            outcome=StepRecord.Outcome.SETTLED, ended_at=now
        )
        _core.meet_deadline(record)
        agreement = Agreement.objects.create(
            dispute=dispute,
            step_record=record,
            kind=settlement.kind,
            number=_number(dispute, record) if settlement.kind == Agreement.Kind.WRITTEN else "",
            facts=settlement.facts.strip(),
            points_at_issue=settlement.points_at_issue.strip(),
            responsibilities=settlement.responsibilities.strip(),
            performance=settlement.performance.strip(),
            signed_on=settlement.signed_on,
            confirmation_due=settlement.signed_on + dt.timedelta(days=CONFIRMATION_DAYS),
            created_by=by,
        )
        Term.objects.bulk_create(
            Term(
                agreement=agreement,
                position=position,
                text=term.text.strip(),
                how=term.how.strip(),
                due=term.due,
            )
            for position, term in enumerate(terms, start=1)
        )
        _core.event(
            dispute,
            by=by,
            action="settled",
            data={"step": record.step, "kind": settlement.kind, "terms": len(terms)},
            changes={"state": [State.MEDIATING, State.SETTLED]},
        )
        if settlement.kind == Agreement.Kind.WRITTEN:
            tell_parties(
                dispute,
                _(
                    "Your dispute %(code)s was settled by agreement. Together you may ask the people's court to confirm it within 30 days of signing (by %(due)s)."
                )
                % {"code": dispute.code, "due": agreement.confirmation_due.isoformat()},
            )
    return agreement


def record_performance(term: Term, *, by: User, performed: bool, note: str = "") -> Term:
    """The committee follows up whether a term was performed (Art. 31)."""
    agreement = term.agreement
    dispute = agreement.dispute
    _core.require_mediate(by, dispute, agreement.step_record, "performance")
    if not performed and len(note.strip()) < 4:
        raise ValidationError({"note": [_("Say what was not performed and what happens next.")]})
    with transaction.atomic():
        Term.objects.filter(pk=term.pk).update(
            performed=performed, performed_noted_at=timezone.now()
        )
        _core.bump(dispute, version=None)
        _core.event(
            dispute,
            by=by,
            action="term_performed" if performed else "term_not_performed",
            note=note.strip(),
            data={"term": term.position},
        )
    term.refresh_from_db()
    return term


def record_confirmation(
    agreement: Agreement, *, by: User, applied: bool, note: str = ""
) -> Agreement:
    """Whether the parties applied to the court for judicial confirmation (Art. 33)."""
    dispute = agreement.dispute
    _core.require_mediate(by, dispute, agreement.step_record, "confirmation")
    if agreement.kind != Agreement.Kind.WRITTEN:
        raise _core.MediationError(_("Only a written agreement can be confirmed by a court."))
    with transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(
            confirmation_applied=applied, confirmation_note=note.strip()[:200]
        )
        _core.bump(dispute, version=None)
        _core.event(
            dispute,
            by=by,
            action="confirmation_recorded",
            note=note.strip(),
            data={"applied": applied},
        )
    agreement.refresh_from_db()
    return agreement
