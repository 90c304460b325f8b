"""Forms of the matter pages: they parse input; the services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinkan.matters import extra_fields
from xinkan.matters.attachments import ACCEPT, MAX_BYTES, MAX_FILES
from xinkan.matters.models import Category, Channel, CompanionMode, Outcome, Rating, State
from xinkan.org.models import Department, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _upload_help_text() -> str:
    return gettext(
        "Photos, PDF, Word, Excel, sound or video; up to %(n)d files of %(mb)d MB each."
    ) % {"n": MAX_FILES, "mb": MAX_BYTES // (1024 * 1024)}


_upload_help = lazy(_upload_help_text, str)


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _upload_help())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def category_choices(language: str) -> list[tuple[Any, Any]]:
    groups: list[tuple[Any, Any]] = []
    categories = list(Category.objects.filter(is_active=True).order_by("sort", "code"))
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    for category in categories:
        if category.parent_id:
            continue
        kids = children.get(category.pk, [])
        if kids:
            groups.append(
                (
                    category.label(language),
                    [(category.pk, category.label(language))]
                    + [(k.pk, k.label(language)) for k in kids],
                )
            )
        else:
            groups.append((category.pk, category.label(language)))
    return groups


def extra_field_name(category: Category, code: str) -> str:
    # Two categories may use the same code: the category's id keeps their inputs apart.
    return f"extra_{category.pk}_{code}"


def _extra_form_field(definition: dict[str, Any], language: str) -> forms.Field:
    """An input for one extra field; never required here (only the chosen category's count)."""
    label = extra_fields.field_label(definition, language)
    if definition.get("required"):
        label = gettext("%(label)s (required)") % {"label": label}
    choices = [
        (v["key"], extra_fields.value_name(v, language)) for v in definition.get("values", [])
    ]
    datatype = definition["datatype"]
    if datatype == "multivaluelist":
        return forms.MultipleChoiceField(
            label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
        )
    widget: forms.Widget
    if datatype == "singlevaluelist":
        widget = forms.Select(choices=[("", "—"), *choices])
    elif datatype == "text":
        widget = forms.Textarea(attrs={"rows": 3})
    elif datatype == "number":
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
    elif datatype == "datetime":
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
    else:
        widget = forms.TextInput()
    return forms.CharField(label=label, required=False, widget=widget)


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[c for c in Channel.choices if c[0] != Channel.SYSTEM]
    )
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    unit = forms.ModelChoiceField(
        label=_("Place (grid or community)"), queryset=Unit.objects.none()
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the first line."),
    )
    description = forms.CharField(
        label=_("What the resident says"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    resident = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact_name = forms.CharField(label=_("Resident's name"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    group_size = forms.IntegerField(
        label=_("Number of people"), min_value=1, max_value=100000, initial=1
    )
    representatives = forms.CharField(
        label=_("Representatives (group visit)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: name and phone. At most five."),
    )
    attachments = MultipleFileField(label=_("Attachments"))
    new_facts = forms.BooleanField(
        label=_("The resident brings new facts (register even if a concluded matter matches)"),
        required=False,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, scope: Scope, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *category_choices(language)]  # type: ignore[attr-defined]
        # Inputs for every category that asks for extra fields; only the chosen one's are read.
        self.extra_groups: list[tuple[Category, list[str]]] = []
        with_fields = [c for c in Category.objects.filter(is_active=True) if c.extra_fields]
        for category in with_fields:
            names = []
            for definition in extra_fields.definitions(category):
                name = extra_field_name(category, definition["code"])
                self.fields[name] = _extra_form_field(definition, language)
                names.append(name)
            self.extra_groups.append((category, names))
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            scope.units(Perm.MATTERS_REGISTER)
            .filter(level__in=[Level.GRID, Level.COMMUNITY], is_active=True)
            .order_by("path")
        )
        self.fields["unit"].label_from_instance = lambda unit: unit.name  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean_category(self) -> Category:
        category = Category.objects.filter(pk=self.cleaned_data["category"], is_active=True).first()
        if category is None:
            raise forms.ValidationError(_("Choose a category."))
        return category

    def extra_fieldsets(self) -> list[tuple[Category, list[forms.BoundField]]]:
        return [(category, [self[name] for name in names]) for category, names in self.extra_groups]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        category = data.get("category")
        data["extra"] = {}
        if not isinstance(category, Category) or not category.extra_fields:
            return data
        raw: dict[str, str | list[str]] = {}
        for definition in extra_fields.definitions(category):
            value = data.get(extra_field_name(category, definition["code"]))
            if value:
                raw[definition["code"]] = value
        # The same check the service makes, here to show each message beside its input.
        try:
            data["extra"] = extra_fields.clean_answers(category, raw)
        except forms.ValidationError as exc:
            for code, messages in exc.message_dict.items():
                name = extra_field_name(category, code)
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return data

    def clean_representatives(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data.get("representatives", "").splitlines():
            parts = line.replace("，", " ").replace(",", " ").split()
            if not parts:
                continue
            rows.append((parts[0], parts[1] if len(parts) > 1 else ""))
        return rows


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NoteForm(VersionedForm):
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DispatchForm(VersionedForm):
    lead = forms.ModelChoiceField(label=_("Lead department"), queryset=Department.objects.none())
    co = forms.ModelMultipleChoiceField(
        label=_("Co-handling departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    note = forms.CharField(
        label=_("Instructions"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = departments  # type: ignore[attr-defined]
        self.fields["co"].queryset = departments  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lead, co = cleaned.get("lead"), cleaned.get("co") or []
        if lead and lead in co:
            self.add_error("co", _("The lead department cannot also be a co-handler."))
        return cleaned


class TransferForm(VersionedForm):
    to = forms.ModelChoiceField(label=_("New lead department"), queryset=Department.objects.none())
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = departments  # type: ignore[attr-defined]


class ReplyForm(VersionedForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    text = forms.CharField(
        label=_("Answer to the resident"), max_length=8000, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = MultipleFileField(label=_("Attachments"))


class ReportForm(forms.Form):
    report = forms.CharField(
        label=_("Report to the lead department"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=30)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Refuse"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class ObjectionDecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Objection upheld")), ("0", _("Objection rejected"))],
        coerce=lambda v: v == "1",
    )
    redirect_to = forms.ModelChoiceField(
        label=_("Give the matter to"), queryset=Department.objects.none(), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["redirect_to"].queryset = departments  # type: ignore[attr-defined]


class FollowUpForm(VersionedForm):
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices, widget=forms.RadioSelect)
    contacted = forms.BooleanField(
        label=_("The resident was reached"), required=False, initial=True
    )
    comment = forms.CharField(
        label=_("What the resident said"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewDecisionForm(VersionedForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    text = forms.CharField(
        label=_("Decision"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4})
    )


class TakeForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How"), choices=CompanionMode.choices, widget=forms.RadioSelect
    )


class VisitForm(forms.Form):
    at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("Where"), max_length=120)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    met = forms.CharField(label=_("Whom you met"), max_length=120, required=False)
    summary = forms.CharField(
        label=_("What was said"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class MatterFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any")), *list(State.choices)], required=False
    )
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any")), *list(Channel.choices)], required=False
    )
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
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[
            ("new", _("Newest first")),
            ("old", _("Oldest first")),
            ("updated", _("Recently changed")),
        ],
        required=False,
    )
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any")), *category_choices(language)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
