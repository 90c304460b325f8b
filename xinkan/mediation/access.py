"""Which actions a user may take on a dispute now — to show only the forms that can succeed — and
what the agreement document says. The services check again when the action is taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from xinkan.mediation.agreement_pdf import AgreedTerm, AgreementDocument, PartyFacts
from xinkan.mediation.models import Agreement, Dispute, State, Step, StepRecord
from xinkan.org.models import Level, Membership, Unit
from xinkan.org.roles import ROLE_PERMISSIONS, Perm, Role
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


@dataclass(frozen=True)
class Allowed:
    session: bool = False
    escalate: bool = False
    settle: bool = False
    withdraw: bool = False
    refer: bool = False
    assign: bool = False
    follow_agreement: bool = False

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


def _mediates(user: User, record: StepRecord) -> bool:
    if any(m.user_id == user.pk and m.active for m in record.mediators.all()):
        return True
    return get_scope(user).covers_unit(record.unit, Perm.MEDIATION_MEDIATE)


def allowed_actions(
    user: User, dispute: Dispute, steps: list[StepRecord], agreement: Agreement | None
) -> Allowed:
    current = next((s for s in steps if s.outcome == StepRecord.Outcome.ONGOING), None)
    follow = False
    if agreement is not None:
        settled_at = next((s for s in steps if s.pk == agreement.step_record_id), None)
        follow = settled_at is not None and _mediates(user, settled_at)
    if dispute.state != State.MEDIATING or current is None:
        return Allowed(follow_agreement=follow)
    mediates = _mediates(user, current)
    return Allowed(
        session=mediates,
        escalate=mediates and current.step < Step.STATION,
        settle=mediates,
        withdraw=mediates,
        refer=mediates and current.step == Step.STATION,
        assign=get_scope(user).covers_unit(current.unit, Perm.MEDIATION_MANAGE),
        follow_agreement=follow,
    )


def assignable_people(dispute: Dispute) -> list[tuple[int, str]]:
    """Who may be added to the current step: staff who mediate for its unit, and the lawyers on
    the roster of its unit or the units above (conflicts are refused by the service)."""
    record = dispute.steps.filter(outcome=StepRecord.Outcome.ONGOING).select_related("unit").first()
    if record is None:
        return []
    unit: Unit = record.unit
    mediating_roles = [
        r for r, perms in ROLE_PERMISSIONS.items() if Perm.MEDIATION_MEDIATE in perms
    ]
    ancestors = [*unit.ancestor_ids(), unit.pk]
    below = Unit.objects.filter(path__startswith=unit.path).values("pk")
    memberships = (
        Membership.objects.filter(is_active=True, user__is_active=True)
        .filter(
            Q(role__in=mediating_roles, unit_id__in=ancestors)
            | Q(role=Role.MEDIATOR, unit_id__in=below)
            | Q(role=Role.LAWYER, unit_id__in=ancestors)
        )
        .select_related("user")
        .order_by("role", "user__display_name")
    )
    seen: dict[int, str] = {}
    for membership in memberships:
        if membership.user_id not in seen:
            seen[membership.user_id] = f"{membership.user} · {membership.get_role_display()}"
    return list(seen.items())


def _committee(record: StepRecord) -> str:
    unit = record.unit
    if unit.level == Level.GRID and unit.parent is not None:
        unit = unit.parent
    return f"{unit.name}人民调解委员会"


def pdf_document(dispute: Dispute, agreement: Agreement) -> AgreementDocument:
    """The agreement as the document prints it, from the record."""
    record = agreement.step_record
    parties = list(dispute.parties.select_related("resident"))
    mediators = [
        str(m.user) for m in record.mediators.select_related("user").order_by("assigned_at")
    ]
    return AgreementDocument(
        number=agreement.number,
        committee=_committee(record),
        dispute_type=str(dispute.get_dispute_type_display()),
        parties=[
            PartyFacts(
                role=f"当事人（{party.side}方）",
                name=party.name,
                gender=party.gender,
                birth_date=getattr(party.resident, "birth_date", None),
                id_number=party.id_number,
                address=party.address or dispute.address,
                phone=party.phone,
                representative=party.representative,
            )
            for party in parties
        ],
        facts=agreement.facts,
        points_at_issue=agreement.points_at_issue,
        responsibilities=agreement.responsibilities,
        terms=[AgreedTerm(text=t.text, due=t.due, how=t.how) for t in agreement.terms.all()],
        performance=agreement.performance,
        mediators=mediators or [str(agreement.created_by)],
        signed_on=agreement.signed_on,
        place=record.unit.name,
    )
