"""The home page (/): each person sees the panels of their own work, with empty states that say what
will appear; its cost does not grow with the data."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from tests import factories
from tests.conftest import login_as
from tests.pages import data_attrs, has_chinese, in_english, text_of
from xinkan.accounts.models import User
from xinkan.audit.tasks import verify_audit_chain
from xinkan.org.models import Level
from xinkan.org.roles import Role

# The foundation's panels; features add their own, which these tests leave alone.
FOUNDATION_PANELS = {
    "scope",
    "department",
    "units",
    "residents",
    "locked",
    "chain",
    "activity",
    "recent",
    "security",
}
PANELS_BY_ROLE = {
    "grid_worker": {"scope", "units", "residents", "recent", "security"},
    "community_worker": {"scope", "units", "residents", "recent", "security"},
    "outsider": {"scope", "units", "residents", "recent", "security"},
    "cadre": {"scope", "units", "residents", "recent", "security"},
    "handler": {"scope", "department", "recent", "security"},
    "leader": {"scope", "units", "residents", "activity", "recent", "security"},
    "admin": {"scope", "units", "locked", "chain", "activity", "recent", "security"},
}
TITLES_BY_ROLE = {
    "grid_worker": ["Residents in my area", "My places and roles"],
    "handler": ["My department"],
    "leader": ["Recent activity in my area", "Units under me", "Residents in my area"],
    "admin": ["Locked accounts", "Audit log integrity", "Recent activity in my area"],
}


def home(client, user, *, english: bool = True):
    login_as(client, user)
    if english:
        in_english(client)
    response = client.get("/")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("role", sorted(PANELS_BY_ROLE))
def test_each_role_sees_its_own_panels(cast, client, role):
    response = home(client, getattr(cast, role))
    shown = set(data_attrs(response, "panel")) & FOUNDATION_PANELS
    assert shown == PANELS_BY_ROLE[role]


@pytest.mark.parametrize("role", sorted(TITLES_BY_ROLE))
def test_panel_titles_name_the_work(cast, client, role):
    text = text_of(home(client, getattr(cast, role)))
    for title in TITLES_BY_ROLE[role]:
        assert title in text


def test_the_page_speaks_chinese_by_default(cast, client):
    response = home(client, cast.leader, english=False)
    with translation.override("zh-hans"):
        title = gettext("Recent activity in my area")
    assert has_chinese(title)
    assert title in text_of(response)
    assert "Recent activity in my area" not in text_of(response)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Empty states --------------------------------------------------------------------------------


def test_a_person_without_a_role_is_told_how_to_get_one(cast, client):
    text = text_of(home(client, factories.user("nobody")))
    assert "You hold no role yet." in text
    assert "Nothing yet." in text


def test_empty_panels_say_what_will_appear(cast, client):
    text = text_of(home(client, cast.grid_worker))
    assert "No residents registered in your area yet." in text
    assert "No units below yours." in text
    assert "Nothing yet. What you record and change will be listed here." in text


def test_the_administrators_empty_panels(cast, client):
    text = text_of(home(client, cast.admin))
    assert "No locked accounts." in text
    assert "The nightly check of the audit chain has not run yet." in text


def test_a_department_leader_without_activity_sees_the_empty_state(cast, client):
    head = factories.member(Role.LEADER, department=cast.department, username="head")
    response = home(client, head)
    assert {"department", "activity"} <= set(data_attrs(response, "panel"))
    assert "No activity by others in your area yet." in text_of(response)


# --- Panels with data ----------------------------------------------------------------------------


def test_the_residents_panel_counts_and_lists_the_latest(cast, client):
    household = factories.household(cast.grid)
    factories.resident(cast.grid, "张东风", household=household)
    factories.resident(cast.grid, "张小东", household=household)
    factories.resident(cast.neighbour_grid, "李光明")
    text = text_of(home(client, cast.community_worker))
    assert "2 Residents" in text
    assert "1 Households" in text
    assert "张小东" in text
    assert "李光明" not in text


def test_the_units_panel_lists_the_units_below(cast, client):
    text = text_of(home(client, cast.cadre))
    assert cast.community.name in text
    assert cast.neighbour_community.name in text
    assert cast.other_community.name not in text


def test_the_department_panel_counts_its_staff(cast, client):
    text = text_of(home(client, cast.handler))
    assert cast.department.name in text
    assert "1 staff member" in text


def test_the_administrator_sees_locked_accounts_in_scope(cast, client):
    User.objects.filter(pk=cast.grid_worker.pk).update(locked_at=timezone.now())
    text = text_of(home(client, cast.admin))
    assert "No locked accounts." not in text
    assert cast.grid_worker.username in text


def test_the_administrator_sees_the_last_chain_check(cast, client):
    verify_audit_chain()
    text = text_of(home(client, cast.admin))
    assert "Intact" in text


def test_the_leader_sees_what_others_did_in_the_area(cast, client):
    factories.resident(cast.grid, "张东风")
    text = text_of(home(client, cast.leader))
    assert "Registered a resident" in text


def test_the_administrator_sees_activity_without_residents_names(cast, client):
    factories.resident(cast.grid, "张东风")
    text = text_of(home(client, cast.admin))
    assert "Registered a resident" in text
    assert "张东风" not in text
    assert "张**" in text


# --- Cost ----------------------------------------------------------------------------------------


def _grow(cast, n: int) -> None:
    """n residents, n units under the community, n audit entries by others, n staff."""
    household = factories.household(cast.grid)
    for number in range(n):
        factories.resident(cast.grid, f"居民{number:02d}", household=household)
        factories.unit(f"第{number}网格", Level.GRID, cast.community)
    for number in range(n // 5):
        factories.member(Role.GRID_WORKER, unit=cast.grid, username=f"gw{number}")
        factories.member(Role.DEPARTMENT_HANDLER, department=cast.department)


# Pinned: a panel that starts to query per row shows up here first.
# Every request: session, user, second-factor device, memberships (the scope). Then per panel:
# scope (levels, departments), units below (roots, children), residents (count, households,
# latest), department, locked accounts, chain check, activity, my recent actions, my device.
# One count per work list the role holds (matters panel) and one for unread notifications come on
# top of the foundation's panels, three for the disputes panel (to mediate, overdue, the
# station's sessions), and one for the ids of the units in scope (lists of all one sees); the
# volunteers' panels look up one's own volunteer profile (everyone) and count the pairings
# falling behind and active (those who see volunteers); the square's panel lists the coming
# sessions (those who see the square) and counts the questions put to one's department (department
# staff). What matters is that 5 and 60 rows give the same number.
HOME_QUERIES = {
    "grid_worker": 24,
    "community_worker": 27,
    "cadre": 30,
    "handler": 15,
    "leader": 27,
    "admin": 15,
}


@pytest.mark.parametrize("n", [5, 60])
@pytest.mark.parametrize("role", sorted(HOME_QUERIES))
def test_the_number_of_queries_does_not_grow_with_the_data(
    cast, client, django_assert_num_queries, role, n
):
    _grow(cast, n)
    User.objects.filter(pk=cast.outsider.pk).update(locked_at=timezone.now())
    login_as(client, getattr(cast, role))
    client.get("/")  # warm up: the first request after login writes the session
    with django_assert_num_queries(HOME_QUERIES[role]):
        assert client.get("/").status_code == 200
