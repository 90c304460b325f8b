"""/api/v1/webhooks: a token subscribes (secret shown once, kept encrypted), lists and reads its own
subscriptions only, ends one, reads the delivery log and asks for a delivery again — audited, in
the API's error shape, idempotent on retry."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from tests.api.conftest import bearer, issue
from tests.conftest import login_as
from tests.webhooks.conftest import new_matter, subscribe
from tests.webhooks.receiver import Receiver
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm
from xinkan.webhooks import delivery, outbox
from xinkan.webhooks.models import Delivery, DeliveryState, Subscription

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.org/xinkan"
BODY = {"target_url": URL, "event_types": ["matter.created", "matter.status_changed"]}


def post(client: Client, url: str, body: object, secret: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        url, json.dumps(body), content_type="application/json", **bearer(secret, **headers)
    )


def stored_secret_column() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_subscription")
        return str(cursor.fetchone()[0])


# --- Subscribing ----------------------------------------------------------------------------------


def test_subscribing_returns_the_secret_once_and_keeps_it_encrypted(cast, client: Client):
    issued = issue(cast)
    response = post(client, "/api/v1/webhooks", BODY, issued.secret)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["secret"].startswith("whsec_")
    assert data["target_url"] == URL
    assert data["event_types"] == ["matter.created", "matter.status_changed"]
    assert data["is_active"] is True
    assert "no-store" in response["Cache-Control"]
    subscription = Subscription.objects.get()
    assert subscription.token == issued.token and subscription.secret == data["secret"]
    column = stored_secret_column()
    assert column.startswith("v1:") and data["secret"] not in column
    listed = client.get("/api/v1/webhooks", **bearer(issued.secret)).json()
    assert [s["id"] for s in listed["items"]] == [data["id"]]
    one = client.get(f"/api/v1/webhooks/{data['id']}", **bearer(issued.secret)).json()
    assert "secret" not in one and "secret" not in listed["items"][0]
    entry = AuditEntry.objects.get(action="webhooks.subscription.created")
    assert entry.actor == issued.token.user
    assert entry.unit == cast.community
    assert data["secret"] not in json.dumps(entry.data) + json.dumps(entry.changes)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"target_url": "ftp://hooks.example.org/x", "event_types": ["matter.created"]},
            "target_url",
        ),
        ({"target_url": "javascript:alert(1)", "event_types": ["matter.created"]}, "target_url"),
        (
            {"target_url": "https://user:pw@hooks.example.org/", "event_types": ["matter.created"]},
            "target_url",
        ),
        ({"target_url": "https:///nohost", "event_types": ["matter.created"]}, "target_url"),
        ({"target_url": URL, "event_types": []}, "event_types"),
        ({"target_url": URL, "event_types": ["matter.deleted"]}, "event_types.0"),
        ({"event_types": ["matter.created"]}, "target_url"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_field_named(cast, client: Client, body, field):
    issued = issue(cast)
    response = post(client, "/api/v1/webhooks", body, issued.secret)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not Subscription.objects.exists()
    assert not AuditEntry.objects.filter(action="webhooks.subscription.created").exists()


def test_internal_targets_are_refused_in_production(cast, client: Client, settings):
    settings.XINKAN_WEBHOOK_ALLOW_INTERNAL = False
    issued = issue(cast)
    for target in ("http://127.0.0.1:8000/x", "http://localhost/x", "http://169.254.169.254/x"):
        body = {"target_url": target, "event_types": ["matter.created"]}
        response = post(client, "/api/v1/webhooks", body, issued.secret)
        assert response.status_code == 400
        assert "target_url" in response.json()["error"]["fields"]
    assert not Subscription.objects.exists()


def test_a_retry_with_the_same_key_returns_the_same_subscription(cast, client: Client):
    issued = issue(cast)
    first = post(client, "/api/v1/webhooks", BODY, issued.secret, HTTP_IDEMPOTENCY_KEY="w-1")
    again = post(client, "/api/v1/webhooks", BODY, issued.secret, HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Subscription.objects.count() == 1
    assert AuditEntry.objects.filter(action="webhooks.subscription.created").count() == 1
    other = {**BODY, "event_types": ["matter.overdue"]}
    reused = post(client, "/api/v1/webhooks", other, issued.secret, HTTP_IDEMPOTENCY_KEY="w-1")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    # Another token's key space is its own.
    second = issue(cast, name="second")
    theirs = post(client, "/api/v1/webhooks", BODY, second.secret, HTTP_IDEMPOTENCY_KEY="w-1")
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # The secret is not kept in the stored-responses table.
    from xinkan.api.models import IdempotentResponse

    assert not IdempotentResponse.objects.exists()


def test_a_token_that_may_not_read_matters_cannot_subscribe(cast, client: Client):
    issued = issue(cast, perms=[Perm.RESIDENTS_VIEW])
    response = post(client, "/api/v1/webhooks", BODY, issued.secret)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not Subscription.objects.exists()
    assert AuditEntry.objects.filter(action="webhooks.subscription.create_denied").exists()


def test_a_staff_session_has_no_webhooks(cast, client: Client):
    login_as(client, cast.community_worker)
    response = client.get("/api/v1/webhooks", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_at_most_ten_active_subscriptions_per_token(cast, client: Client):
    issued = issue(cast)
    for n in range(10):
        assert post(client, "/api/v1/webhooks", BODY, issued.secret).status_code == 201, n
    response = post(client, "/api/v1/webhooks", BODY, issued.secret)
    assert response.status_code == 400
    assert "__all__" in response.json()["error"]["fields"]
    assert Subscription.objects.count() == 10


# --- Another token's subscriptions ----------------------------------------------------------------


def test_another_tokens_subscription_is_not_found_and_unchanged(cast, client: Client):
    mine, theirs = issue(cast), issue(cast, name="other")
    subscription = subscribe(theirs, URL).subscription
    new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    item = Delivery.objects.get(subscription=subscription)
    base = f"/api/v1/webhooks/{subscription.pk}"
    headers = bearer(mine.secret)
    for response in (
        client.get(base, **headers),
        client.delete(base, **headers),
        client.get(f"{base}/deliveries", **headers),
        client.post(f"{base}/deliveries/{item.pk}/redeliver", **headers),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/webhooks", **headers).json()["items"] == []
    subscription.refresh_from_db()
    assert subscription.is_active
    assert not AuditEntry.objects.filter(action__startswith="webhooks.subscription.deact").exists()


# --- Ending, the delivery log, sending again ------------------------------------------------------


def test_ending_a_subscription_cancels_what_waits_and_is_audited_once(cast, client: Client):
    issued = issue(cast)
    subscription = subscribe(issued, URL).subscription
    new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    response = client.delete(f"/api/v1/webhooks/{subscription.pk}", **bearer(issued.secret))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert Delivery.objects.get().state == DeliveryState.CANCELLED
    again = client.delete(f"/api/v1/webhooks/{subscription.pk}", **bearer(issued.secret))
    assert again.status_code == 200
    entries = AuditEntry.objects.filter(action="webhooks.subscription.deactivated")
    assert entries.count() == 1
    assert entries.get().data["cancelled_deliveries"] == 1


def test_the_delivery_log_lists_attempts_without_a_query_per_delivery(
    cast, client: Client, receiver: Receiver, django_assert_max_num_queries
):
    issued = issue(cast)
    created = subscribe(issued, receiver.url)
    receiver.secret = created.secret
    receiver.fail_first = 2
    for n in range(4):
        new_matter(cast.grid, cast.grid_worker, n)
    outbox.collect()
    delivery.send_due()
    url = f"/api/v1/webhooks/{created.subscription.pk}/deliveries"
    # Token, its last use, the subscription, the count, the page, the attempts.
    with django_assert_max_num_queries(7):
        response = client.get(url, **bearer(issued.secret))
    assert response.status_code == 200
    data = response.json()
    assert data["meta"]["count"] == 4
    failed = [d for d in data["items"] if d["attempts"] and d["attempts"][0]["status_code"] == 503]
    assert len(failed) == 2
    assert all(d["state"] == "pending" and d["next_attempt_at"] for d in failed)
    done = [d for d in data["items"] if d["state"] == "delivered"]
    assert len(done) == 2 and all(d["attempts"][0]["status_code"] == 200 for d in done)
    assert all(d["payload"]["id"] == d["event_id"] for d in data["items"])
    pending = client.get(f"{url}?state=pending", **bearer(issued.secret)).json()
    assert {d["id"] for d in pending["items"]} == {d["id"] for d in failed}


def test_redelivering_queues_a_delivered_event_again_with_the_same_id(
    cast, client: Client, receiver: Receiver
):
    issued = issue(cast)
    created = subscribe(issued, receiver.url, ["matter.created"])
    receiver.secret = created.secret
    new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    delivery.send_due()
    item = Delivery.objects.get()
    assert item.state == DeliveryState.DELIVERED
    url = f"/api/v1/webhooks/{created.subscription.pk}/deliveries/{item.pk}/redeliver"
    response = client.post(url, **bearer(issued.secret))
    assert response.status_code == 202
    assert response.json()["state"] == "pending"
    # Asking again while it waits changes nothing and writes no second entry.
    assert client.post(url, **bearer(issued.secret)).status_code == 202
    assert AuditEntry.objects.filter(action="webhooks.delivery.redelivered").count() == 1
    delivery.send_due()
    assert [r.event_id for r in receiver.requests] == [str(item.event_id)] * 2
    assert receiver.duplicates == 1  # the receiver drops the copy by its id
    item.refresh_from_db()
    assert item.state == DeliveryState.DELIVERED and item.attempt_count == 2


def test_redelivering_for_an_ended_subscription_is_a_conflict(cast, client: Client):
    issued = issue(cast)
    subscription = subscribe(issued, URL).subscription
    new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    client.delete(f"/api/v1/webhooks/{subscription.pk}", **bearer(issued.secret))
    item = Delivery.objects.get()
    url = f"/api/v1/webhooks/{subscription.pk}/deliveries/{item.pk}/redeliver"
    response = client.post(url, **bearer(issued.secret))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    item.refresh_from_db()
    assert item.state == DeliveryState.CANCELLED
    assert not AuditEntry.objects.filter(action="webhooks.delivery.redelivered").exists()
