"""The dashboard, the cases behind each figure, the ranking, exports and scope."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.metrics.helpers import local
from xinkan.audit.models import AuditEntry
from xinkan.matters import services
from xinkan.matters.models import Channel, Rating
from xinkan.metrics import aggregation, definitions, selectors, views
from xinkan.metrics.models import Part
from xinkan.metrics.periods import Period

pytestmark = pytest.mark.django_db

MARCH = {"period": "month", "on": "2026-03-01"}


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0
    settings.XINKAN_METRICS_MIN_FOLLOW_UPS = 1


@pytest.fixture
def history(cast):  # type: ignore[no-untyped-def]
    """March 2026: matters in two communities of 东风街道 and one of 胜利街道, resolved, rated,
    one overdue and supervised."""
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        late = mf.handling(cast, contact_phone="13800000001")
        for i, rating in enumerate([Rating.SATISFIED, Rating.MOSTLY, Rating.DISSATISFIED]):
            matter = mf.replied(
                cast, contact_phone=f"1380000010{i}", description=f"第{i}件：楼道灯坏了。"
            )
            services.record_follow_up(
                matter, rating=rating, by=cast.community_worker, contacted=i != 2
            )
        neighbour = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone="13800000200")
        services.handle_by_unit(neighbour, by=cast.outsider)
        services.reply_to_matter(neighbour, by=cast.outsider, text=mf.REPLY, outcome="supported")
        services.record_follow_up(neighbour, rating=Rating.SATISFIED, by=cast.outsider)
        mf.matter(cast.other_grid, None, channel=Channel.ONLINE, contact_phone="13800000300")
    with time_machine.travel(local(2026, 3, 28, 9, 0), tick=False):
        services.sweep_all()
        assert late.pk
    aggregation.refresh()
    return cast


def _figures(content: str) -> dict[str, str]:
    return dict(
        re.findall(
            r'data-figure="([a-z_]+)" data-drill="[a-z_]+" data-drill-count="(\d+)"', content
        )
    )


def test_every_figure_links_to_as_many_cases_as_it_counts(history, client):
    login_as(client, history.leader)
    response = client.get(reverse("metrics:dashboard"), MARCH)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="trend-data"' in content and 'id="children"' in content
    district = selectors.part_sums(
        history.district, Period.containing("month", dt.date(2026, 3, 1))
    )
    assert district[Part.FOLLOW_UPS] == 4 and district[Part.OVERDUE] == 1
    for indicator in definitions.MATTER_INDICATORS:
        expected = district.get(indicator.drill, 0)
        cases = client.get(
            reverse("metrics:cases"),
            {"unit": history.district.pk, "part": indicator.drill, **MARCH},
        )
        assert cases.status_code == 200
        listed = re.search(r'data-count="(\d+)"', cases.content.decode())
        assert listed and int(listed.group(1)) == expected, indicator.key
        assert cases.content.decode().count("data-matter=") == expected
        assert _figures(content)[indicator.key] == str(expected)


def test_dashboard_and_ranking_query_counts_are_pinned(history, client, django_assert_num_queries):
    login_as(client, history.leader)
    client.get(reverse("metrics:dashboard"), MARCH)  # session, scope and the like warmed
    # … plus the overdue and the supervised list since they came (the unit's subtree, which the
    # leader sees whole: no list of the scope's units), and the categories of the category filter.
    # Mediation's figures for a whole month: one query of its subtree rows (dispute_facts).
    with django_assert_num_queries(16):
        assert client.get(reverse("metrics:dashboard"), MARCH).status_code == 200
    # The ranking: the same whatever the number of units, with the categories of its filter.
    with django_assert_num_queries(9):
        response = client.get(
            reverse("metrics:rankings"), {"level": "community", "on": "2026-03-01"}
        )
        assert response.status_code == 200


def test_ranking_orders_by_score_with_ties_by_code_and_classes(history, client):
    login_as(client, history.leader)
    response = client.get(reverse("metrics:rankings"), {"level": "community", "on": "2026-03-01"})
    rows = re.findall(
        r'data-unit="(\d+)" data-rank="(\d*)" data-class="([a-z]*)"', response.content.decode()
    )
    order = [int(unit) for unit, _rank, _class in rows]
    # 光明社区: one satisfied follow-up (score 1.0); 东风里社区: three, one dissatisfied.
    assert order[:2] == [history.neighbour_community.pk, history.community.pk]
    assert rows[0][1] == "1" and rows[0][2] == definitions.RankClass.ADVANCED
    assert rows[1][1] == "2"
    # 和平社区 has no follow-up: listed, not ranked.
    assert rows[2] == (str(history.other_community.pk), "", "")


def test_a_long_ranking_is_shown_a_page_at_a_time_and_exported_whole(history, client, monkeypatch):
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 2)
    login_as(client, history.leader)
    params = {"level": "community", "on": "2026-03-01"}
    first = client.get(reverse("metrics:rankings"), params).content.decode()
    assert re.findall(r'data-unit="(\d+)" data-rank="(\d*)"', first) == [
        (str(history.neighbour_community.pk), "1"),
        (str(history.community.pk), "2"),
    ]
    assert 'data-testid="ranking-pager"' in first
    pager = first[first.index('data-testid="ranking-pager"') :]
    following = re.search(r'href="([^"]+)">[^<]*→', pager)
    assert following and "page=2" in following.group(1)
    second = client.get(html.unescape(following.group(1))).content.decode()
    # The third community, unranked (no follow-up), on the second page; the places stay.
    assert re.findall(r'data-unit="(\d+)" data-rank="(\d*)"', second) == [
        (str(history.other_community.pk), "")
    ]
    exported = client.get(reverse("metrics:rankings"), {**params, "export": "csv"})
    body = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert all(
        name in body
        for name in (
            history.community.name,
            history.neighbour_community.name,
            history.other_community.name,
        )
    )


def test_equal_scores_share_a_place_in_code_order(cast):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        for grid, worker, phone in [
            (cast.neighbour_grid, cast.outsider, "13900000001"),
            (cast.grid, cast.community_worker, "13900000002"),
        ]:
            matter = mf.matter(grid, worker, contact_phone=phone)
            services.handle_by_unit(matter, by=worker)
            services.reply_to_matter(matter, by=worker, text=mf.REPLY, outcome="supported")
            services.record_follow_up(matter, rating=Rating.SATISFIED, by=worker)
    aggregation.refresh()
    rows = selectors.ranking(
        selectors.units_of_level(cast.district, "community"), dt.date(2026, 3, 1)
    )
    assert [row.rank for row in rows] == [1, 1, None]
    assert [row.unit.code for row in rows[:2]] == sorted(
        [cast.community.code, cast.neighbour_community.code]
    )


def test_a_community_worker_cannot_see_another_community(history, client):
    login_as(client, history.community_worker)
    own = client.get(reverse("metrics:dashboard"), MARCH)
    assert own.status_code == 200
    before = AuditEntry.objects.filter(action="metrics.view_denied").count()
    for name, params in [
        ("metrics:dashboard", {"unit": history.neighbour_community.pk}),
        ("metrics:cases", {"unit": history.neighbour_community.pk, "part": "registered"}),
        ("metrics:rankings", {"unit": history.subdistrict.pk}),
        ("metrics:dashboard", {"department": history.department.pk}),
    ]:
        assert client.get(reverse(name), params).status_code == 404
    assert AuditEntry.objects.filter(action="metrics.view_denied").count() == before + 4


def test_a_department_handler_sees_only_the_department(history, client):
    login_as(client, history.handler)
    response = client.get(reverse("metrics:dashboard"), MARCH)
    assert response.status_code == 200
    figures = _figures(response.content.decode())
    assert figures["follow_ups"] == "3"  # the three answers of 住建局, not the community's own
    assert (
        client.get(reverse("metrics:dashboard"), {"unit": history.community.pk}).status_code == 404
    )


def test_people_without_the_permission_are_refused(cast, client):
    login_as(client, cast.admin)
    assert client.get(reverse("metrics:dashboard")).status_code == 403


@pytest.mark.parametrize(
    ("name", "params", "table"),
    [
        ("metrics:dashboard", {"table": "units"}, "units"),
        ("metrics:dashboard", {"table": "trend"}, "trend"),
        ("metrics:rankings", {"level": "subdistrict"}, "ranking"),
    ],
)
def test_exports_are_audited(history, client, name, params, table):
    login_as(client, history.leader)
    response = client.get(reverse(name), {**params, **MARCH, "export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert len(body.strip().splitlines()) >= 2
    entry = AuditEntry.objects.filter(action="metrics.exported").latest("id")
    assert entry.data["table"] == table and entry.data["format"] == "csv"


def test_the_dashboard_lists_overdue_and_supervised_matters_of_the_unit(history, client):
    # The history's overdue, supervised matter is 胜利街道's: the district's leader sees it.
    login_as(client, history.leader)
    with time_machine.travel(local(2026, 3, 28, 10, 0), tick=False):
        content = client.get(reverse("metrics:dashboard"), MARCH).content.decode()
    overdue = content[content.index('data-list="overdue"') :]
    supervised = content[content.index('data-list="supervised"') :]
    assert "XK-2026-" in overdue.split("</section>")[0]
    assert "XK-2026-" in supervised.split("</section>")[0]
    login_as(client, history.cadre)  # 东风街道: not that matter
    with time_machine.travel(local(2026, 3, 28, 10, 0), tick=False):
        content = client.get(reverse("metrics:dashboard"), MARCH).content.decode()
    assert "XK-2026-" not in content[content.index('data-list="overdue"') :].split("</section>")[0]


def test_the_cases_behind_a_figure_export_as_many_rows_as_it_counts(history, client):
    login_as(client, history.leader)
    params = {**MARCH, "part": "follow_ups", "unit": history.district.pk}
    page = client.get(reverse("metrics:cases"), params).content.decode()
    assert "export=xlsx" in page
    response = client.get(reverse("metrics:cases"), {**params, "export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = body.strip().splitlines()
    figure = selectors.part_sums(history.district, Period.containing("month", dt.date(2026, 3, 1)))
    assert len(lines) - 1 == figure[Part.FOLLOW_UPS] == 4
    assert lines[0].startswith("诉求")
    assert all("XK-2026-" in line for line in lines[1:])
    entry = AuditEntry.objects.filter(action="metrics.exported").latest("id")
    assert entry.data["rows"] == 4 and entry.data["filters"]["table"] == "cases"
    assert entry.actor == history.leader


def test_a_community_worker_cannot_export_another_communitys_cases(history, client):
    login_as(client, history.community_worker)
    params = {**MARCH, "part": "registered", "unit": history.neighbour_community.pk}
    response = client.get(reverse("metrics:cases"), {**params, "export": "csv"})
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="metrics.exported").exists()
