"""The dashboard for one category (and the categories below it): the figures, the units below,
the twelve months and the lists narrow to it, and each figure still links to as many cases."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.metrics.helpers import local
from xinkan.audit.models import AuditEntry
from xinkan.matters import services
from xinkan.matters.models import Category, Rating
from xinkan.metrics import aggregation, definitions, selectors
from xinkan.metrics.models import MatterPart, Part
from xinkan.metrics.periods import Period

pytestmark = pytest.mark.django_db

MARCH = {"period": "month", "on": "2026-03-01"}
MARCH_PERIOD = Period.containing("month", dt.date(2026, 3, 1))


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0


@pytest.fixture
def categories(cast):  # type: ignore[no-untyped-def]
    """March 2026: in 东风里社区 two elevator matters and a leak (both under 物业 property), and a
    street lamp (城市管理 city); in 光明社区 a street lamp. Each answered and rated."""
    elevator = mf.category("property.elevator", "电梯故障")
    leak = mf.category("property.leak", "漏水")
    lamp = mf.category("city.lamp", "路灯")
    with time_machine.travel(local(2026, 3, 5, 9, 0), tick=False):
        for i, category in enumerate([elevator, elevator, leak, lamp]):
            matter = mf.replied(
                cast,
                category=category,
                contact_phone=f"1360000000{i}",
                description=f"{i}号楼：{category.name}，请尽快处理。",
            )
            services.record_follow_up(
                matter,
                rating=Rating.SATISFIED if i % 2 else Rating.MOSTLY,
                by=cast.community_worker,
            )
        neighbour = mf.matter(
            cast.neighbour_grid,
            cast.outsider,
            category=lamp,
            contact_phone="13600000100",
            description="光明路路灯不亮。",
        )
        services.handle_by_unit(neighbour, by=cast.outsider)
        services.reply_to_matter(neighbour, by=cast.outsider, text=mf.REPLY, outcome="supported")
        services.record_follow_up(neighbour, rating=Rating.DISSATISFIED, by=cast.outsider)
    aggregation.refresh()
    cast.property = Category.objects.get(code="property")
    cast.elevator, cast.leak, cast.lamp = elevator, leak, lamp
    return cast


def _headline(content: str) -> dict[str, int]:
    return {
        key: int(count)
        for key, count in re.findall(
            r'data-figure="([a-z_]+)" data-drill="[a-z_]+" data-drill-count="(\d+)"', content
        )
    }


def test_a_parent_category_counts_its_children_and_nothing_else(categories):
    _category, ids = selectors.category_filter(categories.property.pk)
    assert set(ids or ()) == set(
        Category.objects.filter(code__startswith="property").values_list("pk", flat=True)
    )
    assert {categories.elevator.pk, categories.leak.pk} < set(ids or ())
    sums = selectors.part_sums(categories.district, MARCH_PERIOD, categories=ids)
    assert sums[Part.REGISTERED] == 3 and sums[Part.FOLLOW_UPS] == 3
    _category, lamp = selectors.category_filter(categories.lamp.pk)
    lamps = selectors.part_sums(categories.district, MARCH_PERIOD, categories=lamp)
    assert lamps[Part.REGISTERED] == 2
    everything = selectors.part_sums(categories.district, MARCH_PERIOD)
    assert everything[Part.REGISTERED] == sums[Part.REGISTERED] + lamps[Part.REGISTERED]
    assert selectors.category_filter("nonsense") == (None, None)
    assert selectors.category_filter(987654) == (None, None)


def test_every_figure_links_to_as_many_cases_of_the_category_as_it_counts(categories, client):
    login_as(client, categories.leader)
    response = client.get(
        reverse("metrics:dashboard"), {**MARCH, "category": categories.property.pk}
    )
    assert response.status_code == 200
    content = response.content.decode()
    figures = _headline(content)
    assert figures["registered"] == 3 and figures["follow_ups"] == 3
    for indicator in definitions.MATTER_INDICATORS:
        url = re.search(rf'<a href="([^"]+)" data-figure="{indicator.key}" data-drill=', content)
        assert url and f"category={categories.property.pk}" in html.unescape(url.group(1))
        cases = client.get(html.unescape(url.group(1)))
        listed = re.search(r'data-count="(\d+)"', cases.content.decode())
        assert listed and int(listed.group(1)) == figures[indicator.key], indicator.key
    registered = client.get(
        reverse("metrics:cases"),
        {
            "unit": categories.district.pk,
            "part": "registered",
            "category": categories.property.pk,
            **MARCH,
        },
    ).content.decode()
    listed_ids = {int(pk) for pk in re.findall(r'data-matter="(\d+)"', registered)}
    assert set(
        MatterPart.objects.filter(matter_id__in=listed_ids, part=Part.REGISTERED).values_list(
            "category_id", flat=True
        )
    ) == {categories.elevator.pk, categories.leak.pk}
    assert "路灯" not in registered and len(listed_ids) == 3
    # The units below: each cell's count is its cases' count, for the category.
    cells = re.findall(
        r'<a href="([^"]+)" data-figure="([a-z_]+)" data-drill-count="(\d+)"', content
    )
    assert cells
    for url, key, count in cells:
        cases = client.get(html.unescape(url))
        listed = re.search(r'data-count="(\d+)"', cases.content.decode())
        assert listed and listed.group(1) == count, key
    # The twelve months are of the category too; the other features' figures are left out.
    trend = json.loads(
        re.search(
            r'<script id="trend-data" type="application/json">(.*?)</script>', content, re.S
        ).group(1)  # type: ignore[union-attr]
    )
    assert trend["series"]["registered"][-1] == 3
    assert 'data-indicator="disputes_settled"' not in content
    assert (
        'data-indicator="disputes_settled"'
        in client.get(reverse("metrics:dashboard"), MARCH).content.decode()
    )


def test_a_leaf_category_in_a_community_and_a_custom_period(categories, client):
    login_as(client, categories.community_worker)
    response = client.get(
        reverse("metrics:dashboard"),
        {
            "period": "custom",
            "from": "2026-02-20",
            "to": "2026-03-10",
            "category": categories.lamp.pk,
        },
    )
    figures = _headline(response.content.decode())
    assert figures["registered"] == 1  # 光明社区's lamp is not 东风里社区's
    assert figures["follow_ups"] == 1


def test_the_category_export_is_audited_with_the_category(categories, client):
    login_as(client, categories.leader)
    response = client.get(
        reverse("metrics:dashboard"),
        {**MARCH, "category": categories.lamp.pk, "table": "units", "export": "csv"},
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    district = [line for line in body.splitlines() if line.startswith("清河区")]
    assert district and district[0].split(",")[1] == "2"  # registered: the two lamps
    entry = AuditEntry.objects.filter(action="metrics.exported").latest("id")
    assert entry.data["category"] == categories.lamp.pk


def test_an_unknown_category_shows_everything(categories, client):
    login_as(client, categories.leader)
    content = client.get(reverse("metrics:dashboard"), {**MARCH, "category": "x"}).content.decode()
    assert _headline(content)["registered"] == 5
    assert 'data-testid="category-shown"' not in content


def test_the_category_dashboard_query_count_is_pinned(
    categories, client, django_assert_num_queries
):
    login_as(client, categories.leader)
    params = {**MARCH, "category": categories.property.pk}
    client.get(reverse("metrics:dashboard"), params)
    # As without a category (16), less the providers' queries, plus the category tree and the
    # category; the district reads its own rows per category (SubtreeCategoryMonthFact), its
    # subdistricts too, and the days left over the daily table by category.
    with django_assert_num_queries(15):
        assert client.get(reverse("metrics:dashboard"), params).status_code == 200


def test_the_ranking_of_one_category_ranks_on_its_matters_only(categories, client, settings):
    settings.XINKAN_METRICS_MIN_FOLLOW_UPS = 1
    login_as(client, categories.leader)
    params = {"level": "community", "on": "2026-03-01", "category": categories.lamp.pk}
    response = client.get(reverse("metrics:rankings"), params)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="category-shown"' in content
    # The lamp in 东风里 was rated satisfied, the one in 光明 dissatisfied: 东风里 first.
    order = re.findall(r'data-unit="(\d+)" data-rank="(\d*)"', content)
    assert order[:2] == [
        (str(categories.community.pk), "1"),
        (str(categories.neighbour_community.pk), "2"),
    ]
    # Each figure of the ranking links to as many cases of the category as it counts.
    cells = re.findall(r'<a href="([^"]+)" data-figure="[a-z_]+" data-drill-count="(\d+)"', content)
    assert cells
    for url, count in cells:
        assert f"category={categories.lamp.pk}" in html.unescape(url)
        listed = re.search(r'data-count="(\d+)"', client.get(html.unescape(url)).content.decode())
        assert listed and listed.group(1) == count
    everything = client.get(reverse("metrics:rankings"), {**params, "category": ""})
    assert 'data-testid="category-shown"' not in everything.content.decode()


def test_the_category_ranking_export_is_audited_with_the_category(categories, client):
    login_as(client, categories.leader)
    params = {"level": "community", "on": "2026-03-01", "category": categories.lamp.pk}
    response = client.get(reverse("metrics:rankings"), {**params, "export": "csv"})
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="metrics.exported").latest("pk")
    assert entry.data["table"] == "ranking"
    assert entry.data["category"] == categories.lamp.pk
