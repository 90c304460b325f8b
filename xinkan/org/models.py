"""The unit tree, functional departments, and who holds which role where.

The tree is a materialized path (docs/adr/0001-unit-tree-materialized-path.md): each unit's
`path` is its ancestors' ids and its own, so a subtree is one indexed prefix query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinkan.org.roles import Role


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    SUBDISTRICT = "subdistrict", _("Subdistrict / town")
    COMMUNITY = "community", _("Community / village")
    GRID = "grid", _("Grid")


LEVEL_RANK: dict[str, int] = {
    Level.CITY: 0,
    Level.DISTRICT: 1,
    Level.SUBDISTRICT: 2,
    Level.COMMUNITY: 3,
    Level.GRID: 4,
}

PATH_SEGMENT_WIDTH = 8  # zero-padded id per level: "00000012/"


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    # A town (乡镇) is a rural subdistrict, a village (村) a rural community.
    rural = models.BooleanField(_("rural (town / village)"), default=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    address = models.CharField(_("office address"), max_length=200, blank=True)
    phone = models.CharField(_("office phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["level", "path"], name="org_unit_level_path")]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=[choice.value for choice in Level]),
                name="org_unit_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_label(self) -> str:
        if self.rural and self.level == Level.SUBDISTRICT:
            return str(_("Town"))
        if self.rural and self.level == Level.COMMUNITY:
            return str(_("Village"))
        if self.level == Level.SUBDISTRICT:
            return str(_("Subdistrict"))
        if self.level == Level.COMMUNITY:
            return str(_("Community"))
        return str(self.get_level_display())

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class Department(models.Model):
    """A functional department (职能部门) that belongs to a unit, e.g. the district's 住建局."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="departments"
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__path", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="org_department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one unit (and its subtree) or in one department."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    title = models.CharField(_("post"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(department__isnull=True))
                | (Q(unit__isnull=True) & Q(department__isnull=False)),
                name="org_membership_unit_xor_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(unit__isnull=False),
                name="org_membership_unique_unit_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(department__isnull=False),
                name="org_membership_unique_department_role",
            ),
        ]

    def __str__(self) -> str:
        place = self.unit or self.department
        return f"{self.user} · {self.get_role_display()} · {place}"

    @property
    def place(self) -> Unit | Department | None:
        return self.unit or self.department
