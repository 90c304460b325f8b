"""Hot spots (未诉先办) and problem-of-the-month campaigns (每月一题).

A hot spot is a cluster of similar matters that many residents of one area raised within the
last weeks: found by the periodic job (xinkan/hotspots/detection.py) and stored here, so that a
page view reads a few rows instead of comparing thousands of texts. The rows are derived data,
replaced by each run; what leaders decide about them (a proactive matter, a campaign) lives in
the matters themselves and in `Campaign`, never in a hot spot row.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.matters.models import Matter


class HotSpot(models.Model):
    # "<area id>:<category id>:<first matter id>": the same cluster keeps its row (and its page's
    # address) from one run to the next while its first matter stays in the window.
    key = models.CharField(max_length=64, unique=True)
    # The community whose grids the reports come from (neighbouring grids), or the unit itself for
    # matters placed above community level.
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "matters.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    # The most typical report: similar to the most others (shown first).
    center = models.ForeignKey(
        "matters.Matter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matters: models.ManyToManyField[Matter, HotSpotMatter] = models.ManyToManyField(
        "matters.Matter", through="HotSpotMatter", related_name="hot_spots"
    )
    # Matters of the current window, and similar ones of the window before (for growth).
    size = models.PositiveIntegerField(_("reports"))
    previous = models.PositiveIntegerField(_("reports in the previous window"))
    # Distinct residents (by archive entry, phone or ID number), and anonymous reports (each one).
    residents = models.PositiveIntegerField(_("residents"))
    anonymous = models.PositiveIntegerField(_("anonymous reports"))
    places = models.PositiveIntegerField(_("grids"))
    score = models.FloatField()
    keywords = models.CharField(max_length=120, blank=True)
    # More matters in the group than the job compares: the figures are a lower bound.
    capped = models.BooleanField(default=False)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["-score", "-size", "pk"]
        verbose_name = _("hot spot")
        verbose_name_plural = _("hot spots")
        indexes = [models.Index(fields=["unit", "-score"], name="hotspot_unit_score")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.category_id}: {self.size}"

    @property
    def people(self) -> int:
        return self.residents + self.anonymous

    @property
    def growth(self) -> int:
        return self.size - self.previous


class HotSpotMatter(models.Model):
    hotspot = models.ForeignKey(HotSpot, on_delete=models.CASCADE, related_name="members")
    matter = models.ForeignKey("matters.Matter", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hotspot", "matter"], name="hotspot_matter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hotspot_id} {self.matter_id}"


class HotSpotRun(models.Model):
    """The last run of the job (one row): when, over which window, and how long it took. Its row
    lock keeps two workers from storing at once. A hot spot row changes only when its own figures
    do, so that a run rewrites little."""

    name = models.CharField(max_length=32, unique=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(default=30)
    matters = models.PositiveIntegerField(default=0)
    hot_spots = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.name} {self.computed_at}"

    @property
    def window_start(self) -> dt.datetime | None:
        if self.computed_at is None:
            return None
        return self.computed_at - dt.timedelta(days=self.window_days)


class Campaign(models.Model):
    """每月一题: one problem taken up as the unit's problem of the month, with a responsible
    department, a target, the matters it answers, and notes on its progress."""

    title = models.CharField(_("title"), max_length=120)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="campaigns"
    )
    month = models.DateField(_("month"))  # the first day of the month
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    target = models.TextField(_("target"))
    category = models.ForeignKey(
        "matters.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The hot spot it was started from ("" when started otherwise): one campaign per hot spot and
    # month, so a form sent twice starts one.
    source_key = models.CharField(max_length=64, blank=True)
    matters: models.ManyToManyField[Matter, CampaignMatter] = models.ManyToManyField(
        "matters.Matter", through="CampaignMatter", related_name="campaigns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.UniqueConstraint(
                fields=["source_key", "month"],
                condition=~Q(source_key=""),
                name="campaign_one_per_hotspot_month",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="campaign_month_first_day"),
        ]

    def __str__(self) -> str:
        return self.title


class CampaignMatter(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "matter"], name="campaign_matter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.matter_id}"


class CampaignNote(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("progress"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.at:%Y-%m-%d}"
