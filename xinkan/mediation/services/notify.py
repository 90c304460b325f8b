"""Telling staff about disputes: new work, a risk of violence, due soon, overdue, supervision.
In-app notices through the matters feature's notification service, sent after commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from xinkan.matters.services.notify import notify, staff_with_perm
from xinkan.mediation.models import Dispute, Urgency
from xinkan.org.models import Unit
from xinkan.org.roles import Perm

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def _url(dispute: Dispute) -> str:
    return reverse("mediation:detail", args=[dispute.pk])


def send(users: list[User], dispute: Dispute, *, kind: str, text: str, fact: str) -> None:
    """After commit, one notice per person and fact (a retried sweep sends nothing twice)."""
    url = _url(dispute)

    def deliver() -> None:
        for user in users:
            notify(
                user,
                kind=kind,
                text=text,
                matter=None,
                url=url,
                dedupe_key=f"dispute:{dispute.pk}:{kind}:{fact}:{user.pk}",
            )

    transaction.on_commit(deliver)


def unit_staff(unit: Unit, perm: str = Perm.MEDIATION_MEDIATE) -> list[User]:
    return staff_with_perm(unit, perm)


def tell_staff(dispute: Dispute, *, new: bool, mediators: list[User]) -> None:
    """New work for the step's mediators (or its unit's staff); a risk of violence also to the
    level above at once (《人民调解法》 Art. 25: report, prevent escalation)."""
    people = list(mediators) or unit_staff(dispute.responsible_unit)
    if new:
        send(
            people,
            dispute,
            kind="dispute_new",
            text=_("%(code)s: a dispute to mediate — %(title)s")
            % {"code": dispute.code, "title": dispute.title},
            fact=f"step{dispute.step}",
        )
    if dispute.urgency == Urgency.VIOLENCE:
        above = dispute.responsible_unit.parent or dispute.responsible_unit
        send(
            unit_staff(above, Perm.MEDIATION_MANAGE) + unit_staff(dispute.responsible_unit),
            dispute,
            kind="dispute_violence",
            text=_("%(code)s: risk of violence — act at once and tell the police if needed")
            % {"code": dispute.code},
            fact="violence",
        )


def tell_parties(dispute: Dispute, text: str) -> None:
    """Message the parties who gave a phone, through the residents' sender, after commit."""
    phones = [p.phone for p in dispute.parties.all() if p.phone]
    code = dispute.code

    def deliver() -> None:
        from xinkan.matters.services.notify import logger, sender

        for phone in phones:
            try:
                sender().send(phone=phone, email="", text=text, matter_code=code)
            except Exception:
                logger.exception("Could not send a message about %s", code)

    if phones:
        transaction.on_commit(deliver)
