"""The residents list (/residents/): only residents in the reader's scope, search, unit filter."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import login_as
from tests.pages import in_english, text_of
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry
from xinkan.residents.models import Resident

URL = "/residents/"


def listed(response) -> set[str]:
    """Names in the residents table."""
    table = re.search(
        r'<table class="data" id="residents-table">(.*?)</table>', response.content.decode(), re.S
    )
    if table is None:
        return set()
    return set(re.findall(r'<a href="/residents/\d+/">([^<]+)</a>', table.group(1)))


@pytest.fixture
def people(cast):
    """One resident in each grid and one registered at a community's own level."""
    return {
        "grid": factories.resident(cast.grid, "张东风"),
        "community": factories.resident(cast.community, "王社区"),
        "neighbour": factories.resident(cast.neighbour_grid, "李光明"),
        "other": factories.resident(cast.other_grid, "赵和平"),
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("grid_worker", {"张东风"}),
        ("community_worker", {"张东风", "王社区"}),
        ("outsider", {"李光明"}),
        ("cadre", {"张东风", "王社区", "李光明"}),
        ("leader", {"张东风", "王社区", "李光明", "赵和平"}),
    ],
)
def test_each_reader_sees_the_residents_of_their_own_area(cast, client, people, role, expected):
    login_as(client, getattr(cast, role))
    response = client.get(URL)
    assert response.status_code == 200
    assert listed(response) == expected


def test_roles_that_do_not_read_residents_are_refused(cast, client, people):
    assert_scope(
        client,
        Probe("get", URL),
        allowed=[cast.grid_worker, cast.community_worker, cast.cadre, cast.leader, cast.outsider],
        denied=[cast.admin, cast.handler],
    )


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_filtering_by_a_unit_shows_only_that_subtree(cast, client, people):
    login_as(client, cast.community_worker)
    assert listed(client.get(URL, {"unit": cast.grid.pk})) == {"张东风"}
    assert listed(client.get(URL, {"unit": cast.community.pk})) == {"张东风", "王社区"}


def test_filtering_by_a_unit_outside_ones_scope_shows_nobody(cast, client, people):
    login_as(client, cast.outsider)
    for unit in (cast.community, cast.grid, cast.other_community, cast.district):
        response = client.get(URL, {"unit": unit.pk})
        assert response.status_code == 200
        assert listed(response) <= {"李光明"}
        assert "张东风" not in response.content.decode()
    assert listed(client.get(URL, {"unit": cast.community.pk})) == set()
    # Within the subdistrict, the outsider still sees only their own community.
    assert listed(client.get(URL, {"unit": cast.subdistrict.pk})) == {"李光明"}


def test_a_cadre_may_filter_by_any_community_of_the_subdistrict(cast, client, people):
    login_as(client, cast.cadre)
    assert listed(client.get(URL, {"unit": cast.neighbour_community.pk})) == {"李光明"}


def test_filtering_by_an_unknown_unit_shows_nobody(cast, client, people):
    login_as(client, cast.leader)
    assert listed(client.get(URL, {"unit": 999999})) == set()


def test_searching_by_part_of_a_name(cast, client, people):
    login_as(client, cast.cadre)
    assert listed(client.get(URL, {"q": "光明"})) == {"李光明"}
    assert listed(client.get(URL, {"q": " 东风 "})) == {"张东风"}
    assert listed(client.get(URL, {"q": "赵和平"})) == set()  # outside the cadre's subdistrict


def test_an_over_long_name_is_explained_and_lists_nobody(cast, client, people):
    login_as(client, cast.community_worker)
    in_english(client)
    response = client.get(URL, {"q": "张" * 200})
    assert response.status_code == 200
    assert "Ensure this value has at most 60 characters" in text_of(response)
    assert listed(response) == set()


@pytest.mark.parametrize("unit", ["abc", "-3", "0"])
def test_an_invalid_unit_filter_is_explained_and_lists_nobody(cast, client, people, unit):
    login_as(client, cast.community_worker)
    in_english(client)
    response = client.get(URL, {"unit": unit})
    assert response.status_code == 200
    assert "The unit to filter by is not valid" in text_of(response)
    assert listed(response) == set()


def test_a_search_with_a_null_character_is_handled(cast, client, people):
    login_as(client, cast.community_worker)
    response = client.get(URL, {"q": "张\x00"})
    assert response.status_code == 200
    assert listed(response) == set()


def test_the_list_is_paged_by_fifty(cast, client):
    for number in range(55):
        factories.resident(cast.grid, f"居民{number:02d}")
    login_as(client, cast.grid_worker)
    assert len(listed(client.get(URL))) == 50
    second = client.get(URL, {"page": 2})
    assert len(listed(second)) == 5
    assert client.get(URL, {"page": "abc"}).status_code == 200
    assert len(listed(client.get(URL, {"page": 99}))) == 5  # past the end: the last page


def test_the_page_keeps_the_filters_in_its_links(cast, client):
    for number in range(55):
        factories.resident(cast.grid, f"居民{number:02d}")
    login_as(client, cast.grid_worker)
    html = client.get(URL, {"q": "居民", "unit": cast.grid.pk}).content.decode()
    assert f"?q=%E5%B1%85%E6%B0%91&amp;unit={cast.grid.pk}&amp;page=2" in html


def test_listing_writes_nothing(cast, client, people):
    login_as(client, cast.community_worker)
    client.get(URL)  # the first request after login refreshes the session
    entries, residents = AuditEntry.objects.count(), Resident.objects.count()
    client.get(URL, {"q": "张"})
    assert (AuditEntry.objects.count(), Resident.objects.count()) == (entries, residents)


def _fill(cast, n: int) -> None:
    household = factories.household(cast.grid)
    for number in range(n):
        factories.resident(
            cast.grid if number % 2 else cast.community, f"居民{number:02d}", household=household
        )


@pytest.mark.parametrize("n", [5, 60])
def test_the_number_of_queries_does_not_grow_with_the_residents(
    cast, client, django_assert_num_queries, n
):
    _fill(cast, n)
    login_as(client, cast.community_worker)
    client.get(URL)  # warm up: the first request after login writes the session
    # session, user, second factor, memberships (the scope), the ids of the units in scope,
    # count, one page of residents
    with django_assert_num_queries(7):
        response = client.get(URL)
    assert len(listed(response)) == min(n, 50)
