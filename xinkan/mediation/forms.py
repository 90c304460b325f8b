"""Forms of the mediation pages: short enough to fill in on a phone during a patrol."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.mediation.models import Agreement, DisputeType, Referral, Source, Step, Urgency
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope

PARTY_SLOTS = 3
TERM_SLOTS = 5


class Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RegisterForm(forms.Form):
    title = forms.CharField(
        label=_("What is the dispute about?"),
        max_length=120,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. building materials block the stairs")}
        ),
    )
    dispute_type = forms.ChoiceField(label=_("Type of dispute"), choices=DisputeType.choices)
    unit = forms.ModelChoiceField(label=_("Grid or community"), queryset=Unit.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    source = forms.ChoiceField(label=_("How it came to us"), choices=Source.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    start_step = forms.TypedChoiceField(
        label=_("Start at step"),
        choices=Step.choices,
        coerce=int,
        initial=Step.TEN_HOUSEHOLD,
        required=False,
        empty_value=None,
    )
    start_reason = forms.CharField(
        label=_("Why start above step ①?"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    source_matter = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            scope.units(Perm.MEDIATION_REGISTER)
            .filter(level__in=[Level.GRID, Level.COMMUNITY], is_active=True)
            .order_by("path")
        )
        self.can_start_higher = scope.has_perm(Perm.MEDIATION_MANAGE)
        if not self.can_start_higher:
            del self.fields["start_step"]
            del self.fields["start_reason"]
        for n in range(1, PARTY_SLOTS + 1):
            required = n <= 2
            self.fields[f"p{n}_name"] = forms.CharField(
                label=_("Name"), max_length=60, required=required
            )
            self.fields[f"p{n}_phone"] = forms.CharField(
                label=_("Phone"),
                max_length=20,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )
            self.fields[f"p{n}_id_number"] = forms.CharField(
                label=_("ID number"), max_length=18, required=False
            )
            self.fields[f"p{n}_representative"] = forms.CharField(
                label=_("Representative (if any)"), max_length=60, required=False
            )
            self.fields[f"p{n}_statement"] = forms.CharField(
                label=_("What this side says"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def party_rows(self) -> list[list[forms.BoundField]]:
        return [
            [
                self[f"p{n}_{key}"]
                for key in ("name", "phone", "id_number", "representative", "statement")
            ]
            for n in range(1, PARTY_SLOTS + 1)
        ]


class SessionForm(Versioned):
    at = forms.DateTimeField(
        label=_("Time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("Place"), max_length=120)
    attendees = forms.CharField(
        label=_("Attendees"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    statements = forms.CharField(
        label=_("What each side said"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty for a session still to come (it goes on the calendar)."),
    )
    proposals = forms.CharField(
        label=_("Proposals"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteSessionForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    statements = forms.CharField(
        label=_("What each side said"), widget=forms.Textarea(attrs={"rows": 3})
    )
    proposals = forms.CharField(
        label=_("Proposals"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(Versioned):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReferForm(Versioned):
    to = forms.ChoiceField(label=_("Referred to"), choices=Referral.choices)
    note = forms.CharField(
        label=_("Why, and what the parties were told"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(Versioned):
    user = forms.TypedChoiceField(label=_("Mediator or lawyer"), coerce=int, choices=[])

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = people  # type: ignore[attr-defined]


class SettleForm(Versioned):
    kind = forms.ChoiceField(
        label=_("Agreement"), choices=Agreement.Kind.choices, initial=Agreement.Kind.WRITTEN
    )
    facts = forms.CharField(
        label=_("Main facts of the dispute"), widget=forms.Textarea(attrs={"rows": 3})
    )
    points_at_issue = forms.CharField(
        label=_("Points at issue"), widget=forms.Textarea(attrs={"rows": 2})
    )
    responsibilities = forms.CharField(
        label=_("Responsibilities of each side"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    performance = forms.CharField(
        label=_("How and by when it is performed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())
        for n in range(1, TERM_SLOTS + 1):
            self.fields[f"t{n}_text"] = forms.CharField(
                label=_("Term %(n)d") % {"n": n}, max_length=1000, required=n == 1
            )
            self.fields[f"t{n}_how"] = forms.CharField(
                label=_("How"), max_length=200, required=False
            )
            self.fields[f"t{n}_due"] = forms.DateField(
                label=_("By"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def term_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"t{n}_{key}"] for key in ("text", "how", "due")]
            for n in range(1, TERM_SLOTS + 1)
        ]


class PerformanceForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    performed = forms.TypedChoiceField(
        label=_("Performed?"),
        choices=[("1", _("Performed")), ("0", _("Not performed"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class ConfirmationForm(forms.Form):
    applied = forms.TypedChoiceField(
        label=_("Did the parties ask the court to confirm the agreement?"),
        choices=[("1", _("Yes, they applied")), ("0", _("No"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    dispute_type = forms.ChoiceField(
        label=_("Type of dispute"), required=False, choices=[("", _("All")), *DisputeType.choices]
    )
    step = forms.TypedChoiceField(
        label=_("Step"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All")), *Step.choices],
    )


class PeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return cleaned


class RepresentationForm(forms.Form):
    lawyer = forms.TypedChoiceField(label=_("Lawyer"), coerce=int, choices=[])
    client_name = forms.CharField(label=_("Client's name"), max_length=60)
    id_number = forms.CharField(label=_("Client's ID number"), max_length=18, required=False)
    phone = forms.CharField(
        label=_("Client's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    note = forms.CharField(label=_("What the case was"), max_length=200, required=False)
    since = forms.DateField(
        label=_("Since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, lawyers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lawyer"].choices = lawyers  # type: ignore[attr-defined]
