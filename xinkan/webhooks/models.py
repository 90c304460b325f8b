"""Outgoing webhooks: a system's subscriptions, the deliveries made for them (one per subscription
and event, never two), each attempt to send one, and how far the outbox has read the matters'
history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.core.crypto import EncryptedTextField


class EventType(models.TextChoices):
    MATTER_CREATED = "matter.created", _("Matter registered")
    MATTER_STATUS_CHANGED = "matter.status_changed", _("Matter changed state")
    MATTER_OVERDUE = "matter.overdue", _("Matter overdue")


class Subscription(models.Model):
    """A system's wish to be told of events. It belongs to an API token and sees what the token
    may read; the signing secret is kept encrypted (it must be readable to sign)."""

    token = models.ForeignKey(
        "api.ApiToken", on_delete=models.PROTECT, related_name="webhook_subscriptions"
    )
    target_url = models.CharField(_("target URL"), max_length=500)
    event_types = models.JSONField(_("events"), default=list)
    secret = EncryptedTextField()
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A creating request retried with the same Idempotency-Key finds this row instead of making
    # another (see api.routers.webhooks); `request_hash` tells a retry from a different request.
    idempotency_key = models.CharField(max_length=64, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["token", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="webhook_subscription_idempotency",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.target_url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Delivery(models.Model):
    """One event for one subscription. `event_id` is the same for every subscriber of the event
    and stays the same on every attempt: receivers drop what they have already seen by it."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    source_event_id = models.BigIntegerField()  # the MatterEvent it was made from
    matter = models.ForeignKey("matters.Matter", on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    tries = models.PositiveSmallIntegerField(default=0)  # in the current round (redelivery: 0)
    attempt_count = models.PositiveIntegerField(default=0)  # in all rounds
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker that took the delivery; its result is written only if still its own.
    claim = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            ),
            models.CheckConstraint(
                condition=~Q(state="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_is_scheduled",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["source_event_id"], name="webhook_delivery_source"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class DeliveryAttempt(models.Model):
    """One POST to the receiver and what came back (the delivery log)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class OutboxCursor(models.Model):
    """How far the outbox has read the matters' history; its row is also the outbox's lock."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"
