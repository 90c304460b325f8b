"""Forms of the hot spot and campaign pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.hotspots.services import MAX_TEXT, MAX_TITLE, campaign_departments, month_of
from xinkan.matters.models import parse_code
from xinkan.org.models import Department, Unit

MONTHS_AHEAD = 3


def month_choices(today: dt.date | None = None) -> list[tuple[str, str]]:
    """The month before, this month and the next few ("2026-11-01", "2026-11")."""
    first = month_of(today or timezone.localdate())
    months = [(first - dt.timedelta(days=1)).replace(day=1), first]
    for _i in range(MONTHS_AHEAD):
        months.append((months[-1] + dt.timedelta(days=32)).replace(day=1))
    return [(month.isoformat(), f"{month:%Y-%m}") for month in months]


class ActForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    description = forms.CharField(
        label=_("What is to be done"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    month = forms.ChoiceField(label=_("Month"))
    department = forms.ModelChoiceField(
        label=_("Responsible department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("The unit itself"),
    )
    target = forms.CharField(
        label=_("Target"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What counts as done, e.g. the lift repaired and inspected by the month's end."
        ),
    )

    def __init__(self, *args: Any, units: list[Unit], area: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[unit.pk for unit in units]
        ).order_by("-depth")
        self.fields["department"].queryset = campaign_departments(area)  # type: ignore[attr-defined]
        self.fields["month"].choices = month_choices()  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("month", month_of(timezone.localdate()).isoformat())

    def clean_month(self) -> dt.date:
        return dt.date.fromisoformat(self.cleaned_data["month"])


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Progress"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class AddMatterForm(forms.Form):
    code = forms.CharField(label=_("Matter code"), max_length=24)

    def clean_code(self) -> tuple[int, int]:
        parsed = parse_code(self.cleaned_data["code"])
        if parsed is None:
            raise forms.ValidationError(_("Enter a matter code such as XK-2026-000123."))
        return parsed
