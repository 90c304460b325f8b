"""The square's forms: staff forms to plan and run a session, and the residents' question form
(short and phone-sized)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinkan.matters.forms import category_choices
from xinkan.matters.models import Category
from xinkan.org.models import Department, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope
from xinkan.square.models import OnSpot, Panelist, Session

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ORGANISING_LEVELS = [Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY]


class SessionForm(forms.Form):
    theme = forms.CharField(label=_("Theme"), max_length=120)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME, required=False)
    place = forms.CharField(label=_("Place"), max_length=200)
    unit = forms.ModelChoiceField(label=_("Organising unit"), queryset=Unit.objects.none())
    description = forms.CharField(
        label=_("What the session is about"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    broadcast_media = forms.CharField(
        label=_("Broadcast by (television, radio, online)"), max_length=120, required=False
    )
    broadcast_url = forms.URLField(label=_("Broadcast link"), required=False, assume_scheme="https")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            scope.units(Perm.SQUARE_RUN)
            .filter(level__in=ORGANISING_LEVELS, is_active=True)
            .order_by("path")
        )
        if not self.is_bound and "idempotency_key" not in self.initial:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class PanelistForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    leader_name = forms.CharField(label=_("Leader who answers"), max_length=60)
    leader_title = forms.CharField(label=_("Post"), max_length=60, required=False)

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = [*session.unit.ancestor_ids(), session.unit_id]
        self.fields["department"].queryset = (  # type: ignore[attr-defined]
            Department.objects.filter(unit_id__in=units, is_active=True)
            .exclude(square_panels__session=session)
            .order_by("unit__path", "code")
        )


def _communities(session: Session) -> Any:
    return (
        Unit.objects.filter(
            path__startswith=session.unit.path, level=Level.COMMUNITY, is_active=True
        )
        .select_related("parent")
        .order_by("path")
    )


def _community_label(unit: Unit) -> str:
    return f"{unit.parent.name} · {unit.name}" if unit.parent else unit.name


class AskForm(forms.Form):
    """A resident's question, sent in before the session."""

    text = forms.CharField(
        label=_("Your question"),
        min_length=6,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Published with the answer after the session, without your name."),
    )
    community = forms.ModelChoiceField(
        label=_("Your community or village (optional)"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("Choose…"),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Your mobile phone (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Only for the department to reach you if your question needs follow-up."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = _communities(session)  # type: ignore[attr-defined]
        self.fields["community"].label_from_instance = _community_label  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class LiveQuestionForm(forms.Form):
    """A question asked at the session, registered by staff."""

    text = forms.CharField(
        label=_("Question"), min_length=6, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    panelist = forms.ModelChoiceField(
        label=_("Put to"), queryset=Panelist.objects.none(), required=False
    )
    asker_name = forms.CharField(label=_("Asker's name"), max_length=60, required=False)
    asker_phone = forms.CharField(
        label=_("Asker's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    community = forms.ModelChoiceField(
        label=_("Community or village"), queryset=Unit.objects.none(), required=False
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["panelist"].queryset = session.panelists.select_related("department")  # type: ignore[attr-defined]
        self.fields["panelist"].label_from_instance = lambda p: p.answerer  # type: ignore[attr-defined]
        self.fields["community"].queryset = _communities(session)  # type: ignore[attr-defined]
        self.fields["community"].label_from_instance = _community_label  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("The answer as given"), widget=forms.Textarea(attrs={"rows": 3})
    )
    on_spot = forms.ChoiceField(
        label=_("Result"), choices=OnSpot.choices, widget=forms.RadioSelect, initial=OnSpot.SOLVED
    )


class PromiseForm(forms.Form):
    answer = forms.CharField(label=_("What was promised"), widget=forms.Textarea(attrs={"rows": 3}))
    due = forms.DateField(label=_("Settled by"), widget=DATE)
    category = forms.TypedChoiceField(label=_("Category of the matter"), coerce=int)

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose…")), *category_choices(language)]  # type: ignore[attr-defined]

    def clean_category(self) -> Category:
        category = Category.objects.filter(pk=self.cleaned_data["category"], is_active=True).first()
        if category is None:
            raise forms.ValidationError(_("Choose what the matter is about."))
        return category


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AttendanceForm(forms.Form):
    attendance = forms.IntegerField(label=_("Participants"), min_value=0, max_value=1_000_000)


class PrepareForm(forms.Form):
    text = forms.CharField(
        label=_("Prepared answer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
