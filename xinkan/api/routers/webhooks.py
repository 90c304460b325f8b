"""Outgoing webhooks: a token subscribes to events of the matters it may read, sees its own
subscriptions and their delivery log, ends a subscription and asks for a delivery again. Writes go
through `webhooks.services`; a token only ever sees its own subscriptions (404 otherwise)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from xinkan.api import idempotency
from xinkan.api.auth import api_token, caller
from xinkan.api.errors import ApiError, ErrorBody
from xinkan.api.models import ApiToken
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import Input, PageMeta
from xinkan.webhooks import services
from xinkan.webhooks.models import Delivery, DeliveryState, Subscription

router = Router(tags=["webhooks"])
ERRORS: dict[int, Any] = {
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    409: ErrorBody,
    422: ErrorBody,
    429: ErrorBody,
}

EventTypeIn = Literal["matter.created", "matter.status_changed", "matter.overdue"]


class SubscriptionIn(Input):
    target_url: str = Field(
        ..., max_length=500, description="http or https URL that receives the POSTs."
    )
    event_types: list[EventTypeIn] = Field(..., min_length=1, max_length=3)


class SubscriptionOut(Schema):
    id: int
    target_url: str
    event_types: list[str]
    is_active: bool
    created_at: dt.datetime
    deactivated_at: dt.datetime | None


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(..., description="The signing secret. Shown in this answer only.")


class SubscriptionPage(Schema):
    meta: PageMeta
    items: list[SubscriptionOut]


class AttemptOut(Schema):
    number: int
    at: dt.datetime
    status_code: int | None
    duration_ms: int
    response_excerpt: str
    error: str


class DeliveryOut(Schema):
    id: int
    event_id: str
    event_type: str
    matter_id: int
    occurred_at: dt.datetime
    state: str
    attempt_count: int
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_status_code: int | None
    payload: dict[str, Any]
    attempts: list[AttemptOut]


class DeliveryPage(Schema):
    meta: PageMeta
    items: list[DeliveryOut]


class DeliveryQuery(Input):
    state: DeliveryState | None = None


def _token(request: HttpRequest) -> ApiToken:
    token = api_token(request)
    if token is None:
        raise ApiError(
            403, "forbidden", _("Webhooks belong to API tokens: call with a token's secret.")
        )
    return token


def _subscription(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "target_url": subscription.target_url,
        "event_types": list(subscription.event_types),
        "is_active": subscription.is_active,
        "created_at": subscription.created_at,
        "deactivated_at": subscription.deactivated_at,
    }


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "event_id": str(delivery.event_id),
        "event_type": delivery.event_type,
        "matter_id": delivery.matter_id,
        "occurred_at": delivery.occurred_at,
        "state": delivery.state,
        "attempt_count": delivery.attempt_count,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "last_status_code": delivery.last_status_code,
        "payload": delivery.payload,
        "attempts": [
            {
                "number": a.number,
                "at": a.at,
                "status_code": a.status_code,
                "duration_ms": a.duration_ms,
                "response_excerpt": a.response_excerpt,
                "error": a.error,
            }
            for a in delivery.attempts.all()
        ],
    }


def _json(data: dict[str, Any], schema: type[Schema], status: int = 200) -> JsonResponse:
    body = schema.model_validate(data).model_dump(mode="json")
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _fingerprint(request: HttpRequest, payload: SubscriptionIn) -> str:
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _key_reused() -> ApiError:
    return ApiError(
        422,
        "idempotency_key_reused",
        _("This Idempotency-Key was already used for a different request."),
    )


@router.post(
    "/webhooks",
    response={201: SubscriptionCreated, **ERRORS},
    summary="Subscribe to events",
    description=(
        "Subscribes the calling token to events of the matters it may read. The answer holds the "
        "signing secret, shown this once (and to a retry with the same `Idempotency-Key`, which "
        "creates nothing new). The token needs `matters.view`."
    ),
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 64},
            }
        ]
    },
)
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> HttpResponse:
    # The answer holds the secret, so it is not kept as a stored response (api.idempotency):
    # the subscription itself remembers the key and a retry is answered from it.
    token = _token(request)
    key = idempotency.request_key(request)
    fingerprint = _fingerprint(request, payload)
    result = services.create_subscription(
        token=token,
        target_url=payload.target_url,
        event_types=payload.event_types,
        by=caller(request),
        idempotency_key=idempotency.service_key(request, key) if key else "",
        request_hash=fingerprint,
    )
    if not result.created and result.subscription.request_hash != fingerprint:
        raise _key_reused()
    response = _json(
        {**_subscription(result.subscription), "secret": result.secret}, SubscriptionCreated, 201
    )
    response["Cache-Control"] = "no-store"
    if not result.created:
        response["Idempotent-Replayed"] = "true"
    return response


@router.get(
    "/webhooks", response={200: SubscriptionPage, **ERRORS}, summary="The token's subscriptions"
)
def list_subscriptions(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    subscriptions = services.subscriptions_of(_token(request)).order_by("-created_at", "-pk")
    items, meta = page(subscriptions, paging)
    return {"meta": meta, "items": [_subscription(s) for s in items]}


@router.get(
    "/webhooks/{subscription_id}",
    response={200: SubscriptionOut, **ERRORS},
    summary="One subscription",
)
def get_subscription(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    return _subscription(services.get_subscription(_token(request), subscription_id))


@router.delete(
    "/webhooks/{subscription_id}",
    response={200: SubscriptionOut, **ERRORS},
    summary="End a subscription",
    description="Sends nothing more for it; deliveries still waiting are cancelled. Kept in the "
    "list (inactive) with its delivery log.",
)
def deactivate_subscription(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    subscription = services.get_subscription(_token(request), subscription_id)
    return _subscription(services.deactivate_subscription(subscription, by=caller(request)))


@router.get(
    "/webhooks/{subscription_id}/deliveries",
    response={200: DeliveryPage, **ERRORS},
    summary="A subscription's deliveries and their attempts",
)
def list_deliveries(
    request: HttpRequest,
    subscription_id: int,
    filters: Query[DeliveryQuery],
    paging: Query[PageParams],
) -> HttpResponse:
    subscription = services.get_subscription(_token(request), subscription_id)
    deliveries = Delivery.objects.filter(subscription=subscription)
    if filters.state:
        deliveries = deliveries.filter(state=filters.state)
    items, meta = page(
        deliveries.prefetch_related("attempts").order_by("-created_at", "-pk"), paging
    )
    return _json({"meta": meta, "items": [_delivery(d) for d in items]}, DeliveryPage)


@router.post(
    "/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a delivery again",
    description="Queues a delivered, failed or cancelled delivery for another round of attempts, "
    "with the same event id (a receiver that has it already drops it). One that is still "
    "pending is left as it is.",
)
def redeliver(request: HttpRequest, subscription_id: int, delivery_id: int) -> HttpResponse:
    subscription = services.get_subscription(_token(request), subscription_id)
    delivery = services.get_delivery(subscription, delivery_id)
    try:
        services.redeliver(delivery, by=caller(request))
    except services.WebhookConflict as exc:
        raise ApiError(409, "invalid_state", exc.message) from exc
    return _json(_delivery(delivery), DeliveryOut, 202)
