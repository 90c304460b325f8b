"""The administration site as a whole: administrators only, no deletes, no residents, accounts
added through the services."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import login_as
from tests.pages import data_attrs
from xinkan.accounts.models import User
from xinkan.admin_site import admin_site
from xinkan.audit.models import AuditEntry
from xinkan.org.models import Department, Membership, Unit
from xinkan.residents.models import Household, Resident

ADMIN_PAGES = [
    "/admin/",
    "/admin/org/unit/",
    "/admin/org/unit/add/",
    "/admin/org/unit/import/",
    "/admin/org/department/",
    "/admin/org/membership/add/",
    "/admin/org/membership/",
    "/admin/accounts/user/",
]
NON_ADMINS = ["grid_worker", "community_worker", "cadre", "handler", "leader", "outsider"]


def everything() -> tuple[int, ...]:
    return (
        Unit.objects.count(),
        Department.objects.count(),
        Membership.objects.count(),
        User.objects.count(),
    )


@pytest.mark.parametrize("role", NON_ADMINS)
def test_staff_other_than_administrators_cannot_reach_any_admin_page(cast, client, role):
    """The admin site sends them to its login, which (they being logged in) refuses with a 403."""
    login_as(client, getattr(cast, role))
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
    final = client.get("/admin/org/unit/", follow=True)
    assert final.status_code == 403
    assert final.request["PATH_INFO"] == "/admin/login/"
    assert "admin" not in data_attrs(final, "nav")


@pytest.mark.parametrize("role", NON_ADMINS)
def test_staff_other_than_administrators_cannot_write_through_the_admin(cast, client, role):
    login_as(client, getattr(cast, role))
    before, entries = everything(), AuditEntry.objects.count()
    client.post(
        "/admin/org/unit/add/",
        {"code": "X1", "name": "x", "level": "grid", "parent": cast.community.pk},
    )
    client.post(
        "/admin/org/membership/add/",
        {"user": cast.outsider.pk, "role": "leader", "unit": cast.district.pk},
    )
    client.post(
        "/admin/accounts/user/add/",
        {"username": "sneaky", "display_name": "x", "password": "Abcdef#12345"},
    )
    assert everything() == before
    assert AuditEntry.objects.count() == entries


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/admin/org/unit/", follow=True)
    assert response.request["PATH_INFO"] == "/accounts/login/"


def test_the_administrator_reaches_the_admin_index(cast, login):
    response = login(cast.admin).get("/admin/")
    assert response.status_code == 200
    models = {
        model["object_name"] for app in response.context["app_list"] for model in app["models"]
    }
    assert {"Unit", "Department", "Membership", "User"} <= models
    assert not {"Resident", "Household"} & models


def test_residents_are_not_in_the_administration(cast, login):
    assert Resident not in admin_site._registry
    assert Household not in admin_site._registry
    client = login(cast.admin)
    assert client.get("/admin/residents/resident/").status_code == 404


def test_the_administrator_cannot_read_residents(cast, login):
    resident = factories.resident(cast.grid, "张三")
    client = login(cast.admin)
    assert client.get("/residents/").status_code == 403
    assert client.get(f"/residents/{resident.pk}/").status_code == 404
    assert not AuditEntry.objects.filter(action="residents.resident.viewed").exists()


def test_the_administrator_adds_a_user_through_the_service(cast, login):
    client = login(cast.admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "newbie", "display_name": "何新", "email": "", "password": "Qinghe#2026x"},
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.check_password("Qinghe#2026x")
    assert user.must_change_password  # a temporary password
    entry = AuditEntry.objects.get(action="accounts.user.created", object_id=str(user.pk))
    assert entry.actor == cast.admin


@pytest.mark.parametrize(
    "values",
    [
        {"username": "grid"},  # taken
        {"password": "12345"},  # too weak
        {"username": ""},
    ],
    ids=["duplicate username", "weak password", "no username"],
)
def test_bad_account_input_is_a_form_error_and_creates_nothing(cast, login, values):
    client = login(cast.admin)
    data = {"username": "newbie", "display_name": "何新", "email": "", "password": "Qinghe#2026x"}
    data.update(values)
    before, entries = everything(), AuditEntry.objects.count()
    response = client.post("/admin/accounts/user/add/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert everything() == before
    assert AuditEntry.objects.count() == entries


def test_an_account_cannot_be_deleted(cast, login):
    client = login(cast.admin)
    before = everything()
    response = client.post(f"/admin/accounts/user/{cast.grid_worker.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert everything() == before
