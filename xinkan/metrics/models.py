"""Aggregates behind the performance indicators (docs/metrics.md).

The tables below, all derived from the matters' own rows and rebuilt from them by `rebuild_metrics`:

- `MatterPart`: what one matter contributes — one row per (matter, part, seq), dated and attributed
  to the unit and department that handled the matter at that moment. The drill-down lists these
  rows, so a list's count equals the figure by construction.
- `DailyFact`: the sum of the parts per (day, unit, department, category, part).
- `MonthlyFact`: the same per (month, unit, department, part) — no category.
- `SubtreeMonthFact`: the monthly sums of each unit's whole subtree (every unit above a fact's unit,
  and that unit itself, gets the fact), summed over departments: a unit's figures and its trend are
  a few hundred rows whatever the size of the tree below it.
- `SubtreeDayFact`: the same per day, for the units of the levels in
  `XINKAN_METRICS_DAILY_SUBTREE_LEVELS` (by default the city, districts and subdistricts): the days
  of a period that are not whole months. Below those levels a unit's days are read from
  `DailyFact`, a few thousand rows at most.
- `SubtreeCategoryMonthFact`: the monthly sums of those same units' subtrees per category: a
  category filter at a city or a district reads its own few hundred rows, not the millions of
  daily facts of that category under it.
- `DisputeMonthFact` and `SubtreeDisputeMonthFact`: mediation's figures (DisputePart), kept the
  same way from the disputes (xinkan/metrics/dispute_facts.py): the disputes registered in a month
  at one unit by what became of them, and the same per unit's whole subtree.

Written only by `xinkan.metrics.aggregation` (the periodic job and the rebuild), under one lock.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# 0 in `department_key`: no department took part (the unit handled the matter itself). A plain
# integer rather than a nullable foreign key so that the key columns are a unique key (NULLs are
# distinct in a unique constraint).
NO_DEPARTMENT = 0


class Part(models.TextChoices):
    """The countable parts the indicators are made of (definitions: xinkan/metrics/definitions.py)."""

    REGISTERED = "registered", _("Registered")
    SKIP_LEVEL = "skip_level", _("Skip-level")
    REPEAT = "repeat", _("Repeat visits")
    MULTI_DEPARTMENT = "multi_department", _("Multi-department")
    ANSWERED = "answered", _("Answered")
    REWORKED = "reworked", _("Sent back for review")
    RESOLVED = "resolved", _("Resolved")
    ON_TIME = "on_time", _("Resolved on time")
    RESOLVE_SECONDS = "resolve_seconds", _("Time to resolve")
    OVERDUE = "overdue", _("Went overdue")
    SUPERVISED = "supervised", _("Supervised")
    FOLLOW_UPS = "follow_ups", _("Valid follow-ups")
    CONTACTED = "contacted", _("Contacted")
    SOLVED = "solved", _("Solved")
    SATISFIED = "satisfied", _("Satisfied")
    MOSTLY = "mostly", _("Mostly satisfied")


class MatterPart(models.Model):
    # Derived rows, rebuilt from the matters: no database foreign-key checks (the rebuild writes
    # millions of rows, and each deferred check took a row lock on the unit or matter at commit,
    # most of the rebuild's time). Deletions still cascade through Django.
    # No index of its own: the unique (matter, part, seq) index below serves a matter's rows.
    matter = models.ForeignKey(
        "matters.Matter",
        on_delete=models.CASCADE,
        related_name="metric_parts",
        db_constraint=False,
        db_index=False,
    )
    part = models.CharField(max_length=20, choices=Part.choices)
    # Which follow-up (0, 1, 2 …) for the follow-up parts; 0 for the once-per-matter parts.
    seq = models.PositiveSmallIntegerField(default=0)
    day = models.DateField()
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    department_key = models.BigIntegerField(default=NO_DEPARTMENT)
    category = models.ForeignKey(
        "matters.Category", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    value = models.BigIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "part", "seq"], name="metrics_part_unique")
        ]
        indexes = [
            models.Index(fields=["part", "day", "unit"], name="metrics_part_drill"),
            models.Index(fields=["part", "department_key", "day"], name="metrics_part_dept"),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.part}#{self.seq} {self.day}"


class DailyFact(models.Model):
    day = models.DateField()
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    department_key = models.BigIntegerField(default=NO_DEPARTMENT)
    # No index of its own: `metrics_daily_category` (category, day) below serves a category's rows.
    category = models.ForeignKey(
        "matters.Category",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    part = models.CharField(max_length=20, choices=Part.choices)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "department_key", "category", "part"],
                name="metrics_daily_unique",
            )
        ]
        indexes = [
            models.Index(fields=["department_key", "day"], name="metrics_daily_dept"),
            # The category filter of the pages: a category's days, not every category's, read
            # from the index alone on PostgreSQL (INCLUDE: about half the time of fetching the
            # rows; SQLite has no INCLUDE and keeps the plain index).
            models.Index(
                fields=["category", "day"],
                include=["unit", "part", "value"],
                name="metrics_daily_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.part}={self.value}"


class MonthlyFact(models.Model):
    month = models.DateField()  # the first day of the month
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    department_key = models.BigIntegerField(default=NO_DEPARTMENT)
    part = models.CharField(max_length=20, choices=Part.choices)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit", "department_key", "part"], name="metrics_monthly_unique"
            )
        ]
        indexes = [models.Index(fields=["department_key", "month"], name="metrics_monthly_dept")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.part}={self.value}"


class SubtreeFact(models.Model):
    """A unit's whole-subtree sum of one part (the two tables below differ only in the date)."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    part = models.CharField(max_length=20, choices=Part.choices)
    value = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class SubtreeMonthFact(SubtreeFact):
    month = models.DateField()  # the first day of the month

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "part"], name="metrics_subtree_month_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id}/* {self.part}={self.value}"


