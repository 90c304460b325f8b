"""The resident type-ahead of the intake form (/matters/lookup/residents/): only residents in the
reader's area, and nothing for those who may not read residents."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import login_as

URL = "/matters/lookup/residents/"


def offered(response) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r'data-resident-name="([^"]+)"', response.content.decode()))


@pytest.fixture
def people(cast):  # type: ignore[no-untyped-def]
    return {
        "grid": factories.resident(cast.grid, "张东风"),
        "community": factories.resident(cast.community, "张社区"),
        "neighbour": factories.resident(cast.neighbour_grid, "张光明"),
        "other": factories.resident(cast.other_grid, "张和平"),
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("grid_worker", {"张东风"}),
        ("community_worker", {"张东风", "张社区"}),
        ("cadre", {"张东风", "张社区", "张光明"}),
        ("outsider", {"张光明"}),
        ("leader", {"张东风", "张社区", "张光明", "张和平"}),
        ("handler", set()),  # a department does not read the archive
        ("admin", set()),
    ],
)
def test_only_residents_in_the_readers_area_are_offered(cast, client, people, role, expected):
    login_as(client, getattr(cast, role))
    response = client.get(URL, {"contact_name": "张"})
    assert response.status_code == 200
    assert offered(response) == expected


def test_the_outsider_typing_a_name_from_another_community_gets_nothing(cast, client, people):
    login_as(client, cast.outsider)
    response = client.get(URL, {"contact_name": "张东风"})
    assert offered(response) == set()
    html = response.content.decode()
    assert "data-resident-id" not in html
    assert str(people["grid"].pk) not in re.findall(r'value="(\d+)"', html)
    assert cast.grid.name not in html


def test_a_resident_is_offered_with_their_id_and_place(cast, client, people):
    login_as(client, cast.grid_worker)
    html = client.get(URL, {"contact_name": "东风"}).content.decode()
    assert f'data-resident-id="{people["grid"].pk}"' in html
    assert cast.grid.name in html


def test_an_empty_query_offers_nobody(cast, client, people):
    login_as(client, cast.leader)
    for query in ("", "   "):
        response = client.get(URL, {"contact_name": query})
        assert offered(response) == set()
        assert response.content.decode().strip() == ""


def test_at_most_eight_are_offered(cast, client):
    for number in range(12):
        factories.resident(cast.grid, f"王{number:02d}")
    login_as(client, cast.grid_worker)
    assert len(offered(client.get(URL, {"contact_name": "王"}))) == 8


def test_visitors_are_sent_to_log_in(client):
    response = client.get(URL, {"contact_name": "张"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
