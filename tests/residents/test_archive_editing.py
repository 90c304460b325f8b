"""Keeping the archive by hand: registering a household and its members, correcting a household
(its members move with it) and a resident's facts and numbers — audited, within one's area, and
nothing half-written when a part is refused."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests import factories
from tests.conftest import login_as
from xinkan.audit.models import AuditEntry
from xinkan.residents import editing
from xinkan.residents.models import Household, Resident

# A valid ID number (GB 11643 check digit): born 1953-08-10, female.
ID_NUMBER = "110105195308100020"


@pytest.fixture
def staff(client, cast):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages compared in English
    return login_as(client, cast.community_worker)


def test_a_household_is_registered_and_members_added_with_facts_from_the_id(staff, cast):
    response = staff.post(
        reverse("residents:household_new"),
        {"code": "DF-0101", "unit": cast.grid.pk, "address": "东风里3号楼2单元501"},
    )
    household = Household.objects.get(code="DF-0101")
    assert response["Location"] == reverse("residents:household", args=[household.pk])
    staff.post(
        reverse("residents:household", args=[household.pk]),
        {"form": "member", "name": "李秀英", "relation": "户主", "id_number": ID_NUMBER},
    )
    member = Resident.objects.get(name="李秀英")
    assert member.household == household and member.unit == cast.grid
    assert str(member.birth_date) == "1953-08-10" and member.gender == "female"
    assert member.address == "东风里3号楼2单元501"
    page = staff.get(reverse("residents:household", args=[household.pk])).content.decode()
    assert "李秀英" in page and ID_NUMBER not in page


def test_a_duplicate_household_number_or_a_bad_id_is_explained(staff, cast):
    factories.household(cast.grid, code="DF-0101")
    response = staff.post(
        reverse("residents:household_new"),
        {"code": "DF-0101", "unit": cast.grid.pk, "address": "东风里3号楼"},
    )
    assert "already on file" in response.content.decode()
    household = Household.objects.get()
    response = staff.post(
        reverse("residents:household", args=[household.pk]),
        {"form": "member", "name": "李秀英", "id_number": "110105195308100028"},
    )
    assert response.status_code == 200 and "id_number" in response.context["member_form"].errors
    assert not Resident.objects.exists()


def test_moving_a_household_moves_its_members_and_is_audited(cast):
    household = factories.household(cast.grid)
    member = factories.resident(cast.grid, household=household)
    second_grid = factories.unit("东风里社区第二网格", "grid", cast.community)
    editing.update_household(
        household, by=cast.community_worker, address="东风里5号楼", unit=second_grid
    )
    member.refresh_from_db()
    assert member.unit == second_grid
    entry = AuditEntry.objects.get(action="residents.household.updated")
    assert entry.changes["unit"] == [cast.grid.pk, second_grid.pk]
    with pytest.raises(PermissionDenied):
        editing.update_household(
            household, by=cast.community_worker, address="别处", unit=cast.other_grid
        )


def test_a_residents_facts_are_corrected_and_the_change_audited(cast):
    person = factories.resident(cast.grid, name="张三")
    editing.update_resident(
        person,
        by=cast.community_worker,
        name="张叁",
        unit=cast.grid,
        household=None,
        relation="",
        address="东风里7号",
        occupation="退休",
    )
    person.refresh_from_db()
    assert person.name == "张叁" and person.occupation == "退休"
    entry = AuditEntry.objects.get(action="residents.resident.updated")
    assert entry.changes["name"] == ["张三", "张叁"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"relation": "户主"}, "relation"),  # no household
        ({"birth_date": "future"}, "birth_date"),
    ],
)
def test_bad_corrections_are_explained(cast, change, field):
    import datetime as dt

    person = factories.resident(cast.grid, name="张三")
    values = {
        "name": "张三",
        "unit": cast.grid,
        "household": None,
        "relation": "",
        "address": "",
        "occupation": "",
    }
    if change.get("birth_date") == "future":
        change = {"birth_date": dt.date.today() + dt.timedelta(days=1)}
    values.update(change)
    with pytest.raises(ValidationError) as refused:
        editing.update_resident(person, by=cast.community_worker, **values)
    assert field in refused.value.message_dict


def test_a_household_in_another_grid_is_refused(cast):
    elsewhere = factories.household(cast.neighbour_grid, code="GM-1")
    person = factories.resident(cast.grid)
    with pytest.raises(PermissionDenied):  # the neighbour community is not the worker's
        editing.update_resident(
            person,
            by=cast.community_worker,
            name="张三",
            unit=cast.grid,
            household=elsewhere,
            relation="子",
            address="",
            occupation="",
        )
    ours = factories.household(cast.community, code="DF-9")
    with pytest.raises(ValidationError) as refused:
        editing.update_resident(
            person,
            by=cast.community_worker,
            name="张三",
            unit=cast.grid,
            household=ours,
            relation="子",
            address="",
            occupation="",
        )
    assert "household" in refused.value.message_dict


def test_the_edit_page_changes_the_phone_without_showing_or_auditing_its_value(staff, cast):
    person = factories.resident(cast.grid, name="张三")
    url = reverse("residents:edit", args=[person.pk])
    response = staff.post(
        url,
        {"name": "张三", "unit": cast.grid.pk, "new_phone": "13912345678", "gender": "male"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13912345678"
    page = staff.get(url).content.decode()
    assert "13912345678" not in page and "139****5678" in page
    for entry in AuditEntry.objects.filter(action="residents.resident.updated"):
        assert "13912345678" not in str(entry.changes)


def test_a_refused_number_leaves_the_other_corrections_unsaved(staff, cast):
    person = factories.resident(cast.grid, name="张三")
    response = staff.post(
        reverse("residents:edit", args=[person.pk]),
        {"name": "张叁", "unit": cast.grid.pk, "new_id_number": "123"},
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.name == "张三"
    assert not AuditEntry.objects.filter(action="residents.resident.updated").exists()


def test_the_archive_pages_are_within_ones_area(client, cast):
    household = factories.household(cast.grid, code="DF-1")
    person = factories.resident(cast.grid, household=household)
    login_as(client, cast.outsider)
    assert client.get(reverse("residents:household", args=[household.pk])).status_code == 404
    assert client.get(reverse("residents:edit", args=[person.pk])).status_code == 404
    assert "DF-1" not in client.get(reverse("residents:households")).content.decode()
    login_as(client, cast.leader)  # sees residents, may not change them
    assert client.get(reverse("residents:edit", args=[person.pk])).status_code == 403
    response = client.post(
        reverse("residents:household", args=[household.pk]), {"form": "member", "name": "某人"}
    )
    assert response.status_code == 403


def test_the_household_list_does_not_grow_in_queries(staff, cast, django_assert_max_num_queries):
    for number in range(30):
        household = factories.household(cast.grid, code=f"DF-{number}")
        factories.resident(cast.grid, name=f"居民{number}", household=household)
    with django_assert_max_num_queries(10):
        page = staff.get(reverse("residents:households")).content.decode()
    assert page.count('data-household="DF-') == 30
    found = staff.get(reverse("residents:households") + "?q=DF-7").content.decode()
    assert found.count('data-household="DF-') == 1


def test_tags_are_typed_on_one_line_shown_and_filter_the_list(staff, cast):
    person = factories.resident(cast.grid, name="张三")
    factories.resident(cast.grid, name="李四")
    assert editing.parse_tags("党员，退役军人、 楼栋长,党员") == ["党员", "退役军人", "楼栋长"]
    staff.post(
        reverse("residents:edit", args=[person.pk]),
        {"name": "张三", "unit": cast.grid.pk, "tags": "党员，楼栋长", "gender": "male"},
    )
    person.refresh_from_db()
    assert person.tags == ["党员", "楼栋长"]
    entry = AuditEntry.objects.get(action="residents.resident.updated")
    assert entry.changes["tags"] == [[], ["党员", "楼栋长"]]
    page = staff.get(reverse("residents:detail", args=[person.pk])).content.decode()
    assert 'data-tag="楼栋长"' in page
    listed = staff.get(reverse("residents:list") + "?tag=楼栋长").content.decode()
    assert "张三" in listed and "李四" not in listed


def test_too_many_or_too_long_tags_are_refused(cast):
    person = factories.resident(cast.grid)
    with pytest.raises(ValidationError) as refused:
        editing.update_resident(
            person,
            by=cast.community_worker,
            name="张三",
            unit=cast.grid,
            household=None,
            relation="",
            address="",
            occupation="",
            tags=[f"标签{i}" for i in range(11)],
        )
    assert "tags" in refused.value.message_dict
