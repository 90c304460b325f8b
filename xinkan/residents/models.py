"""Households and residents: the archive every other feature refers to.

The foundation keeps the basic facts; the residents feature adds ID numbers and phones (encrypted),
colour categories, needs and care visits.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.core.crypto import EncryptedTextField


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Not stated")


class Household(models.Model):
    code = models.CharField(_("household number"), max_length=40, unique=True)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("grid / community"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    address = models.CharField(_("address"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.address


class Resident(models.Model):
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    relation = models.CharField(_("relation to the head"), max_length=20, blank=True)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("grid / community"),
        on_delete=models.PROTECT,
        related_name="residents",
    )
    name = models.CharField(_("name"), max_length=60, db_index=True)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    # Free labels the community uses (党员, 退役军人, 楼栋长 …), short and few.
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Encrypted at rest; found by exact value through the keyed hash beside each (crypto.py).
    id_number = EncryptedTextField(_("ID number"), blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit_id", "name", "pk"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [models.Index(fields=["unit", "name"], name="residents_unit_name")]
        constraints = [
            # One archive entry per ID number.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~Q(id_number_index=""),
                name="resident_id_number_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def age(self, today: dt.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        today = today or dt.date.today()
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday


class Colour(models.TextChoices):
    """赤橙黄绿青蓝紫."""

    RED = "red", _("Red")
    ORANGE = "orange", _("Orange")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")
    CYAN = "cyan", _("Cyan")
    BLUE = "blue", _("Blue")
    PURPLE = "purple", _("Purple")


class ColourCategory(models.Model):
    """One colour of the scheme, its meaning and how often its residents are visited. A sensitive
    category (health, disability, subsistence allowance, key person: PIPL Art. 28) is seen only by
    roles permitted for it, and each view is audited."""

    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices, unique=True)
    name = models.CharField(_("meaning"), max_length=40)
    description = models.CharField(_("description"), max_length=200, blank=True)
    visit_every_days = models.PositiveIntegerField(_("visit every (days)"), null=True, blank=True)
    sensitive = models.BooleanField(_("sensitive personal information"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("colour category")
        verbose_name_plural = _("colour categories")

    def __str__(self) -> str:
        return self.name


class ResidentColour(models.Model):
    """A resident in a colour category, from when and why; ended, never deleted."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="colours")
    category = models.ForeignKey(ColourCategory, on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"), default=timezone.localdate)
    reason = models.CharField(_("reason"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["resident", "category_id", "-since"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "category"],
                condition=Q(ended_on__isnull=True),
                name="resident_colour_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["category", "resident"],
                condition=Q(ended_on__isnull=True),
                name="resident_colour_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.category_id}"


class CareVisit(models.Model):
    """A care visit (走访): who went, when, what was found."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="visits")
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("visited on"), default=timezone.localdate)
    found = models.TextField(_("what was found"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["resident", "-visited_on"], name="care_visit_latest")]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.visited_on}"


class NeedType(models.TextChoices):
    DAILY_CARE = "daily_care", _("Daily care")
    MEDICAL = "medical", _("Medical care")
    REPAIRS = "repairs", _("Repairs at home")
    ERRANDS = "errands", _("Errands and shopping")
    COMPANIONSHIP = "companionship", _("Companionship")
    COUNSELLING = "counselling", _("Psychological counselling")
    TUTORING = "tutoring", _("Tutoring")
    LEGAL = "legal", _("Legal help")
    HARDSHIP = "hardship", _("Financial hardship")
    OTHER = "other", _("Other")


class Need(models.Model):
    """What a resident needs help with; open until closed with a reason. Pairings with volunteers
    (the volunteers feature) say who is helping."""

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="needs")
    need_type = models.CharField(_("kind of help"), max_length=16, choices=NeedType.choices)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    frequency = models.CharField(_("how often"), max_length=60, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(
                fields=["need_type", "-opened_at"],
                condition=Q(closed_at__isnull=True),
                name="need_open_by_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.need_type}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ImportJob(models.Model):
    """One upload of households and residents (imports/): who, for which unit, how far it got and
    which rows failed and why. The uploaded file is kept only until the job ends."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=200)
    # The upload itself, read by the worker and emptied when the job ends (bounded by the upload
    # limit; the command line imports from its file and never stores it).
    content = models.BinaryField(null=True, blank=True, editable=False)
    # The uploader's language, for the messages of the report.
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    # [{"row": 7, "column": "身份证号", "message": "…", "value": "1101**********1234"}], capped.
    report = models.JSONField(default=list, blank=True)
    error = models.CharField(_("why the import failed"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_recent")]

    def __str__(self) -> str:
        return f"{self.pk} {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)
