from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xinkan.admin_site import ManagedAdmin, acting_user, admin_site
from xinkan.mediation.models import StepLimit
from xinkan.mediation.services.limits import set_step_limit


@admin.register(StepLimit, site=admin_site)
class StepLimitAdmin(ManagedAdmin):
    """Time limits of the ladder's steps: the defaults (no unit) and a unit's own."""

    scope_field = None  # the defaults have no unit; a unit's limit names its unit
    list_display = ["step", "unit", "amount", "time_unit", "warn_hours"]
    list_filter = ["step", "time_unit"]
    fields = ["step", "unit", "amount", "time_unit", "warn_hours"]

    def save_model(self, request: HttpRequest, obj: StepLimit, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = set_step_limit(
            step=data["step"],
            unit=data["unit"],
            amount=data["amount"],
            time_unit=data["time_unit"],
            warn_hours=data["warn_hours"],
            by=acting_user(request),
        )
        obj.pk = saved.pk
