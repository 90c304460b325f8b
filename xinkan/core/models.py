"""Shared data: the working-day calendar's local corrections."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A day whose working status differs from the calendar library (`chinese_calendar`): the next
    year's public holidays and make-up working days before the library knows them, or a local day
    off. Entered by administrators; the deadline arithmetic reads these first."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'workday' if self.is_working_day else 'holiday'}"


class Heartbeat(models.Model):
    """When a background piece last showed it was alive: each Celery worker's heartbeat task, the
    deadline sweep. The health check compares these with the clock."""

    name = models.CharField(max_length=100, primary_key=True)
    at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
