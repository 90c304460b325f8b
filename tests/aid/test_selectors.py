"""Who sees which drives and stations (one's area and the units above it), which rows of them
(only one's own area's), and the figures: stock by type, help given in the last 30 days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from tests import factories
from xinkan.aid import access, movements, selectors
from xinkan.aid.models import Movement, Station

TODAY = timezone.localdate


@pytest.fixture
def drives(cast):  # type: ignore[no-untyped-def]
    return {
        "subdistrict": factories.drive(cast.subdistrict, cast.cadre, name="街道冬衣募捐"),
        "community": factories.drive(cast.community, cast.community_worker, name="东风里图书募捐"),
        "neighbour": factories.drive(cast.neighbour_community, cast.outsider, name="光明募捐"),
        "other": factories.drive(
            cast.other_community,
            factories.member("community_worker", unit=cast.other_community),
            name="和平募捐",
        ),
    }


def names(queryset) -> set[str]:  # type: ignore[no-untyped-def]
    return {row.name for row in queryset}


def test_one_sees_the_drives_of_ones_area_and_of_the_units_above_it(cast, drives):
    assert names(access.drives_for(cast.community_worker)) == {"街道冬衣募捐", "东风里图书募捐"}
    assert names(access.drives_for(cast.grid_worker)) == {"街道冬衣募捐", "东风里图书募捐"}
    assert names(access.drives_for(cast.outsider)) == {"街道冬衣募捐", "光明募捐"}
    assert names(access.drives_for(cast.cadre)) == {"街道冬衣募捐", "东风里图书募捐", "光明募捐"}
    assert not access.drives_for(cast.handler).exists()
    assert not access.drives_for(cast.leader).exists()  # leaders have no aid permission
    with pytest.raises(Http404):
        access.get_drive_for_user(cast.community_worker, drives["neighbour"].pk)


def test_stations_are_seen_like_drives(cast):
    factories.station(cast.subdistrict, cast.cadre, name="街道爱心捐助站")
    factories.station(cast.grid, cast.community_worker, kind="mutual_aid", name="一网格互助站")
    factories.station(cast.neighbour_community, cast.outsider, name="光明捐助站")
    assert names(access.stations_for(cast.community_worker)) == {"街道爱心捐助站", "一网格互助站"}
    assert names(access.stations_for(cast.outsider)) == {"街道爱心捐助站", "光明捐助站"}
    assert len(names(access.stations_for(cast.cadre))) == 3


def test_the_rows_of_a_drive_above_are_only_those_of_ones_own_area(cast, drives):
    drive = drives["subdistrict"]
    for unit in (cast.community, cast.neighbour_community):
        movements.record_receipt(
            drive, by=cast.cadre, unit=unit, item_type="clothing", quantity=10, date=TODAY()
        )
    rows = Movement.objects.filter(drive=drive)
    assert selectors.visible_rows(cast.community_worker, rows).count() == 1
    assert selectors.visible_rows(cast.cadre, rows).count() == 2
    # The drive's totals are the whole drive's, whoever looks.
    assert selectors.totals_by_type(rows)[0].received == 20


def test_who_records_for_a_drive(cast, drives):
    assert access.records_for(cast.community_worker, drives["subdistrict"])
    assert access.records_for(cast.cadre, drives["community"])
    assert not access.records_for(cast.grid_worker, drives["community"])
    assert not access.records_for(cast.outsider, drives["community"])
    assert list(access.collecting_units(cast.community_worker, drives["subdistrict"])) == [
        cast.community,
        cast.grid,
    ]


def test_stock_and_help_of_the_last_30_days(cast):
    station = factories.station(cast.community, cast.community_worker)
    households = [factories.household(cast.grid) for _ in range(3)]
    movements.station_receive(
        station,
        by=cast.community_worker,
        item_type="food",
        quantity=20,
        date=TODAY() - dt.timedelta(days=60),
    )
    movements.station_receive(
        station, by=cast.community_worker, item_type="cash", quantity=300, date=TODAY()
    )
    for household, days in [(households[0], 45), (households[1], 10), (households[1], 3)]:
        movements.station_give(
            station,
            by=cast.community_worker,
            household=household,
            item_type="food",
            quantity=2,
            date=TODAY() - dt.timedelta(days=days),
        )
    movements.station_give(
        station,
        by=cast.community_worker,
        household=households[2],
        item_type="service",
        quantity=1,
        description="借用轮椅",
        date=TODAY(),
    )
    summary = selectors.recent_help(station, today=TODAY())
    assert (summary.given, summary.households) == (3, 2)
    listed = selectors.stations_with_figures(Station.objects.all(), today=TODAY()).get()
    assert (listed.goods_held, listed.recent_help) == (14, 3)  # cash and services apart
    totals = {
        t.item_type: (t.received, t.given)
        for t in selectors.totals_by_type(station.movements.all())
    }
    assert totals == {"food": (20, 6), "cash": (300, 0), "service": (0, 1)}
