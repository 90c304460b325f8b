"""Donation drives (募捐活动, e.g. the "衣+衣=爱" winter clothing drive) and stations — donation
stations (爱心捐助站) and neighbourhood mutual-aid stations (邻里互助站).

Both hold goods: what came in and what went out are `Movement` rows, never edited. What a drive or
a station holds of an item type is what came in less what went out, summed from those rows (no
stock counter to drift); services.py serialises the outs of one holder with a row lock, so a
holder never gives more than it holds. Help given as a service (a bicycle repaired, a wheelchair
lent) is an out of the item type "service", which holds no stock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ItemType(models.TextChoices):
    CLOTHING = "clothing", _("Clothing")
    BEDDING = "bedding", _("Bedding")
    FOOD = "food", _("Food")
    BOOKS = "books", _("Books and stationery")
    DAILY = "daily", _("Daily necessities")
    CASH = "cash", _("Cash (yuan)")
    OTHER = "other", _("Other goods")
    SERVICE = "service", _("Help given as a service")


# Goods a drive collects (a service is given, not collected).
GOODS = [choice for choice in ItemType if choice != ItemType.SERVICE]
DEFAULT_UNIT_WORDS = {ItemType.CASH: _("yuan"), ItemType.SERVICE: _("times")}
ITEMS_WORD = _("items")


def unit_word_for(item_type: str) -> str:
    return str(DEFAULT_UNIT_WORDS.get(item_type, ITEMS_WORD))  # type: ignore[call-overload]


class DriveStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("drive status", "Planned")
    OPEN = "open", pgettext_lazy("drive status", "Open")
    CLOSED = "closed", pgettext_lazy("drive status", "Closed")


class Drive(models.Model):
    """A donation drive organised by a unit. Its communities collect for it: a subdistrict's drive
    is seen, and collected for, by the communities below (access.py)."""

    name = models.CharField(_("name"), max_length=80)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="drives", verbose_name=_("organiser")
    )
    description = models.TextField(pgettext_lazy("aid", "description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=DriveStatus.choices, default=DriveStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["unit", "starts_on"], name="aid_drive_unit_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="aid_drive_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DriveStatus.values), name="aid_drive_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("aid:drive", args=[self.pk])


class StationKind(models.TextChoices):
    DONATION = "donation", _("Donation station")
    MUTUAL_AID = "mutual_aid", _("Neighbourhood mutual-aid station")


class Station(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=StationKind.choices)
    name = models.CharField(_("name"), max_length=80)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="stations", verbose_name=_("run by")
    )
    address = models.CharField(_("address"), max_length=200)
    hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    keeper = models.CharField(_("keeper"), max_length=60, blank=True)
    is_active = models.BooleanField(_("open"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unit_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="aid_station_name_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=StationKind.values), name="aid_station_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("aid:station", args=[self.pk])


class Direction(models.TextChoices):
    IN = "in", pgettext_lazy("donations", "Received")
    OUT = "out", pgettext_lazy("donations", "Given")


class Movement(models.Model):
    """Something received (in) or given (out) by one drive or one station."""

    drive = models.ForeignKey(
        Drive, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    item_type = models.CharField(_("item type"), max_length=8, choices=ItemType.choices)
    description = models.CharField(pgettext_lazy("aid", "description"), max_length=120, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_word = models.CharField(_("counted in"), max_length=8, blank=True)
    # In: who gave (blank: anonymous). Out: the household helped, and the person if known.
    donor = models.CharField(_("donor"), max_length=60, blank=True)
    household = models.ForeignKey(
        "residents.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aid_received",
        verbose_name=_("household"),
    )
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where it happened, for scope: the collecting unit of an in, the household's unit of an out.
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["drive", "direction", "item_type"], name="aid_move_drive"),
            models.Index(fields=["station", "direction", "item_type"], name="aid_move_station"),
            models.Index(fields=["unit", "date"], name="aid_move_unit_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(drive__isnull=False, station__isnull=True)
                | Q(drive__isnull=True, station__isnull=False),
                name="aid_move_one_holder",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="aid_move_quantity_positive"),
            models.CheckConstraint(
                condition=Q(direction=Direction.OUT, household__isnull=False)
                | Q(direction=Direction.IN, household__isnull=True),
                name="aid_move_out_to_a_household",
            ),
            models.CheckConstraint(
                condition=~Q(item_type=ItemType.SERVICE)
                | Q(direction=Direction.OUT, station__isnull=False),
                name="aid_move_service_given_by_station",
            ),
            models.CheckConstraint(
                condition=Q(item_type__in=ItemType.values), name="aid_move_item_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.item_type} {self.quantity}"

    @property
    def counted_in(self) -> str:
        return self.unit_word or unit_word_for(self.item_type)
