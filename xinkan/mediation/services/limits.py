"""Setting the time limit of a step, for everywhere or for a unit and its subtree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.mediation.models import Step, StepLimit

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit


def set_step_limit(
    *, step: int, unit: Unit | None, amount: int, time_unit: str, warn_hours: int, by: User
) -> StepLimit:
    """Create or change the limit of `step` (for `unit`'s subtree, or the default); audited.
    Steps already started keep their deadline; new steps get the new limit."""
    if step not in Step.values:
        raise ValidationError({"step": [_("Choose a step of the ladder.")]})
    if amount < 1:
        raise ValidationError({"amount": [_("A time limit is at least one day.")]})
    if time_unit not in {"days", "working_days"}:
        raise ValidationError({"time_unit": [_("Count in calendar days or working days.")]})
    with transaction.atomic():
        limit, created = StepLimit.objects.update_or_create(
            step=step,
            unit=unit,
            defaults={"amount": amount, "time_unit": time_unit, "warn_hours": warn_hours},
        )
        audit.record(
            actor=by,
            action="mediation.step_limit_set",
            obj=limit,
            unit=unit,
            data={"step": step, "amount": amount, "time_unit": time_unit, "created": created},
        )
    return limit
