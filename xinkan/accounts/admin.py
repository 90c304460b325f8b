from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinkan.accounts import services
from xinkan.accounts.models import User
from xinkan.admin_site import ManagedAdmin, acting_user, admin_site
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope


class UserAddForm(forms.ModelForm):
    password = forms.CharField(
        label=gettext_lazy("Temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("The user must change it at the first login."),
    )

    class Meta:
        model = User
        fields = ["username", "display_name", "email"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            from django.contrib.auth.password_validation import validate_password

            candidate = User(
                username=cleaned.get("username", ""), display_name=cleaned.get("display_name", "")
            )
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "email", "is_active"]


class PasswordResetForm(forms.Form):
    new_password = forms.CharField(
        label=gettext_lazy("New temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_password(self) -> str:
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["new_password"]
        validate_password(password, self.user)
        return str(password)


@admin.register(User, site=admin_site)
class UserAdmin(ManagedAdmin):
    manage_perm = Perm.ACCOUNTS_MANAGE
    list_display = ["username", "display_name", "is_active", "locked_at", "last_login"]
    list_filter = ["is_active", ("locked_at", admin.EmptyFieldListFilter)]
    search_fields = ["username", "display_name"]
    readonly_fields = [
        "username",
        "last_login",
        "locked_at",
        "failed_login_count",
        "password_changed_at",
    ]
    actions = ["unlock", "reset_second_factor"]
    change_form_template = "admin/accounts/user/change_form.html"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = UserChangeForm if obj else UserAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["username", "display_name", "email", "password"]
        return [
            "username",
            "display_name",
            "email",
            "is_active",
            "last_login",
            "locked_at",
            "failed_login_count",
            "password_changed_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super(ManagedAdmin, self).get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # Accounts with a role in the administrator's area, and accounts with no role yet (just
        # created, waiting to be given one) — not those who work only elsewhere.
        units = get_scope(request.user).units(self.manage_perm)
        return queryset.filter(
            Q(memberships__unit__in=units)
            | Q(memberships__department__unit__in=units)
            | Q(memberships__isnull=True)
        ).distinct()

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        by = acting_user(request)
        data = form.cleaned_data
        if not change:
            saved = services.create_user(
                username=data["username"],
                display_name=data["display_name"],
                password=data["password"],
                by=by,
            )
            if data.get("email"):
                services.update_user_profile(
                    saved, display_name=saved.display_name, email=data["email"], by=by
                )
            obj.pk = saved.pk
            obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})
            return
        original = User.objects.get(pk=obj.pk)
        services.update_user_profile(
            original, display_name=data["display_name"], email=data["email"], by=by
        )
        services.set_user_active(original, active=data["is_active"], by=by)

    @admin.action(description=gettext_lazy("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.unlock_user(user, by=acting_user(request))
        messages.success(request, _("The selected accounts were unlocked."))

    @admin.action(description=gettext_lazy("Remove the second factor of the selected accounts"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.reset_two_factor(user, by=acting_user(request))
        messages.success(request, _("The selected accounts must enrol an authenticator again."))

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:user_id>/reset-password/",
                self.admin_site.admin_view(self.reset_password_view),
                name="accounts_user_reset_password",
            )
        ]
        return extra + super().get_urls()

    def reset_password_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        user = get_object_or_404(self.get_queryset(request), pk=user_id)
        form = PasswordResetForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.reset_password(
                user, new_password=form.cleaned_data["new_password"], by=acting_user(request)
            )
            messages.success(
                request,
                _(
                    "A temporary password was set for %(user)s; they must change it at the next login."
                )
                % {"user": user},
            )
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "original": user,
            "title": _("Reset the password of %(user)s") % {"user": user},
        }
        return render(request, "admin/accounts/user/reset_password.html", context)
