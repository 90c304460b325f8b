"""The resident portal's forms: short, clear, phone-sized."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinkan.matters.forms import MultipleFileField, category_choices
from xinkan.matters.models import Category, Rating
from xinkan.org.models import Level, Unit


class SubmitForm(forms.Form):
    category = forms.TypedChoiceField(label=_("What is it about?"), coerce=int)
    community = forms.ModelChoiceField(
        label=_("Your community or village"),
        queryset=Unit.objects.none(),
        empty_label=_("Choose…"),
    )
    address = forms.CharField(
        label=_("Where exactly (building, street)?"), max_length=200, required=False
    )
    description = forms.CharField(
        label=_("Tell us what happened and what you need"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    anonymous = forms.BooleanField(label=_("Stay anonymous (no name given)"), required=False)
    name = forms.CharField(label=_("Your name"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Your mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_(
            "With the matter number it lets you follow your matter. Staff see it only to contact you."
        ),
    )
    photos = MultipleFileField(label=_("Photos or documents (optional)"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose…")), *category_choices(language)]  # type: ignore[attr-defined]
        communities = Unit.objects.filter(level=Level.COMMUNITY, is_active=True).select_related(
            "parent"
        )
        self.fields["community"].queryset = communities.order_by("path")  # type: ignore[attr-defined]
        self.fields["community"].label_from_instance = (  # type: ignore[attr-defined]
            lambda unit: f"{unit.parent.name} · {unit.name}" if unit.parent else unit.name
        )
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def clean_category(self) -> Category:
        category = Category.objects.filter(pk=self.cleaned_data["category"], is_active=True).first()
        if category is None:
            raise forms.ValidationError(_("Choose what the matter is about."))
        return category

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        anonymous, name, phone = (
            cleaned.get("anonymous"),
            cleaned.get("name", ""),
            cleaned.get("phone", ""),
        )
        if not anonymous and not name.strip():
            self.add_error("name", _("Give your name, or choose to stay anonymous."))
        if not anonymous and not phone.strip():
            self.add_error("phone", _("Give a phone number so that we can reach you."))
        if anonymous and name.strip():
            self.add_error("name", _("Leave the name empty to stay anonymous."))
        return cleaned


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Matter number"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "XK-2026-000123"}),
    )
    secret = forms.CharField(
        label=_("Your phone number (or the key you were given)"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class RateForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("Are you satisfied with the answer?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the answer not acceptable?"),
        min_length=4,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
