"""Households and residents: the archive every other feature refers to.

The foundation keeps the basic facts; the residents feature adds ID numbers and phones (encrypted),
colour categories, needs and care visits.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit_id", "name", "pk"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [models.Index(fields=["unit", "name"], name="residents_unit_name")]

    def __str__(self) -> str:
        return self.name

    def age(self, today: dt.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        today = today or dt.date.today()
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday
