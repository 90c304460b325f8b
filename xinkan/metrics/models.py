"""Aggregates behind the performance indicators (docs/metrics.md).

Three tables, all derived from the matters' own rows and rebuilt from them by `rebuild_metrics`:

- `MatterPart`: what one matter contributes — one row per (matter, part, seq), dated and attributed
  to the unit and department that handled the matter at that moment. The drill-down lists these
  rows, so a list's count equals the figure by construction.
- `DailyFact`: the sum of the parts per (day, unit, department, category, part).
- `MonthlyFact`: the same per (month, unit, department, part) — no category, small enough that a
  city's twelve-month trend is a scan of a few thousand rows.

Written only by `xinkan.metrics.aggregation` (the periodic job and the rebuild), under one lock.
"""

from __future__ import annotations

from django.db import models
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
    matter = models.ForeignKey(
        "matters.Matter", on_delete=models.CASCADE, related_name="metric_parts"
    )
    part = models.CharField(max_length=20, choices=Part.choices)
    # Which follow-up (0, 1, 2 …) for the follow-up parts; 0 for the once-per-matter parts.
    seq = models.PositiveSmallIntegerField(default=0)
    day = models.DateField()
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    department_key = models.BigIntegerField(default=NO_DEPARTMENT)
    category = models.ForeignKey("matters.Category", on_delete=models.CASCADE, related_name="+")
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
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    department_key = models.BigIntegerField(default=NO_DEPARTMENT)
    category = models.ForeignKey("matters.Category", on_delete=models.CASCADE, related_name="+")
    part = models.CharField(max_length=20, choices=Part.choices)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "department_key", "category", "part"],
                name="metrics_daily_unique",
            )
        ]
        indexes = [models.Index(fields=["department_key", "day"], name="metrics_daily_dept")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.part}={self.value}"


class MonthlyFact(models.Model):
    month = models.DateField()  # the first day of the month
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
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


class Progress(models.Model):
    """How far the periodic job has read the matters' history; its row is also the job's lock."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"
