"""The monthly ranking of departments: the departments of the units of one level under the
reader's unit, by the units' score, ties, movement and classes; each figure links to its cases."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse

from tests import factories
from tests.conftest import login_as
from tests.matters import factories as mf
from tests.metrics.helpers import local
from xinkan.audit.models import AuditEntry
from xinkan.matters import services
from xinkan.matters.models import Outcome, Rating
from xinkan.metrics import aggregation, definitions, selectors
from xinkan.metrics.periods import Period
from xinkan.org.models import Department, Level

pytestmark = pytest.mark.django_db

MARCH = {"kind": "departments", "level": "district", "on": "2026-03-01"}
_phones = iter(range(13700000000, 13799999999))


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0
    settings.XINKAN_METRICS_MIN_FOLLOW_UPS = 1


def _answered(cast, department: Department, handler, rating: str) -> None:  # type: ignore[no-untyped-def]
    """A matter of 东风里社区 dispatched to `department`, answered by it and rated."""
    phone = str(next(_phones))
    matter = mf.accepted(cast, contact_phone=phone, description=f"{phone}号楼下水道堵了。")
    services.dispatch_matter(matter, lead=department, by=cast.community_worker)
    services.sign_for(matter, by=handler)
    services.reply_to_matter(matter, by=handler, text=mf.REPLY, outcome=Outcome.SUPPORTED)
    services.record_follow_up(matter, rating=rating, by=cast.community_worker)


@pytest.fixture
def bureaus(cast):  # type: ignore[no-untyped-def]
    """Three district bureaus and an office of 东风街道. February: 住建局 satisfied, 城管局
    dissatisfied. March: 城管局 and 民政局 satisfied (a tie), 住建局 mostly satisfied; the
    office satisfied."""
    city = factories.department("清河区城市管理局", cast.district, code="139901-CGJ")
    civil = factories.department("清河区民政局", cast.district, code="139901-MZJ")
    office = factories.department("东风街道城管办", cast.subdistrict, code="139901001-CGB")
    handlers = {
        cast.department.pk: cast.handler,
        city.pk: mf.handler_of(city, "city"),
        civil.pk: mf.handler_of(civil, "civil"),
        office.pk: mf.handler_of(office, "office"),
    }
    with time_machine.travel(local(2026, 2, 10, 9, 0), tick=False):
        _answered(cast, cast.department, cast.handler, Rating.SATISFIED)
        _answered(cast, city, handlers[city.pk], Rating.DISSATISFIED)
    with time_machine.travel(local(2026, 3, 10, 9, 0), tick=False):
        _answered(cast, cast.department, cast.handler, Rating.MOSTLY)
        _answered(cast, city, handlers[city.pk], Rating.SATISFIED)
        _answered(cast, civil, handlers[civil.pk], Rating.SATISFIED)
        _answered(cast, office, handlers[office.pk], Rating.SATISFIED)
    aggregation.refresh()
    cast.city, cast.civil, cast.office = city, civil, office
    return cast


def _rows(content: str) -> list[tuple[int, str, str, str]]:
    return [
        (int(pk), rank, klass, movement)
        for pk, rank, klass, movement in re.findall(
            r'data-department="(\d+)" data-rank="(\d*)" data-class="([a-z]*)" '
            r'data-movement="([^"]*)"',
            content,
        )
    ]


def test_departments_are_ranked_with_ties_movement_and_classes(bureaus, client):
    login_as(client, bureaus.leader)
    response = client.get(reverse("metrics:rankings"), MARCH)
    assert response.status_code == 200
    rows = _rows(response.content.decode())
    # 城管局 and 民政局 share first place (1.0), listed by code; 住建局 third (0.96).
    assert rows == [
        (bureaus.city.pk, "1", definitions.RankClass.ADVANCED, "+1"),
        (bureaus.civil.pk, "1", definitions.RankClass.ADVANCED, "—"),
        (bureaus.department.pk, "3", definitions.RankClass.ADVANCED, "-2"),
    ]
    # The subdistrict's office is ranked among the subdistricts' departments, not here.
    assert bureaus.office.pk not in [row[0] for row in rows]
    offices = _rows(
        client.get(reverse("metrics:rankings"), {**MARCH, "level": "subdistrict"}).content.decode()
    )
    assert offices == [(bureaus.office.pk, "1", definitions.RankClass.ADVANCED, "—")]


def test_the_scores_are_the_departments_dashboard_figures(bureaus):
    rows = selectors.ranking(
        selectors.departments_of_level(bureaus.district, Level.DISTRICT), dt.date(2026, 3, 1)
    )
    assert [row.score for row in rows] == pytest.approx([1.0, 1.0, 0.1 + 0.5 + 0.4 * 0.9])
    assert [row.previous_score for row in rows] == pytest.approx([0.1, None, 1.0])
    for row in rows:
        march = selectors.part_sums(
            row.target,
            Period.containing("month", dt.date(2026, 3, 1)),
        )
        assert row.figures.parts == march
        # The score is the dashboard's composite of the same sums, to the last bit.
        assert row.score == row.figures.values["composite"]


def test_every_figure_links_to_as_many_cases_as_it_counts(bureaus, client):
    login_as(client, bureaus.leader)
    content = client.get(reverse("metrics:rankings"), MARCH).content.decode()
    links = re.findall(
        r'<a href="([^"]+)" data-figure="([a-z_]+)" data-drill-count="(\d+)"', content
    )
    assert len(links) == 3 * (len(definitions.TABLE_KEYS) - 1)
    assert any(int(count) > 0 for _url, _key, count in links)
    for url, key, count in links:
        assert "department=" in url, key
        cases = client.get(html.unescape(url))
        assert cases.status_code == 200
        listed = re.search(r'data-count="(\d+)"', cases.content.decode())
        assert listed and listed.group(1) == count, (url, key)


def test_a_cadre_ranks_only_the_departments_of_the_subdistrict(bureaus, client):
    login_as(client, bureaus.cadre)
    response = client.get(reverse("metrics:rankings"), {"kind": "departments"})
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="rank-level"' in content and 'value="district"' not in content
    month = client.get(reverse("metrics:rankings"), {**MARCH, "level": "district"})
    assert [row[0] for row in _rows(month.content.decode())] == [bureaus.office.pk]


def test_the_departments_ranking_is_exported_and_audited(bureaus, client):
    login_as(client, bureaus.leader)
    response = client.get(reverse("metrics:rankings"), {**MARCH, "export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = body.strip().splitlines()
    assert len(lines) == 4 and "清河区城市管理局" in lines[1] and "清河区" in lines[1]
    entry = AuditEntry.objects.filter(action="metrics.exported").latest("id")
    assert entry.data["table"] == "department_ranking" and entry.data["rows"] == 3


def test_the_departments_ranking_query_count_is_pinned(bureaus, client, django_assert_num_queries):
    login_as(client, bureaus.leader)
    client.get(reverse("metrics:rankings"), MARCH)
    # Session, user, second factor, scope, the unit; the levels that have departments, the
    # departments, the month and the month before (one grouped query each); the categories of the
    # category filter.
    with django_assert_num_queries(10):
        assert client.get(reverse("metrics:rankings"), MARCH).status_code == 200


def test_a_unit_without_departments_says_so(cast, client):
    login_as(client, cast.community_worker)
    response = client.get(reverse("metrics:rankings"), {"kind": "departments"})
    assert response.status_code == 200
    assert "data-department=" not in response.content.decode()
