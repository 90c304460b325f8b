"""The forms of the drives and stations pages: parsing only; the rules are in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinkan.aid.models import GOODS, ItemType, StationKind
from xinkan.org.models import Unit


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class _UnitsForm(forms.Form):
    unit_field = "unit"

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.unit_field].queryset = units  # type: ignore[attr-defined]


class DriveForm(_UnitsForm):
    name = forms.CharField(label=_("Drive name"), max_length=80)
    unit = forms.ModelChoiceField(label=_("Organiser"), queryset=Unit.objects.none())
    starts_on = _date(_("Starts on"))
    ends_on = _date(_("Ends on"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class StationForm(_UnitsForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=StationKind.choices)
    name = forms.CharField(label=_("Station name"), max_length=80)
    unit = forms.ModelChoiceField(label=_("Run by"), queryset=Unit.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200)
    hours = forms.CharField(label=_("Opening hours"), max_length=100, required=False)
    keeper = forms.CharField(label=_("Keeper"), max_length=60, required=False)


class _ItemsForm(forms.Form):
    item_type = forms.ChoiceField(label=_("Item type"), choices=[(c.value, c.label) for c in GOODS])
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    unit_word = forms.CharField(
        label=_("Counted in"),
        max_length=8,
        required=False,
        help_text=_("e.g. pieces, bags; leave blank for the usual word"),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    date = _date(_("Date"))


class ReceiptForm(_ItemsForm):
    """Donations received by a drive, at one of the units collecting for it."""

    donor = forms.CharField(
        label=_("Donor"), max_length=60, required=False, help_text=_("Leave blank if anonymous")
    )
    unit = forms.ModelChoiceField(label=_("Collected at"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class StationInForm(_ItemsForm):
    donor = forms.CharField(
        label=_("Donor"), max_length=60, required=False, help_text=_("Leave blank if anonymous")
    )


class GiftForm(_ItemsForm):
    """Help given to a household, found by its household number."""

    household = forms.CharField(
        label=_("Household number"),
        max_length=40,
        widget=forms.TextInput(attrs={"list": "households", "autocomplete": "off"}),
    )
    resident = forms.CharField(
        label=_("Person helped (name, optional)"), max_length=60, required=False
    )
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)


class StationOutForm(GiftForm):
    item_type = forms.ChoiceField(label=_("Item type"), choices=ItemType.choices)
