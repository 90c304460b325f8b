"""Needs (what a resident needs help with, open until closed with a reason) and the colour
overview (counts per colour per grid, leading to the people; sensitive colours only for those
permitted)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories
from tests.conftest import login_as
from tests.matters.web import page_text
from xinkan.audit.models import AuditEntry
from xinkan.residents import services
from xinkan.residents.models import ColourCategory, Need


def category(colour: str) -> ColourCategory:
    return ColourCategory.objects.get(colour=colour)


def test_a_need_is_recorded_then_closed_with_a_reason(cast):
    resident = factories.resident(cast.grid)
    need = services.open_need(
        resident,
        by=cast.community_worker,
        need_type="daily_care",
        urgency="urgent",
        frequency="每周两次",
    )
    assert need.is_open
    with pytest.raises(ValidationError):
        services.close_need(need, by=cast.community_worker, reason=" ")
    services.close_need(need, by=cast.community_worker, reason="子女已回家照顾")
    need.refresh_from_db()
    assert not need.is_open and need.close_reason == "子女已回家照顾"
    with pytest.raises(ValidationError):
        services.close_need(need, by=cast.community_worker, reason="再关一次")
    entries = AuditEntry.objects.filter(action__startswith="residents.need").order_by("pk")
    assert [e.action for e in entries] == [
        "residents.need.opened",
        "residents.need.closed",
    ]


def test_bad_needs_and_strangers_are_refused(cast):
    resident = factories.resident(cast.grid)
    with pytest.raises(ValidationError):
        services.open_need(resident, by=cast.community_worker, need_type="magic")
    with pytest.raises(PermissionDenied):
        services.open_need(resident, by=cast.outsider, need_type="repairs")
    assert not Need.objects.exists()


def test_needs_through_the_resident_page_and_the_open_needs_list(cast, client):
    resident = factories.resident(cast.grid, name="孙大娘")
    other = factories.resident(cast.neighbour_grid, name="周大爷")
    services.open_need(other, by=cast.outsider, need_type="repairs")
    login_as(client, cast.community_worker)
    response = client.post(
        f"/residents/{resident.pk}/needs/", {"need_type": "repairs", "urgency": "normal"}
    )
    assert response["Location"] == f"/residents/{resident.pk}/"
    listed = page_text(client.get("/residents/needs/"))
    assert "孙大娘" in listed and "周大爷" not in listed
    assert "孙大娘" not in page_text(client.get("/residents/needs/", {"type": "legal"}))


def test_the_colour_overview_counts_per_grid_and_hides_sensitive_colours(cast, client):
    first = factories.resident(cast.grid, name="甲")
    second = factories.resident(cast.grid, name="乙")
    services.add_colour(first, category=category("orange"), reason="独居", by=cast.community_worker)
    services.add_colour(
        second, category=category("orange"), reason="独居", by=cast.community_worker
    )
    services.add_colour(
        second, category=category("yellow"), reason="低保", by=cast.community_worker
    )

    login_as(client, cast.community_worker)
    html = client.get("/residents/colours/").content.decode()
    link = f'href="/residents/?unit={cast.grid.pk}&amp;colour=orange">2</a>'
    assert link in html
    assert 'colour=yellow">1</a>' in html
    people = page_text(client.get("/residents/", {"unit": cast.grid.pk, "colour": "orange"}))
    assert "甲" in people and "乙" in people

    login_as(client, cast.grid_worker)
    html = client.get("/residents/colours/").content.decode()
    assert "colour=yellow" not in html and "低保及困难家庭" not in html
    listed = client.get("/residents/", {"colour": "yellow"}).content.decode()
    assert not re.search(r'href="/residents/\d+/"', listed)


def test_the_overview_makes_the_same_number_of_queries_however_many(
    cast, client, django_assert_max_num_queries
):
    for n in range(12):
        resident = factories.resident(cast.grid, name=f"居民{n}")
        services.add_colour(
            resident, category=category("green"), reason="和睦", by=cast.community_worker
        )
    login_as(client, cast.community_worker)
    client.get("/residents/colours/")
    with django_assert_max_num_queries(10):
        client.get("/residents/colours/")
