"""Every write a person or system makes to webhooks: subscribe, end a subscription, queue a
delivery again — each in one transaction with its audit entry — and the access helpers that keep a
token to its own subscriptions. (The outbox and the sender write their own rows.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.api.models import ApiToken
from xinkan.audit import services as audit
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.webhooks import signing, targets
from xinkan.webhooks.models import Delivery, DeliveryState, EventType, Subscription

if TYPE_CHECKING:
    from xinkan.accounts.models import User

MAX_ACTIVE_PER_TOKEN = 10


class WebhookConflict(Exception):
    """The action does not fit the current state (the API answers 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CreatedSubscription:
    subscription: Subscription
    secret: str
    created: bool  # False: an earlier request with the same idempotency key made it


def token_unit(token: ApiToken) -> Unit | None:
    return token.unit or (token.department.unit if token.department else None)


# --- Access -------------------------------------------------------------------------------------


def subscriptions_of(token: ApiToken) -> QuerySet[Subscription]:
    return Subscription.objects.filter(token=token)


def get_subscription(token: ApiToken, subscription_id: int) -> Subscription:
    """The token's own subscription, or 404 — the same for another token's and a missing one."""
    found = subscriptions_of(token).select_related("token").filter(pk=subscription_id).first()
    if found is None:
        raise Http404
    return found


def get_delivery(subscription: Subscription, delivery_id: int) -> Delivery:
    found = Delivery.objects.filter(subscription=subscription, pk=delivery_id).first()
    if found is None:
        raise Http404
    found.subscription = subscription
    return found


# --- Writes -------------------------------------------------------------------------------------


def _clean(target_url: str, event_types: Iterable[str]) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    url = ""
    try:
        url = targets.check_url(target_url)
    except targets.TargetRefused as exc:
        errors["target_url"] = [str(exc)]
    chosen = sorted(set(event_types))
    if not chosen:
        errors["event_types"] = [_("Choose at least one event.")]
    elif set(chosen) - set(EventType.values):
        errors["event_types"] = [_("Choose one of the allowed values.")]
    if errors:
        raise ValidationError(errors)
    return url, chosen


def create_subscription(
    *,
    token: ApiToken,
    target_url: str,
    event_types: Iterable[str],
    by: User,
    idempotency_key: str = "",
    request_hash: str = "",
) -> CreatedSubscription:
    """A token subscribes itself; the secret is in the result (the only time it is shown, except
    to a retry of the same request)."""
    unit = token_unit(token)
    if by.pk != token.user_id or not token.is_active:
        audit.record_failure(
            actor=by, action="webhooks.subscription.create_denied", obj=token, unit=unit
        )
        raise PermissionDenied(_("Only the token itself can subscribe to webhooks."))
    if idempotency_key:
        earlier = Subscription.objects.filter(token=token, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return CreatedSubscription(earlier, earlier.secret, created=False)
    if not get_scope(by).has_perm(Perm.MATTERS_VIEW):
        audit.record_failure(
            actor=by,
            action="webhooks.subscription.create_denied",
            obj=token,
            unit=unit,
            data={"reason": "matters.view"},
        )
        raise PermissionDenied(_("The token may not read matters, so it cannot subscribe."))
    url, chosen = _clean(target_url, event_types)
    secret = signing.new_secret()
    try:
        with transaction.atomic():
            # The token's row is the lock that keeps the count of its subscriptions honest.
            ApiToken.objects.select_for_update().filter(pk=token.pk).first()
            if subscriptions_of(token).filter(is_active=True).count() >= MAX_ACTIVE_PER_TOKEN:
                raise ValidationError(
                    {
                        "__all__": [
                            _("A token may hold at most %(n)d active subscriptions.")
                            % {"n": MAX_ACTIVE_PER_TOKEN}
                        ]
                    }
                )
            subscription = Subscription.objects.create(
                token=token,
                target_url=url,
                event_types=chosen,
                secret=secret,
                created_by=by,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
            )
            audit.record(
                actor=by,
                action="webhooks.subscription.created",
                obj=subscription,
                unit=unit,
                data={"event_types": chosen, "host": _host(url)},
            )
    except IntegrityError:
        # The same idempotency key, sent twice at once: the other request made it.
        earlier = Subscription.objects.filter(token=token, idempotency_key=idempotency_key).first()
        if earlier is None or not idempotency_key:
            raise
        return CreatedSubscription(earlier, earlier.secret, created=False)
    return CreatedSubscription(subscription, secret, created=True)


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def deactivate_subscription(subscription: Subscription, *, by: User) -> Subscription:
    """No more events for it; what was still waiting to be sent is cancelled."""
    if not subscription.is_active:
        return subscription
    with transaction.atomic():
        now = timezone.now()
        changed = Subscription.objects.filter(pk=subscription.pk, is_active=True).update(
            is_active=False, deactivated_at=now, deactivated_by=by
        )
        if not changed:
            subscription.refresh_from_db()
            return subscription
        cancelled = Delivery.objects.filter(
            subscription=subscription, state=DeliveryState.PENDING
        ).update(state=DeliveryState.CANCELLED, next_attempt_at=None, claim="")
        subscription.is_active, subscription.deactivated_at = False, now
        subscription.deactivated_by = by
        audit.record(
            actor=by,
            action="webhooks.subscription.deactivated",
            obj=subscription,
            unit=token_unit(subscription.token),
            data={"cancelled_deliveries": cancelled},
        )
    return subscription


def redeliver(delivery: Delivery, *, by: User) -> Delivery:
    """Send a delivered, failed or cancelled delivery again, with the same event id, soon."""
    subscription = delivery.subscription
    if not subscription.is_active:
        raise WebhookConflict(_("The subscription has ended; nothing can be sent for it."))
    if delivery.state == DeliveryState.PENDING:
        return delivery  # already waiting for its next attempt
    with transaction.atomic():
        now = timezone.now()
        changed = Delivery.objects.filter(
            pk=delivery.pk, state=delivery.state, subscription__is_active=True
        ).update(state=DeliveryState.PENDING, tries=0, next_attempt_at=now, claim="")
        if not changed:
            delivery.refresh_from_db()
            return delivery
        before = delivery.state
        delivery.state, delivery.tries, delivery.next_attempt_at = DeliveryState.PENDING, 0, now
        audit.record(
            actor=by,
            action="webhooks.delivery.redelivered",
            obj=delivery,
            unit=token_unit(subscription.token),
            changes={"state": [before, DeliveryState.PENDING]},
            data={"subscription": subscription.pk, "event_id": str(delivery.event_id)},
        )
    return delivery
