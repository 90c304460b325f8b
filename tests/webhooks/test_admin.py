"""Subscriptions and the delivery log on the administration site: read only, within the
administrator's area, never showing the signing secret."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import issue
from tests.conftest import login_as
from tests.webhooks.conftest import new_matter, subscribe
from xinkan.webhooks import outbox
from xinkan.webhooks.models import Delivery

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.org/xinkan"


def test_the_administrator_reads_subscriptions_and_deliveries_without_the_secret(
    cast, client: Client
):
    created = subscribe(issue(cast), URL)
    matter = new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    item = Delivery.objects.get()
    login_as(client, cast.admin)
    pages = [
        client.get("/admin/webhooks/subscription/"),
        client.get(f"/admin/webhooks/subscription/{created.subscription.pk}/change/"),
        client.get("/admin/webhooks/delivery/"),
        client.get(f"/admin/webhooks/delivery/{item.pk}/change/"),
    ]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert created.secret not in page
        assert matter.contact_name not in page
    assert URL in pages[0].content.decode()
    assert matter.code in pages[2].content.decode()
    assert client.get("/admin/webhooks/subscription/add/").status_code == 403
    response = client.post(
        f"/admin/webhooks/subscription/{created.subscription.pk}/change/",
        {"target_url": "https://evil.example.org/"},
    )
    assert response.status_code == 403
    created.subscription.refresh_from_db()
    assert created.subscription.target_url == URL


def test_staff_without_token_management_do_not_see_them(cast, client: Client):
    subscribe(issue(cast), URL)
    login_as(client, cast.community_worker)
    response = client.get("/admin/webhooks/subscription/")
    assert response.status_code in {302, 403}
