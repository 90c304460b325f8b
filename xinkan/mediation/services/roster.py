"""The lawyers' roster: whom each lawyer represented before (conflicts of interest)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.core.crypto import blind_index
from xinkan.core.phones import normalise_phone
from xinkan.mediation.models import Representation
from xinkan.mediation.services.register import ID_PURPOSE, PHONE_PURPOSE
from xinkan.org.models import Membership
from xinkan.org.roles import Perm, Role
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.residents.models import Resident


def add_representation(
    *,
    lawyer: User,
    by: User,
    client_name: str,
    id_number: str = "",
    phone: str = "",
    resident: Resident | None = None,
    note: str = "",
    since: dt.date | None = None,
) -> Representation:
    """Record an earlier client of a lawyer: the lawyer declares it, or staff who manage
    mediation where the lawyer is on the roster."""
    rosters = Membership.objects.filter(user=lawyer, role=Role.LAWYER, is_active=True)
    if not rosters.exists():
        raise ValidationError({"lawyer": [_("This person is not on a lawyers' roster.")]})
    if by.pk != lawyer.pk and not any(
        get_scope(by).covers_unit(m.unit, Perm.MEDIATION_MANAGE)
        for m in rosters.select_related("unit")
    ):
        audit.record_failure(actor=by, action="mediation.representation_added.denied")
        raise PermissionDenied(_("You may not keep this lawyer's record."))
    if not client_name.strip():
        raise ValidationError({"client_name": [_("Give the client's name.")]})
    if not (id_number.strip() or phone.strip() or resident):
        raise ValidationError(
            {"id_number": [_("Give the client's ID number or phone, so that a conflict is found.")]}
        )
    digits = normalise_phone(phone)
    with transaction.atomic():
        row = Representation.objects.create(
            lawyer=lawyer,
            client_name=client_name.strip()[:60],
            resident=resident,
            id_number_index=blind_index(id_number.strip().upper(), ID_PURPOSE)
            if id_number.strip()
            else "",
            phone_index=blind_index(digits, PHONE_PURPOSE) if digits else "",
            note=note.strip()[:200],
            since=since,
        )
        audit.record(
            actor=by, action="mediation.representation_added", obj=row, data={"lawyer": lawyer.pk}
        )
    return row
