"""Volunteers (志愿者), their skills and availability, and the service hours recorded for them.

Per the 2021 volunteer-record rules, whoever organises an activity records its hours, and whoever
records certifies them; a volunteer may ask for a correction, which is a new record that
supersedes the old one (the old one is kept).
"""

from __future__ import annotations

import datetime as dt

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
    # The volunteer's own account, if any: they see their pairings and hours and log visits.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
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


class Pairing(models.Model):
    """一帮一结对子: a volunteer (or a team) helps one resident with one need, under an assistance
    agreement (定向帮扶协议) that says what help, how often and from when to when. A pairing falls
    behind when its next visit is overdue; the sweep-free check is `next_visit_due < today`."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    code = models.CharField(_("agreement number"), max_length=32, unique=True)
    volunteer = models.ForeignKey(
        Volunteer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("volunteer"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("service team"),
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("assisted resident"),
    )
    need = models.ForeignKey(
        "residents.Need",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("need"),
    )
    # The resident's unit when paired: the community whose worklist the pairing is on.
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    help = models.TextField(_("help agreed"))
    visit_every_days = models.PositiveSmallIntegerField(_("visit every (days)"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    last_visit_on = models.DateField(null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"))
    # Why this volunteer, when the pairing came from a matching proposal.
    match_reasons = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["next_visit_due", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(volunteer__isnull=False, team__isnull=True)
                | Q(volunteer__isnull=True, team__isnull=False),
                name="pairing_volunteer_or_team",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="pairing_dates_in_order"
            ),
            # A need is helped by one active pairing at a time.
            models.UniqueConstraint(
                fields=["need"], condition=Q(status="active"), name="pairing_need_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["unit", "next_visit_due"],
                condition=Q(status="active"),
                name="pairing_active_due",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def helper_name(self) -> str:
        if self.volunteer_id is not None:
            return self.volunteer.name  # type: ignore[union-attr]
        return self.team.name  # type: ignore[union-attr]

    def is_behind(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.ACTIVE and self.next_visit_due < today


class PairingVisit(models.Model):
    """A visit made under a pairing: when, by whom, what was done and found."""

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="visits")
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, related_name="+", verbose_name=_("volunteer")
    )
    visited_on = models.DateField(_("visited on"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, null=True, blank=True)
    notes = models.TextField(_("what was done"))
    # Hours of a visit are service hours, recorded by the pairing's unit (谁组织谁记录).
    service_record = models.OneToOneField(
        ServiceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="visit"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.visited_on}"
