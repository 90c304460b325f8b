"""Volunteers: registering with skills and availability, service hours recorded by the organising
unit, corrections that supersede (the old record kept), totals and star levels, scope and audit,
and the pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from tests.conftest import login_as
from tests.matters.web import page_text
from xinkan.audit.models import AuditEntry
from xinkan.volunteers import selectors, services
from xinkan.volunteers.models import ServiceRecord, Volunteer

TODAY = timezone.localdate


def volunteer(cast, **values):  # type: ignore[no-untyped-def]
    data = {
        "name": "周敏",
        "unit": cast.community,
        "skills": ["companionship"],
        "phone": "13611112222",
    }
    data.update(values)
    return services.register_volunteer(by=cast.community_worker, **data)


def test_a_volunteer_is_registered_with_skills_days_and_an_encrypted_phone(cast):
    person = volunteer(cast, skills=["repairs", "errands", "repairs"], available_days=[5, 6, 5])
    assert person.skills == ["errands", "repairs"] and person.available_days == [5, 6]
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM volunteers_volunteer WHERE id = %s", [person.pk])
        assert "13611112222" not in cursor.fetchone()[0]
    assert AuditEntry.objects.filter(action="volunteers.registered").count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"skills": []}, "skills"),
        ({"skills": ["flying"]}, "skills"),
        ({"available_days": [7]}, "available_days"),
        ({"max_pairings": 0}, "max_pairings"),
        ({"phone": "123"}, "phone"),
    ],
)
def test_bad_registrations_are_explained(cast, values, field):
    with pytest.raises(ValidationError) as error:
        volunteer(cast, **values)
    assert field in error.value.message_dict
    assert not Volunteer.objects.exists()


def test_nobody_registers_volunteers_outside_their_area(cast):
    with pytest.raises(PermissionDenied):
        services.register_volunteer(
            by=cast.outsider, name="周敏", unit=cast.community, skills=["errands"]
        )
    with pytest.raises(PermissionDenied):  # a grid worker sees volunteers but does not manage them
        services.register_volunteer(
            by=cast.grid_worker, name="周敏", unit=cast.grid, skills=["errands"]
        )


def test_hours_add_up_and_give_stars(cast, settings):
    settings.XINKAN_STAR_HOURS = (10, 20, 30, 40, 50)
    person = volunteer(cast)
    for day in range(3):
        services.record_service(
            person,
            by=cast.community_worker,
            organiser=cast.community,
            activity="重阳节敬老活动",
            served_on=TODAY() - dt.timedelta(days=day),
            hours=Decimal("8"),
        )
    total = selectors.with_totals(Volunteer.objects.filter(pk=person.pk)).get().total_hours
    assert total == Decimal("24.0") and selectors.stars(total) == 2


def test_a_correction_supersedes_the_record_and_keeps_it(cast):
    person = volunteer(cast)
    record = services.record_service(
        person,
        by=cast.community_worker,
        organiser=cast.community,
        activity="清扫楼道",
        served_on=TODAY(),
        hours=Decimal("2"),
    )
    fixed = services.correct_service(
        record,
        by=cast.community_worker,
        hours=Decimal("3.5"),
        served_on=TODAY(),
        reason="实际服务了三个半小时",
    )
    record.refresh_from_db()
    assert record.superseded and fixed.corrects == record
    total = selectors.with_totals(Volunteer.objects.filter(pk=person.pk)).get().total_hours
    assert total == Decimal("3.5")
    with pytest.raises(ValidationError):
        services.correct_service(
            record, by=cast.community_worker, hours=Decimal("1"), served_on=TODAY(), reason="再改"
        )
    entry = AuditEntry.objects.get(action="volunteers.hours_corrected")
    assert entry.changes == {"hours": ["2.0", "3.5"]}


def test_only_the_organising_unit_records_and_corrects(cast):
    person = volunteer(cast)
    with pytest.raises(PermissionDenied):
        services.record_service(
            person,
            by=cast.outsider,
            organiser=cast.community,
            activity="清扫",
            served_on=TODAY(),
            hours=Decimal("1"),
        )
    record = services.record_service(
        person,
        by=cast.cadre,
        organiser=cast.subdistrict,
        activity="街道义诊",
        served_on=TODAY(),
        hours=Decimal("4"),
    )
    with pytest.raises(
        PermissionDenied
    ):  # recorded by the subdistrict: the community cannot change it
        services.correct_service(
            record,
            by=cast.community_worker,
            hours=Decimal("5"),
            served_on=TODAY(),
            reason="多算一小时",
        )


@pytest.mark.parametrize(
    ("hours", "days_ahead", "field"),
    [(Decimal("0"), 0, "hours"), (Decimal("25"), 0, "hours"), (Decimal("2"), 1, "served_on")],
)
def test_impossible_hours_are_refused(cast, hours, days_ahead, field):
    person = volunteer(cast)
    with pytest.raises(ValidationError) as error:
        services.record_service(
            person,
            by=cast.community_worker,
            organiser=cast.community,
            activity="清扫",
            served_on=TODAY() + dt.timedelta(days=days_ahead),
            hours=hours,
        )
    assert field in error.value.message_dict
    assert not ServiceRecord.objects.exists()


def test_the_pages(cast, client, django_assert_max_num_queries):
    login_as(client, cast.community_worker)
    response = client.post(
        "/volunteers/new/",
        {
            "name": "吴刚",
            "unit": cast.community.pk,
            "skills": ["legal"],
            "available_days": [5],
            "max_pairings": 2,
        },
    )
    person = Volunteer.objects.get(name="吴刚")
    assert response["Location"] == f"/volunteers/{person.pk}/"
    response = client.post(
        f"/volunteers/{person.pk}/hours/",
        {
            "activity": "法律咨询进社区",
            "served_on": TODAY().isoformat(),
            "hours": "3",
            "organiser": cast.community.pk,
        },
    )
    assert ServiceRecord.objects.get().hours == Decimal("3.0")
    assert "法律咨询进社区" in page_text(client.get(f"/volunteers/{person.pk}/"))
    for n in range(8):
        volunteer(cast, name=f"志愿者{n}")
    client.get("/volunteers/")
    with django_assert_max_num_queries(9):
        listed = client.get("/volunteers/").content.decode()
    assert len(re.findall(r'href="/volunteers/\d+/"', listed)) == 9
    assert "吴刚" in page_text(client.get("/volunteers/", {"skill": "legal"}))
    assert "志愿者1" not in page_text(client.get("/volunteers/", {"skill": "legal"}))

    login_as(client, cast.outsider)
    assert client.get(f"/volunteers/{person.pk}/").status_code == 404
    login_as(client, cast.handler)
    assert client.get("/volunteers/").status_code == 403
