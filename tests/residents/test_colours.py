"""The seven colour categories: the default scheme, placements with reasons and dates, history
kept, sensitive categories only for roles permitted for them (views audited), care visits and the
visits-due list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories
from tests.conftest import login_as
from tests.matters.web import page_text
from xinkan.audit.models import AuditEntry
from xinkan.residents import services
from xinkan.residents.models import ColourCategory, ResidentColour
from xinkan.residents.selectors import visits_due


def category(colour: str) -> ColourCategory:
    return ColourCategory.objects.get(colour=colour)


def test_the_default_scheme_has_seven_colours_and_marks_the_sensitive_ones(db):
    scheme = {c.colour: c for c in ColourCategory.objects.all()}
    assert list(scheme) == ["red", "orange", "yellow", "green", "cyan", "blue", "purple"]
    assert {c for c, cat in scheme.items() if cat.sensitive} == {"red", "yellow", "blue", "purple"}
    assert all(cat.visit_every_days for cat in scheme.values())


def test_a_resident_may_be_in_several_categories_with_reasons(cast):
    resident = factories.resident(cast.grid)
    services.add_colour(
        resident, category=category("orange"), reason="独自居住", by=cast.community_worker
    )
    services.add_colour(
        resident, category=category("yellow"), reason="纳入低保", by=cast.community_worker
    )
    assert ResidentColour.objects.filter(resident=resident, ended_on__isnull=True).count() == 2
    with pytest.raises(ValidationError):
        services.add_colour(
            resident, category=category("orange"), reason="重复", by=cast.community_worker
        )


def test_leaving_a_category_keeps_the_history(cast):
    resident = factories.resident(cast.grid)
    row = services.add_colour(
        resident, category=category("cyan"), reason="租住", by=cast.community_worker
    )
    services.end_colour(row, reason="已搬离本社区", by=cast.community_worker)
    row.refresh_from_db()
    assert row.ended_on == timezone.localdate() and row.end_reason == "已搬离本社区"
    again = services.add_colour(
        resident, category=category("cyan"), reason="又租回来了", by=cast.community_worker
    )
    assert again.pk != row.pk


def test_a_reason_is_required(cast):
    resident = factories.resident(cast.grid)
    with pytest.raises(ValidationError):
        services.add_colour(
            resident, category=category("green"), reason=" ", by=cast.community_worker
        )


def test_a_sensitive_category_needs_the_permission(cast):
    resident = factories.resident(cast.grid)
    with pytest.raises(PermissionDenied):
        services.add_colour(resident, category=category("blue"), reason="残疾", by=cast.grid_worker)
    services.add_colour(resident, category=category("orange"), reason="独居", by=cast.grid_worker)
    assert AuditEntry.objects.filter(action="residents.colour.denied").count() == 1


def test_sensitive_categories_are_hidden_from_others_and_their_views_audited(cast, client):
    resident = factories.resident(cast.grid, name="王秀英")
    services.add_colour(
        resident, category=category("yellow"), reason="纳入低保", by=cast.community_worker
    )
    services.add_colour(
        resident, category=category("orange"), reason="独居", by=cast.community_worker
    )

    login_as(client, cast.grid_worker)
    text = page_text(client.get(f"/residents/{resident.pk}/"))
    assert "独居老人" in text and "低保及困难家庭" not in text
    assert not AuditEntry.objects.filter(action="residents.colour.viewed").exists()

    login_as(client, cast.community_worker)
    text = page_text(client.get(f"/residents/{resident.pk}/"))
    assert "独居老人" in text and "低保及困难家庭" in text
    assert AuditEntry.objects.filter(action="residents.colour.viewed").count() == 1


def test_placing_through_the_page(cast, client):
    resident = factories.resident(cast.grid)
    login_as(client, cast.community_worker)
    response = client.post(
        f"/residents/{resident.pk}/colours/",
        {"category": category("green").pk, "reason": "家庭和睦"},
    )
    assert response["Location"] == f"/residents/{resident.pk}/"
    assert ResidentColour.objects.filter(resident=resident, category__colour="green").exists()
    login_as(client, cast.outsider)
    assert (
        client.post(
            f"/residents/{resident.pk}/colours/", {"category": category("red").pk, "reason": "x"}
        ).status_code
        == 404
    )


def test_visits_due_follow_each_categorys_frequency(cast):
    today = timezone.localdate()
    lonely = factories.resident(cast.grid, name="独居甲")
    visited = factories.resident(cast.grid, name="独居乙")
    quiet = factories.resident(cast.grid, name="无事户")
    for person in (lonely, visited):
        services.add_colour(
            person, category=category("orange"), reason="独居", by=cast.community_worker
        )
    services.add_colour(quiet, category=category("green"), reason="和睦", by=cast.community_worker)
    services.record_care_visit(
        visited, by=cast.community_worker, found="身体很好", visited_on=today - dt.timedelta(days=3)
    )
    services.record_care_visit(
        quiet, by=cast.community_worker, found="一切正常", visited_on=today - dt.timedelta(days=30)
    )

    due = [r.name for r in visits_due(cast.community_worker, today=today)]
    assert due == ["独居甲"]
    later = [r.name for r in visits_due(cast.community_worker, today=today + dt.timedelta(days=15))]
    assert later == ["独居甲", "独居乙"]


def test_sensitive_categories_do_not_put_residents_on_a_list_of_those_who_may_not_see_them(cast):
    resident = factories.resident(cast.grid)
    services.add_colour(
        resident, category=category("blue"), reason="残疾", by=cast.community_worker
    )
    assert [r.pk for r in visits_due(cast.community_worker, today=timezone.localdate())] == [
        resident.pk
    ]
    assert list(visits_due(cast.grid_worker, today=timezone.localdate())) == []


def test_a_visit_in_the_future_or_without_findings_is_refused(cast):
    resident = factories.resident(cast.grid)
    with pytest.raises(ValidationError):
        services.record_care_visit(
            resident,
            by=cast.community_worker,
            found="好",
            visited_on=timezone.localdate() + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        services.record_care_visit(resident, by=cast.community_worker, found=" ")
    with pytest.raises(PermissionDenied):
        services.record_care_visit(resident, by=cast.outsider, found="身体很好")


def test_the_visits_due_page(cast, client):
    resident = factories.resident(cast.grid, name="赵大爷")
    services.add_colour(
        resident, category=category("orange"), reason="独居", by=cast.community_worker
    )
    login_as(client, cast.community_worker)
    assert "赵大爷" in page_text(client.get("/residents/visits-due/"))
    login_as(client, cast.leader)
    assert client.get("/residents/visits-due/").status_code == 403