class SubtreeDayFact(SubtreeFact):
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "day", "part"], name="metrics_subtree_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id}/* {self.part}={self.value}"


class SubtreeCategoryMonthFact(SubtreeFact):
    """A unit's whole-subtree sum of one part in one (leaf) category and month, for the units of
    the daily levels only."""

    month = models.DateField()  # the first day of the month
    category = models.ForeignKey(
        "matters.Category",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "category", "part"],
                name="metrics_subtree_category_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id}/* {self.category_id} {self.part}={self.value}"


class DisputePart(models.TextChoices):
    """What the disputes registered in a month became (mediation's cohort, mediation/indicators.py):
    the parts of the settlement rate, the steps of settlement and the days to settle."""

    REGISTERED = "registered", _("Disputes registered")
    MEDIATING = "mediating", _("Being mediated")
    SETTLED = "settled", _("Settled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REFERRED = "referred", _("Referred elsewhere")
    SETTLED_AT_1 = "settled_at_1", _("Settled at step ①")
    SETTLED_AT_2 = "settled_at_2", _("Settled at step ②")
    SETTLED_AT_3 = "settled_at_3", _("Settled at step ③")
    SETTLED_AT_4 = "settled_at_4", _("Settled at step ④")
    SETTLE_SECONDS = "settle_seconds", _("Time to settle")


class DisputeFact(models.Model):
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    month = models.DateField()  # the first day of the month the disputes were registered in
    part = models.CharField(max_length=20, choices=DisputePart.choices)
    value = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class DisputeMonthFact(DisputeFact):
    """The disputes registered in a month at one unit (their place)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "part"], name="metrics_dispute_month_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.part}={self.value}"


class SubtreeDisputeMonthFact(DisputeFact):
    """The disputes registered in a month anywhere in a unit's subtree."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "part"], name="metrics_subtree_dispute_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id}/* {self.part}={self.value}"


class Progress(models.Model):
    """How far the periodic job has read the matters' history; its row is also the job's lock."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"


def report_path(instance: MonthlyReport, filename: str) -> str:
    # A random name under the month's folder of the media storage, never served as a static
    # file: each download checks the reader's scope (reports.get_report_for_user).
    return f"metrics/reports/{instance.month:%Y-%m}/{uuid.uuid4().hex}.pdf"


class MonthlyReport(models.Model):
    """A unit's monthly report (月度工作报告) as a Chinese PDF, generated in the background
    (reports.py) and kept for download. One per unit and month; regenerating replaces the file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))  # the first day of the month
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    file = models.FileField(upload_to=report_path, max_length=200, blank=True)
    size = models.PositiveIntegerField(default=0)
    # The figures printed, as computed (selectors.dashboard's values, the ranking position, the
    # overdue cases' codes): what the file says, readable without opening it.
    figures = models.JSONField(default=dict, blank=True)
    # Empty when the schedule asked for it.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(_("why it failed"), max_length=300, blank=True)

    class Meta:
        ordering = ["-month", "unit__path"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="metrics_report_unique"),
        ]
        indexes = [models.Index(fields=["month", "status"], name="metrics_report_month")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
