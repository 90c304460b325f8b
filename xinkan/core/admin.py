from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xinkan.admin_site import ManagedAdmin, acting_user, admin_site
from xinkan.core import services
from xinkan.core.models import CalendarDay


@admin.register(CalendarDay, site=admin_site)
class CalendarDayAdmin(ManagedAdmin):
    scope_field = None  # one calendar for the whole deployment
    list_display = ["date", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    fields = ["date", "is_working_day", "note"]

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = services.set_calendar_day(
            date=data["date"],
            is_working_day=data["is_working_day"],
            note=data["note"],
            by=acting_user(request),
        )
        obj.pk = saved.pk
