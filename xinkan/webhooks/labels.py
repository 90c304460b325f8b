"""Audit labels of the webhooks' actions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    "webhooks.subscription.created": _("Subscribed a system to webhooks"),
    "webhooks.subscription.create_denied": _("Refused: a webhook subscription"),
    "webhooks.subscription.deactivated": _("Ended a webhook subscription"),
    "webhooks.delivery.redelivered": _("Queued a webhook delivery again"),
}
