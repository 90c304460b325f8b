"""API tokens on the administration site: issue one (its secret shown once, on the page that
follows), see the tokens of one's area and when each was last used, revoke them. Every write goes
through `api.tokens`, which checks the scope and writes the audit entry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from xinkan.admin_site import ManagedAdmin, acting_user, admin_site
from xinkan.api import tokens
from xinkan.api.models import ApiToken
from xinkan.org.roles import ROLE_PERMISSIONS, Perm
from xinkan.org.scope import get_scope

ALL_DELEGABLE = sorted({perm for perms in ROLE_PERMISSIONS.values() for perm in perms})


class TokenForm(forms.ModelForm):
    perms = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=[(perm, perm) for perm in ALL_DELEGABLE],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At most what the role holds; accounts and the organisation never."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "unit", "department", "role", "perms"]

    def __init__(self, *args: Any, acting: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acting = acting

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.acting is not None and not self.errors:
            try:
                tokens.check_request(
                    role=data.get("role", ""),
                    perms=list(data.get("perms", [])),
                    unit=data.get("unit"),
                    department=data.get("department"),
                    by=self.acting,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        self.add_error(field if field in self.fields else None, error)
            except PermissionDenied as exc:
                self.add_error(None, str(exc))
        return data


@admin.register(ApiToken, site=admin_site)
class ApiTokenAdmin(ManagedAdmin):
    manage_perm = Perm.API_MANAGE
    scope_field = None  # a token belongs to a unit or to a department: filtered below
    form = TokenForm
    list_display = ["name", "prefix", "unit", "department", "role", "last_used_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request).select_related("unit", "department")
        if request.user.is_superuser:
            return queryset
        units = get_scope(request.user).units(Perm.API_MANAGE)
        return queryset.filter(Q(unit__in=units) | Q(department__unit__in=units))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and self._allowed(request)  # tokens are issued and revoked, not edited

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        acting = acting_user(request)

        class WithActing(form_class):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, acting=acting, **inner)

        return WithActing

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name", "unit", "department", "role", "perms"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        data = form.cleaned_data
        issued = tokens.create_token(
            name=data["name"],
            role=data["role"],
            perms=list(data["perms"]),
            unit=data["unit"],
            department=data["department"],
            by=acting_user(request),
        )
        obj.pk = issued.token.pk
        request._issued_secret = issued.secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: Any = None
    ) -> Any:
        """The secret on this page only: never in a message (a cookie) or a log."""
        response = TemplateResponse(
            request,
            "api/token_issued.html",
            {
                **self.admin_site.each_context(request),
                "token": obj,
                "secret": getattr(request, "_issued_secret", ""),
                "title": _("API token issued"),
            },
        )
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.select_related("unit", "department__unit"):
            if token.is_active:
                tokens.revoke_token(token, by=acting_user(request))
                count += 1
        messages.success(request, _("%(n)d tokens revoked.") % {"n": count})
