"""Volunteers (志愿者), their skills and availability, and the service hours recorded for them.

Per the 2021 volunteer-record rules, whoever organises an activity records its hours, and whoever
records certifies them; a volunteer may ask for a correction, which is a new record that
supersedes the old one (the old one is kept).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.core.crypto import EncryptedTextField


class Skill(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    LEGAL = "legal", _("Legal")
    REPAIRS = "repairs", _("Repairs")
    TUTORING = "tutoring", _("Tutoring")
    COUNSELLING = "counselling", _("Psychological counselling")
    COMPANIONSHIP = "companionship", _("Companionship")
    ERRANDS = "errands", _("Errands")
    OTHER = "other", _("Other")


WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


class Volunteer(models.Model):
    name = models.CharField(_("name"), max_length=60)
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="volunteers", verbose_name=_("home unit")
    )
    skills = models.JSONField(_("skills"), default=list)
    # Weekdays 0 (Monday) … 6 (Sunday) the volunteer is usually free, and a note ("evenings").
    available_days = models.JSONField(_("available days"), default=list)
    available_note = models.CharField(_("availability"), max_length=100, blank=True)
    max_pairings = models.PositiveSmallIntegerField(_("at most this many pairings"), default=2)
    is_active = models.BooleanField(default=True)
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["unit_id", "name", "pk"]
        indexes = [models.Index(fields=["unit", "name"], name="volunteer_unit_name")]

    def __str__(self) -> str:
        return self.name

    def skill_labels(self) -> list[str]:
        return [str(Skill(s).label) for s in self.skills if s in Skill.values]

    def day_labels(self) -> list[str]:
        return [str(WEEKDAYS[d]) for d in self.available_days if 0 <= d < 7]


class ServiceRecord(models.Model):
    """Hours of one activity, recorded by the organising unit."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="records")
    activity = models.CharField(_("activity"), max_length=120)
    served_on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    organiser = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("organised by")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # A correction supersedes the record it corrects; the old one stays, marked.
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )
    correction_reason = models.CharField(max_length=200, blank=True)
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-served_on", "-pk"]
        indexes = [
            models.Index(
                fields=["volunteer"], condition=Q(superseded=False), name="service_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.served_on} {self.hours}h"


class Team(models.Model):
    """A service team (服务队) of volunteers by specialty, with its leader."""

    name = models.CharField(_("name"), max_length=60)
    skill = models.CharField(_("specialty"), max_length=16, choices=Skill.choices)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="volunteer_teams", verbose_name=_("unit")
    )
    leader = models.ForeignKey(
        Volunteer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(Volunteer, related_name="teams", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unit_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="team_name_unique_in_unit")
        ]

    def __str__(self) -> str:
        return self.name
