"""Webhook subscriptions and their delivery log on the administration site, read only: systems
manage their subscriptions through the API. Shown within the administrator's area (the tokens'
units), like the tokens themselves; the signing secret is never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.admin_site import ManagedAdmin, admin_site
from xinkan.matters.models import format_code
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.webhooks.models import Delivery, DeliveryAttempt, Subscription

SUBSCRIPTION_FIELDS: tuple[str, ...] = (
    "token",
    "target_url",
    "event_types",
    "is_active",
    "created_at",
    "deactivated_at",
)
DELIVERY_FIELDS: tuple[str, ...] = (
    "subscription",
    "event_id",
    "event_type",
    "matter_code",
    "occurred_at",
    "state",
    "attempt_count",
    "next_attempt_at",
    "delivered_at",
    "last_status_code",
    "payload",
)
ATTEMPT_FIELDS: tuple[str, ...] = (
    "number",
    "at",
    "status_code",
    "duration_ms",
    "error",
    "response_excerpt",
)


class ReadOnlyAdmin(ManagedAdmin):
    manage_perm = Perm.API_MANAGE
    scope_field = None  # through the token's unit or department: filtered in `in_area`
    scope_through = "token"

    def in_area(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if request.user.is_superuser:
            return queryset
        units = get_scope(request.user).units(Perm.API_MANAGE)
        return queryset.filter(
            Q(**{f"{self.scope_through}__unit__in": units})
            | Q(**{f"{self.scope_through}__department__unit__in": units})
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = readonly_fields = ATTEMPT_FIELDS
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription, site=admin_site)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "token", "target_url", "event_types", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["target_url", "token__name", "token__prefix"]
    fields = readonly_fields = SUBSCRIPTION_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request).select_related("token")
        return self.in_area(request, queryset)


@admin.register(Delivery, site=admin_site)
class DeliveryAdmin(ReadOnlyAdmin):
    scope_through = "subscription__token"
    list_display = [
        "pk",
        "subscription",
        "event_type",
        "matter_code",
        "state",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "event_type"]
    search_fields = ["event_id"]
    fields = readonly_fields = DELIVERY_FIELDS
    inlines = [AttemptInline]
    list_select_related = ["subscription"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = (
            super().get_queryset(request).annotate(matter_registered_at=F("matter__registered_at"))
        )
        return self.in_area(request, queryset)

    @admin.display(description=_("matter"))
    def matter_code(self, obj: Delivery) -> str:
        # The code only: the title is the resident's words, and this page does not check the
        # matter against the administrator's scope.
        registered_at = getattr(obj, "matter_registered_at", None)
        year = timezone.localtime(registered_at).year if registered_at else 0
        return format_code(year, obj.matter_id)
