"""The administration site: for administrators (role `admin`) and the bootstrap superuser only.

Every save goes through the owning app's services (so it is validated, scoped and audited); the
admin never writes domain rows itself, and nothing is deleted — units, departments, memberships and
accounts are deactivated instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from xinkan.accounts.models import User
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope


class XinkanAdminSite(admin.AdminSite):
    site_header = _("Xinkan administration")
    site_title = _("Xinkan administration")
    index_title = _("Units, departments, accounts")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        return bool(user.is_superuser or get_scope(user).has_perm(Perm.ORG_MANAGE))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Logged in but not an administrator: say so, instead of looping through the login.
            raise PermissionDenied(_("Only administrators may use the administration."))
        # One login for the whole system, with lockout and the second factor.
        target = reverse("accounts:login")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


admin_site = XinkanAdminSite(name="admin")


def acting_user(request: HttpRequest) -> User:
    """The logged-in administrator (the admin site lets no one else in)."""
    user = request.user
    assert isinstance(user, User)
    return user


class ManagedAdmin(admin.ModelAdmin):
    """Base for managed models: permission by role, rows limited to the administrator's scope."""

    manage_perm = Perm.ORG_MANAGE
    scope_field: str | None = "unit"

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_superuser or get_scope(user).has_perm(self.manage_perm))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser or self.scope_field is None:
            return queryset
        return get_scope(request.user).filter_units(queryset, self.manage_perm, self.scope_field)
