"""The staff navigation shows each person the items their roles permit, and only those."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import login_as
from tests.pages import data_attrs
from xinkan.accounts.models import User
from xinkan.org.roles import Role

# The foundation's items; features add their own, which these tests leave alone.
FOUNDATION_ITEMS = {"home", "units", "residents", "audit", "admin", "account"}
ITEMS_BY_ROLE = {
    "grid_worker": {"home", "units", "residents", "account"},
    "community_worker": {"home", "units", "residents", "account"},
    "outsider": {"home", "units", "residents", "account"},
    "cadre": {"home", "units", "residents", "account"},
    "handler": {"home", "units", "account"},
    "leader": {"home", "units", "residents", "audit", "account"},
    "admin": {"home", "units", "audit", "admin", "account"},
}


def nav_links(response) -> dict[str, str]:
    """{item key: url} of the navigation in a page."""
    pairs = re.findall(r'<a href="([^"]+)" data-nav="([^"]+)"', response.content.decode())
    return {key: url for url, key in pairs if key in FOUNDATION_ITEMS}


@pytest.mark.parametrize("role", sorted(ITEMS_BY_ROLE))
def test_each_role_sees_only_its_items(cast, client, role):
    login_as(client, getattr(cast, role))
    assert set(nav_links(client.get("/"))) == ITEMS_BY_ROLE[role]


@pytest.mark.parametrize("role", sorted(ITEMS_BY_ROLE))
def test_every_item_shown_opens(cast, client, role):
    login_as(client, getattr(cast, role))
    for key, url in nav_links(client.get("/")).items():
        assert client.get(url).status_code == 200, key


RESTRICTED_PAGES = {"units": "/units/", "residents": "/residents/", "audit": "/audit/"}


@pytest.mark.parametrize("role", sorted(ITEMS_BY_ROLE))
def test_items_not_shown_are_refused(cast, client, role):
    login_as(client, getattr(cast, role))
    for key, url in RESTRICTED_PAGES.items():
        if key not in ITEMS_BY_ROLE[role]:
            assert client.get(url).status_code == 403, key


def test_a_person_without_a_role_sees_only_home_and_account(cast, client):
    login_as(client, factories.member(Role.VOLUNTEER, unit=cast.community, username="vol"))
    assert set(nav_links(client.get("/"))) == {"home", "account"}


def test_a_superuser_sees_the_administration_and_the_audit_log(cast, client):
    root = factories.user("root")
    User.objects.filter(pk=root.pk).update(is_superuser=True)
    login_as(client, User.objects.get(pk=root.pk))
    links = nav_links(client.get("/"))
    assert set(links) == {"home", "audit", "admin", "account"}
    assert client.get(links["audit"]).status_code == 200
    assert client.get(links["admin"]).status_code == 200


def test_the_current_page_is_marked(cast, client):
    login_as(client, cast.community_worker)
    html = client.get("/residents/").content.decode()
    assert 'href="/residents/" data-nav="residents" aria-current="page"' in html
    assert 'data-nav="home" aria-current' not in html
    home = client.get("/").content.decode()
    assert 'data-nav="home" aria-current="page"' in home


def test_anonymous_pages_have_no_navigation(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert data_attrs(response, "nav") == []
