"""Registering a dispute: its parties, its place, and the step it starts at."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.core.crypto import blind_index
from xinkan.core.phones import is_plausible_phone, normalise_phone
from xinkan.mediation.models import Dispute, Party, Source, Step, Urgency
from xinkan.mediation.services import _core
from xinkan.mediation.services.notify import tell_staff
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.matters.models import Matter
    from xinkan.residents.models import Resident

PHONE_PURPOSE = "mediation.phone"
ID_PURPOSE = "mediation.id_number"
MAX_PARTIES = 10


@dataclass
class NewParty:
    name: str
    phone: str = ""
    id_number: str = ""
    resident: Resident | None = None
    gender: str = ""
    address: str = ""
    representative: str = ""
    statement: str = ""


@dataclass
class NewDispute:
    dispute_type: str
    source: str
    title: str
    unit: Unit
    parties: list[NewParty]
    address: str = ""
    urgency: str = Urgency.NORMAL
    source_matter: Matter | None = None
    # Above ① only with a reason (urgency, the type of dispute, the parties' wish).
    start_step: int = Step.TEN_HOUSEHOLD
    start_reason: str = ""
    idempotency_key: str | None = None
    # When it was registered (demo data and imports from paper records); now by default.
    registered_at: dt.datetime | None = None


def _validate(data: NewDispute) -> None:
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not data.title.strip():
        add("title", _("Say in a few words what the dispute is about."))
    named = [p for p in data.parties if p.name.strip()]
    if len(named) < 2:
        add("parties", _("A dispute has at least two parties: give each one's name."))
    if len(data.parties) > MAX_PARTIES:
        add("parties", _("At most %(n)d parties may be registered.") % {"n": MAX_PARTIES})
    for party in named:
        if party.phone.strip() and not is_plausible_phone(normalise_phone(party.phone)):
            add("parties", _("%(name)s's phone is not a phone number.") % {"name": party.name})
    if data.start_step not in Step.values:
        add("start_step", _("Choose a step of the ladder."))
    elif data.start_step > Step.TEN_HOUSEHOLD and len(data.start_reason.strip()) < 4:
        add("start_reason", _("Say why the dispute starts above step ① (at least a few words)."))
    if data.unit.level not in {Level.GRID, Level.COMMUNITY}:
        add("unit", _("Choose the grid or the community where the parties live."))
    if data.source == Source.MATTER and data.source_matter is None:
        add("source_matter", _("Name the matter the dispute comes from."))
    if data.urgency not in Urgency.values:
        add("urgency", _("Choose how urgent the dispute is."))
    if errors:
        raise ValidationError(errors)


def register_dispute(data: NewDispute, *, by: User) -> Dispute:
    """Register a dispute and start its first step (① with the grid's mediator, assigned
    automatically; ② when the grid has none; higher when asked, with a reason). A retried form
    (same idempotency key) returns the dispute already registered."""
    _validate(data)
    scope = get_scope(by)
    if not scope.covers_unit(data.unit, Perm.MEDIATION_REGISTER):
        raise _core.refuse(by, None, "register", _("You may not register disputes for this place."))
    if data.start_step > Step.TEN_HOUSEHOLD:
        # The committee of the place decides that a dispute skips the lower steps.
        _core.require_manage(by, None, data.unit, "register")
    if data.idempotency_key:
        existing = Dispute.objects.filter(idempotency_key=data.idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return _register(data, by)
    except IntegrityError:
        if data.idempotency_key:
            existing = Dispute.objects.filter(idempotency_key=data.idempotency_key).first()
            if existing is not None:
                return existing
        raise


def _register(data: NewDispute, by: User) -> Dispute:
    now = data.registered_at or timezone.now()
    step, reason = data.start_step, data.start_reason.strip()
    dispute = Dispute.objects.create(
        code_year=timezone.localtime(now).year,
        dispute_type=data.dispute_type,
        source=data.source,
        source_matter=data.source_matter,
        title=data.title.strip()[:120],
        unit=data.unit,
        address=data.address.strip(),
        urgency=data.urgency,
        step=step,
        responsible_unit=_core.step_unit(step, data.unit),
        registered_by=by,
        registered_at=now,
        idempotency_key=data.idempotency_key or None,
    )
    for position, party in enumerate((p for p in data.parties if p.name.strip()), start=1):
        phone = normalise_phone(party.phone)
        id_number = party.id_number.strip().upper()
        Party.objects.create(
            dispute=dispute,
            position=position,
            name=party.name.strip()[:60],
            resident=party.resident,
            phone=phone,
            phone_index=blind_index(phone, PHONE_PURPOSE) if phone else "",
            id_number=id_number,
            id_number_index=blind_index(id_number, ID_PURPOSE) if id_number else "",
            gender=party.gender,
            address=party.address.strip(),
            representative=party.representative.strip(),
            statement=party.statement.strip(),
        )
    _core.event(
        dispute,
        by=by,
        action="registered",
        data={"type": data.dispute_type, "source": data.source, "urgency": data.urgency},
    )
    mediators = _core.mediators_for(dispute, step, previous=None)
    if step == Step.TEN_HOUSEHOLD and not mediators:
        step = Step.COMMITTEE
        reason = _("This grid has no ten-household mediator: the committee mediates.")
        mediators = []
    _core.start_step(dispute, step, by=by, reason=reason, mediators=mediators, at=now)
    Dispute.objects.filter(pk=dispute.pk).update(
        step=dispute.step, responsible_unit=dispute.responsible_unit
    )
    tell_staff(dispute, new=True, mediators=[user for user, _kind in mediators])
    return dispute
