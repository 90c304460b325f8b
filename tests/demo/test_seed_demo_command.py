"""manage.py seed_demo: a realistic demo district, idempotent, every account usable as printed."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from xinkan.accounts.models import User
from xinkan.audit.models import AuditEntry
from xinkan.audit.services import verify_chain
from xinkan.demo import steps
from xinkan.org.models import Department, Level, Membership, Unit
from xinkan.org.roles import Role
from xinkan.residents.models import Household, Resident

# DESIGN.md §3 lists these roles (and residents, who have no staff account).
DESIGN_ROLES = {
    "grid_worker",
    "mediator",
    "community_worker",
    "subdistrict_cadre",
    "department_handler",
    "lawyer",
    "volunteer",
    "leader",
    "admin",
}


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def small_demo(db, monkeypatch):
    """The demo with one household per grid: the same shape, faster to build."""
    monkeypatch.setattr(steps, "HOUSEHOLDS_PER_GRID", 1)
    return seed()


def counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "audit entries": AuditEntry.objects.count(),
    }


def test_seeding_twice_creates_no_duplicates(db):
    seed()
    first = counts()
    seed()
    assert counts() == first
    assert first["residents"] > first["households"] > 100


def test_the_demo_district_has_towns_villages_grids_and_departments(small_demo):
    assert Unit.objects.filter(level=Level.DISTRICT).count() >= 1
    subdistricts = Unit.objects.filter(level=Level.SUBDISTRICT)
    assert subdistricts.count() >= 3
    assert subdistricts.filter(rural=True).exists()  # a town
    communities = Unit.objects.filter(level=Level.COMMUNITY)
    assert communities.count() >= 10
    assert communities.filter(rural=True).exists()  # villages
    for community in communities:
        assert community.children.filter(level=Level.GRID).exists(), community.name
    assert Department.objects.count() >= 8
    # Every unit hangs in one tree whose paths agree with the parents.
    for unit in Unit.objects.select_related("parent"):
        expected = (unit.parent.path if unit.parent else "") + f"{unit.pk:08d}/"
        assert unit.path == expected
    assert not Resident.objects.exclude(unit__level=Level.GRID).exists()


def test_there_is_an_account_for_every_role(small_demo):
    wanted = DESIGN_ROLES & set(Role.values)
    held = set(Membership.objects.filter(is_active=True).values_list("role", flat=True))
    assert wanted <= held


def test_the_output_lists_the_accounts_and_the_password(small_demo):
    assert f"password for all: {steps.DEMO_PASSWORD}" in small_demo
    for username in {account[0] for account in steps.ACCOUNTS}:
        assert re.search(rf"^{username}\s", small_demo, re.M), username
    assert "demo_totp" in small_demo


def _printed_accounts(output: str) -> tuple[str, list[str]]:
    password = re.search(r"password for all: (\S+)\)", output).group(1)
    table = output.split("password for all:")[1].split("\n\n")[0]
    usernames = [line.split()[0] for line in table.splitlines()[2:] if line.strip()]
    return password, sorted(set(usernames))


def _demo_code(username: str) -> str:
    out = io.StringIO()
    with override_settings(XINKAN_DEMO=True):
        call_command("demo_totp", username, stdout=out)
    return out.getvalue().strip()


def test_every_printed_account_logs_in_with_the_printed_password(small_demo):
    password, usernames = _printed_accounts(small_demo)
    assert len(usernames) >= 9
    for username in usernames:
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, username
        if response["Location"] == "/accounts/login/verify/":
            response = client.post(response["Location"], {"token": _demo_code(username)})
            assert response.status_code == 302, username
        assert response["Location"] == "/", username
        home = client.get("/")
        assert home.status_code == 200, username
        assert home.context["user"].username == username


def test_the_accounts_that_need_a_second_factor_have_one(small_demo):
    for username in steps.DEMO_TOTP_KEYS:
        user = User.objects.get(username=username)
        assert user.totpdevice_set.filter(confirmed=True).count() == 1


def test_the_audit_chain_is_intact_after_seeding(small_demo):
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == AuditEntry.objects.count()


def test_the_demo_data_is_audited_like_any_other(small_demo):
    assert AuditEntry.objects.filter(action="org.unit.created").count() == Unit.objects.count()
    assert (
        AuditEntry.objects.filter(action="residents.resident.created").count()
        == Resident.objects.count()
    )
