from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinkan.admin_site import ManagedAdmin, acting_user, admin_site
from xinkan.org import importing, services
from xinkan.org.models import LEVEL_RANK, Department, Membership, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.org.services import DEPARTMENT_FIELDS


def _copy_into(target: Any, source: Any) -> None:
    """Let the admin's in-memory object reflect what the service saved (for its redirect and log)."""
    target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})


class ScopedChoicesMixin:
    """Offer (and accept) only units and departments within the administrator's scope, so that a
    place outside it is a form error rather than a refusal after the form was accepted."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            scope = get_scope(request.user)
            if db_field.related_model is Unit:
                kwargs["queryset"] = scope.units(Perm.ORG_MANAGE).order_by("path")
            elif db_field.related_model is Department:
                kwargs["queryset"] = scope.filter_departments(
                    Department.objects.select_related("unit"), Perm.ORG_MANAGE, field=""
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class UnitForm(forms.ModelForm):
    # Only a superuser adds a top-level unit (or moves one to the top); set by UnitAdmin.get_form.
    may_add_roots = False

    class Meta:
        model = Unit
        fields = ["code", "name", "level", "rural", "parent", "address", "phone", "is_active"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        level, parent = cleaned.get("level"), cleaned.get("parent")
        was_root = self.instance.pk is not None and self.instance.parent_id is None
        if parent is None and "parent" not in self.errors and not (self.may_add_roots or was_root):
            self.add_error("parent", _("Choose the unit this one belongs to."))
        if level and parent and LEVEL_RANK[level] <= LEVEL_RANK[parent.level]:
            self.add_error("parent", _("A unit of this level cannot be placed under that parent."))
        if parent and self.instance.pk and parent.path.startswith(self.instance.path):
            self.add_error("parent", _("A unit cannot be moved under itself."))
        return cleaned


@admin.register(Unit, site=admin_site)
class UnitAdmin(ScopedChoicesMixin, ManagedAdmin):
    form = UnitForm
    scope_field = ""
    list_display = ["name", "code", "level", "rural", "parent", "is_active"]
    list_filter = ["level", "rural", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    change_list_template = "admin/org/unit/change_list.html"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.may_add_roots = request.user.is_superuser  # type: ignore[attr-defined]
        return form

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            original = Unit.objects.get(pk=obj.pk)
            fields = {k: data[k] for k in UnitForm.Meta.fields}
            saved = services.update_unit(original, by=acting_user(request), **fields)
        else:
            saved = services.create_unit(
                code=data["code"],
                name=data["name"],
                level=data["level"],
                parent=data["parent"],
                rural=data["rural"],
                address=data["address"],
                phone=data["phone"],
                by=acting_user(request),
            )
        _copy_into(obj, saved)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="org_unit_import",
            )
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        form = UnitImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                records = importing.read_rows(upload.name, upload)
            except importing.ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                report = importing.import_unit_tree(records, by=acting_user(request))
                if report.ok:
                    messages.success(
                        request,
                        _("Imported: %(c)d created, %(u)d updated, %(n)d unchanged.")
                        % {"c": report.created, "u": report.updated, "n": report.unchanged},
                    )
                else:
                    messages.error(
                        request, _("Nothing was imported: fix the rows below and retry.")
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "title": _("Import the unit tree"),
        }
        return render(request, "admin/org/unit/import.html", context)


class UnitImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        help_text=gettext_lazy(
            "Columns: 编码 (code), 名称 (name), 层级 (level: 区/街道/乡镇/社区/村/网格), "
            "上级编码 (parent code); optional 地址, 电话."
        ),
    )

    MAX_BYTES = 20 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is larger than 20 MB."))
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("Upload a .xlsx or .csv file."))
        return upload


@admin.register(Department, site=admin_site)
class DepartmentAdmin(ScopedChoicesMixin, ManagedAdmin):
    list_display = ["name", "code", "unit", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["unit"]
    scope_field = "unit"
    fields = tuple(DEPARTMENT_FIELDS)

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            original = Department.objects.get(pk=obj.pk)
            saved = services.update_department(
                original,
                by=acting_user(request),
                **{str(k): data[k] for k in DEPARTMENT_FIELDS},
            )
        else:
            saved = services.create_department(
                code=data["code"],
                name=data["name"],
                unit=data["unit"],
                short_name=data["short_name"],
                phone=data["phone"],
                by=acting_user(request),
            )
        _copy_into(obj, saved)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role", "unit", "department", "title"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk:  # a saved membership is read-only (nothing to check)
            return cleaned
        role, unit, department = cleaned.get("role"), cleaned.get("unit"), cleaned.get("department")
        services.check_membership_place(str(role), unit, department)
        held = Membership.objects.filter(
            user=cleaned.get("user"), role=role, unit=unit, department=department, is_active=True
        )
        if held.exists():
            raise ValidationError(_("This person already holds this role there."))
        return cleaned

    def _get_validation_exclusions(self) -> set[str]:
        # The unique constraints on (user, role, place) are not the form's business: granting a
        # revoked role again re-activates it (services.grant_membership), and an active one is
        # reported by clean() in plain words.
        return {*super()._get_validation_exclusions(), "role"}  # type: ignore[misc]


@admin.register(Membership, site=admin_site)
class MembershipAdmin(ScopedChoicesMixin, ManagedAdmin):
    form = MembershipForm
    list_display = ["user", "role", "unit", "department", "title", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__display_name", "unit__name", "department__name"]
    autocomplete_fields = ["user", "unit", "department"]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = (
            super(ManagedAdmin, self)
            .get_queryset(request)
            .select_related("user", "unit", "department")
        )
        if request.user.is_superuser:
            return queryset
        scope = get_scope(request.user)
        return queryset.filter(
            Q(scope.unit_q(Perm.ORG_MANAGE, "unit"))
            | Q(scope.unit_q(Perm.ORG_MANAGE, "department__unit"))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A membership is granted or revoked, never edited in place (so the audit trail stays whole).
        return ["user", "role", "unit", "department", "title"] if obj else []

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        saved = services.grant_membership(
            user=data["user"],
            role=data["role"],
            unit=data["unit"],
            department=data["department"],
            title=data["title"],
            by=acting_user(request),
        )
        _copy_into(obj, saved)

    @admin.action(description=gettext_lazy("Revoke the selected memberships"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user", "unit", "department__unit"):
            services.revoke_membership(membership, by=acting_user(request))
        messages.success(request, _("The selected memberships were revoked."))
