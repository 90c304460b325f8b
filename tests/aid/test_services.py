"""Drives and stations: starting, opening and closing drives; donations received and help given;
stock that never goes negative; the scope of every write, refusals audited; bad input explained
with nothing written."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from tests import factories
from xinkan.aid import movements, selectors, services
from xinkan.aid.models import Direction, Drive, DriveStatus, Movement, Station
from xinkan.audit.models import AuditEntry, Outcome

TODAY = timezone.localdate


def days_ago(n: int) -> dt.date:
    return TODAY() - dt.timedelta(days=n)


def receive(drive, by, unit, item_type="clothing", quantity=10, **extra):  # type: ignore[no-untyped-def]
    return movements.record_receipt(
        drive,
        by=by,
        unit=unit,
        item_type=item_type,
        quantity=quantity,
        date=extra.pop("date", days_ago(1)),
        **extra,
    )


def give(drive, by, household, item_type="clothing", quantity=1, **extra):  # type: ignore[no-untyped-def]
    return movements.record_gift(
        drive,
        by=by,
        household=household,
        item_type=item_type,
        quantity=quantity,
        date=extra.pop("date", days_ago(1)),
        **extra,
    )


def denied_entries() -> int:
    return AuditEntry.objects.filter(action="aid.denied", outcome=Outcome.FAILURE).count()


# --- Drives ----------------------------------------------------------------------------------


def test_a_drive_starting_by_today_is_open_and_a_later_one_planned(cast):
    now = factories.drive(cast.community, cast.community_worker, starts_on=TODAY())
    later = factories.drive(
        cast.community, cast.community_worker, starts_on=TODAY() + dt.timedelta(days=7)
    )
    assert (now.status, later.status) == (DriveStatus.OPEN, DriveStatus.PLANNED)
    assert AuditEntry.objects.filter(action="aid.drive_created").count() == 2


def test_opening_and_closing_are_audited_once_and_a_closed_drive_stays_closed(cast):
    drive = factories.drive(cast.subdistrict, cast.cadre, starts_on=TODAY() + dt.timedelta(days=3))
    services.open_drive(drive, by=cast.cadre)
    services.open_drive(drive, by=cast.cadre)  # nothing changes: no second entry
    services.close_drive(drive, by=cast.cadre)
    services.close_drive(drive, by=cast.cadre)
    drive.refresh_from_db()
    assert drive.status == DriveStatus.CLOSED and drive.closed_at is not None
    assert AuditEntry.objects.filter(action="aid.drive_opened").count() == 1
    assert Drive.objects.get().starts_on == TODAY()  # opened early: it starts today
    closed = AuditEntry.objects.get(action="aid.drive_closed")
    assert closed.changes == {"status": ["open", "closed"]}
    with pytest.raises(ValidationError):
        services.open_drive(drive, by=cast.cadre)
    assert Drive.objects.get().status == DriveStatus.CLOSED


def test_a_drive_ends_after_it_starts_and_has_a_name(cast):
    with pytest.raises(ValidationError) as error:
        services.create_drive(
            by=cast.community_worker,
            unit=cast.community,
            name=" ",
            starts_on=TODAY(),
            ends_on=days_ago(1),
        )
    assert set(error.value.message_dict) == {"name", "ends_on"}
    assert not Drive.objects.exists()


def test_items_received_and_given_add_up_by_type_and_households_count_once(cast):
    drive = factories.drive(cast.subdistrict, cast.cadre)
    receive(drive, cast.cadre, cast.community, "clothing", 30, donor="东风里小学")
    receive(drive, cast.community_worker, cast.community, "clothing", 12)
    receive(drive, cast.cadre, cast.neighbour_community, "bedding", 5)
    receive(drive, cast.cadre, cast.subdistrict, "cash", 500)
    first, second = factories.household(cast.grid), factories.household(cast.neighbour_grid)
    give(drive, cast.community_worker, first, "clothing", 3)
    give(drive, cast.community_worker, first, "bedding", 1)  # the same household again
    give(drive, cast.cadre, second, "clothing", 2)
    totals = {
        t.item_type: (t.received, t.given, t.held)
        for t in selectors.totals_by_type(Movement.objects.filter(drive=drive))
    }
    assert totals == {"clothing": (42, 5, 37), "bedding": (5, 1, 4), "cash": (500, 0, 500)}
    assert selectors.households_helped(Movement.objects.filter(drive=drive)) == 2
    figures = selectors.drives_with_figures(Drive.objects.all()).get()
    assert (figures.goods_received, figures.cash_received, figures.households_helped) == (
        47,
        500,
        2,
    )
    entry = AuditEntry.objects.filter(action="aid.given").first()
    assert entry.unit_id == cast.neighbour_grid.pk and entry.data["household"] == second.pk


def test_cash_is_counted_in_yuan_and_goods_in_their_own_words(cast):
    drive = factories.drive(cast.community, cast.community_worker)
    cash = receive(drive, cast.community_worker, cast.community, "cash", 200, unit_word="块")
    coats = receive(drive, cast.community_worker, cast.community, "clothing", 4, unit_word="件")
    plain = receive(drive, cast.community_worker, cast.community, "books", 4)
    assert (cash.unit_word, coats.unit_word, plain.unit_word) == ("", "件", "")
    assert coats.counted_in == "件" and plain.counted_in  # the usual word of the type


def test_a_drive_gives_no_more_than_it_received(cast):
    drive = factories.drive(cast.community, cast.community_worker)
    receive(drive, cast.community_worker, cast.community, "clothing", 3)
    receive(drive, cast.community_worker, cast.community, "bedding", 9)
    household = factories.household(cast.grid)
    give(drive, cast.community_worker, household, "clothing", 2)
    with pytest.raises(ValidationError) as error:
        give(drive, cast.community_worker, household, "clothing", 2)
    assert "quantity" in error.value.message_dict
    with pytest.raises(ValidationError):
        give(drive, cast.community_worker, household, "food", 1)  # none received at all
    assert Movement.objects.filter(direction=Direction.OUT).count() == 1
    assert selectors.held(Movement.objects.filter(drive=drive), "clothing") == 1


def test_a_planned_or_closed_drive_takes_in_and_gives_nothing(cast):
    planned = factories.drive(
        cast.community, cast.community_worker, starts_on=TODAY() + dt.timedelta(days=2)
    )
    with pytest.raises(ValidationError):
        receive(planned, cast.community_worker, cast.community, date=TODAY())
    drive = factories.drive(cast.community, cast.community_worker)
    receive(drive, cast.community_worker, cast.community, quantity=5)
    services.close_drive(drive, by=cast.community_worker)
    household = factories.household(cast.grid)
    for attempt in (
        lambda: receive(drive, cast.community_worker, cast.community),
        lambda: give(drive, cast.community_worker, household),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert NON_FIELD_ERRORS in error.value.message_dict
    assert Movement.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (lambda: {"quantity": 0}, "quantity"),
        (lambda: {"quantity": -3}, "quantity"),
        (lambda: {"quantity": 1_000_001}, "quantity"),
        # Dates made when the test runs, not when it is collected (a run crossing midnight).
        (lambda: {"date": TODAY() + dt.timedelta(days=1)}, "date"),
        (lambda: {"date": TODAY() - dt.timedelta(days=60)}, "date"),  # before the drive started
        (lambda: {"item_type": "gold"}, "item_type"),
        (lambda: {"item_type": "service"}, "item_type"),  # a drive collects goods
        (lambda: {"unit_word": "一二三四五六七八九"}, "unit_word"),
    ],
)
def test_bad_receipts_are_explained_and_nothing_is_written(cast, values, field):
    drive = factories.drive(cast.community, cast.community_worker)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        receive(drive, cast.community_worker, cast.community, **values())
    assert field in error.value.message_dict
    assert not Movement.objects.exists() and AuditEntry.objects.count() == before


def test_the_person_helped_belongs_to_the_household(cast):
    drive = factories.drive(cast.community, cast.community_worker)
    receive(drive, cast.community_worker, cast.community, quantity=5)
    home, other = factories.household(cast.grid), factories.household(cast.grid)
    stranger = factories.resident(cast.grid, "王五", household=other)
    with pytest.raises(ValidationError) as error:
        give(drive, cast.community_worker, home, resident=stranger)
    assert "resident" in error.value.message_dict
    member = factories.resident(cast.grid, "张三", household=home)
    assert give(drive, cast.community_worker, home, resident=member).resident == member


# --- Scope -----------------------------------------------------------------------------------


def test_drives_are_started_and_closed_only_within_ones_area(cast):
    for user, unit in [
        (cast.outsider, cast.community),
        (cast.community_worker, cast.subdistrict),
        (cast.grid_worker, cast.grid),  # sees drives, does not run them
        (cast.handler, cast.district),
    ]:
        with pytest.raises(PermissionDenied):
            factories.drive(unit, user)
    assert not Drive.objects.exists() and denied_entries() == 4
    drive = factories.drive(cast.subdistrict, cast.cadre)
    with pytest.raises(PermissionDenied):
        services.close_drive(drive, by=cast.community_worker)
    assert Drive.objects.get().status == DriveStatus.OPEN


def test_a_community_collects_and_gives_for_the_subdistricts_drive_in_its_own_area(cast):
    drive = factories.drive(cast.subdistrict, cast.cadre)
    receive(drive, cast.community_worker, cast.grid, quantity=10)
    with pytest.raises(PermissionDenied):  # collected in the neighbour community
        receive(drive, cast.community_worker, cast.neighbour_community)
    with pytest.raises(PermissionDenied):  # the collecting unit is above the worker
        receive(drive, cast.community_worker, cast.subdistrict)
    give(drive, cast.community_worker, factories.household(cast.grid))
    with pytest.raises(PermissionDenied):
        give(drive, cast.community_worker, factories.household(cast.neighbour_grid))
    assert Movement.objects.count() == 2 and denied_entries() == 3


def test_help_goes_to_households_of_the_drives_area(cast):
    drive = factories.drive(cast.community, cast.cadre)
    receive(drive, cast.cadre, cast.community, quantity=10)
    with pytest.raises(ValidationError) as error:  # the cadre may, but not from this drive
        give(drive, cast.cadre, factories.household(cast.neighbour_grid))
    assert "household" in error.value.message_dict
    with pytest.raises(PermissionDenied):  # collected outside the drive's area
        receive(factories.drive(cast.community, cast.cadre), cast.cadre, cast.neighbour_community)


# --- Stations --------------------------------------------------------------------------------


def test_a_station_holds_what_came_in_less_what_went_out_never_less_than_nothing(cast):
    station = factories.station(cast.community, cast.community_worker)
    household = factories.household(cast.grid)
    for quantity in (5, 3):
        movements.station_receive(
            station, by=cast.community_worker, item_type="food", quantity=quantity, date=TODAY()
        )
    movements.station_give(
        station,
        by=cast.community_worker,
        household=household,
        item_type="food",
        quantity=6,
        date=TODAY(),
    )
    with pytest.raises(ValidationError) as error:
        movements.station_give(
            station,
            by=cast.community_worker,
            household=household,
            item_type="food",
            quantity=3,
            date=TODAY(),
        )
    assert "quantity" in error.value.message_dict
    assert selectors.held(Movement.objects.filter(station=station), "food") == 2
    assert AuditEntry.objects.filter(action="aid.received").count() == 2
    assert AuditEntry.objects.filter(action="aid.given").count() == 1


def test_a_mutual_aid_station_records_help_given_as_a_service(cast):
    station = factories.station(cast.grid, cast.community_worker, kind="mutual_aid")
    household = factories.household(cast.grid)
    with pytest.raises(ValidationError) as error:
        movements.station_give(
            station,
            by=cast.community_worker,
            household=household,
            item_type="service",
            quantity=1,
            date=TODAY(),
        )
    assert "description" in error.value.message_dict
    help_given = movements.station_give(
        station,
        by=cast.community_worker,
        household=household,
        item_type="service",
        quantity=1,
        description="修理自行车",
        date=TODAY(),
    )
    assert help_given.direction == Direction.OUT  # a service needs no stock
    with pytest.raises(ValidationError):  # nobody donates "a service" into stock
        movements.station_receive(
            station, by=cast.community_worker, item_type="service", quantity=1, date=TODAY()
        )
    summary = selectors.recent_help(station, today=TODAY())
    assert (summary.given, summary.households) == (1, 1)


def test_a_closed_station_takes_in_nothing_until_reopened(cast):
    station = factories.station(cast.community, cast.community_worker)
    services.set_station_open(station, by=cast.community_worker, is_open=False)
    with pytest.raises(ValidationError):
        movements.station_receive(
            station, by=cast.community_worker, item_type="food", quantity=1, date=TODAY()
        )
    services.set_station_open(station, by=cast.community_worker, is_open=True)
    movements.station_receive(
        station, by=cast.community_worker, item_type="food", quantity=1, date=TODAY()
    )
    assert Movement.objects.count() == 1
    assert AuditEntry.objects.filter(action__startswith="aid.station_").count() == 3


def test_station_names_are_unique_in_a_unit_and_need_an_address(cast):
    factories.station(cast.community, cast.community_worker, name="爱心捐助站")
    with pytest.raises(ValidationError) as error:
        factories.station(cast.community, cast.community_worker, name="爱心捐助站")
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        factories.station(cast.community, cast.community_worker, address=" ", kind="shop")
    assert set(error.value.message_dict) == {"address", "kind"}
    assert Station.objects.count() == 1


def test_only_those_who_run_a_station_record_there_and_only_for_their_households(cast):
    station = factories.station(cast.subdistrict, cast.cadre)
    movements.station_receive(station, by=cast.cadre, item_type="food", quantity=5, date=TODAY())
    with pytest.raises(PermissionDenied):  # a community worker does not run the subdistrict's
        movements.station_receive(
            station, by=cast.community_worker, item_type="food", quantity=1, date=TODAY()
        )
    own = factories.station(cast.community, cast.community_worker)
    movements.station_receive(
        own, by=cast.community_worker, item_type="food", quantity=5, date=TODAY()
    )
    with pytest.raises(PermissionDenied):
        movements.station_give(
            own,
            by=cast.community_worker,
            household=factories.household(cast.neighbour_grid),
            item_type="food",
            quantity=1,
            date=TODAY(),
        )
    with pytest.raises(PermissionDenied):
        services.set_station_open(own, by=cast.outsider, is_open=False)
    assert Movement.objects.count() == 2 and denied_entries() == 3
    assert Station.objects.get(pk=own.pk).is_active


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: simultaneous transactions need PostgreSQL",
)
def test_two_people_giving_the_last_stock_at_once_one_is_refused(cast, transactional_db):
    station = factories.station(cast.community, cast.community_worker)
    movements.station_receive(
        station, by=cast.community_worker, item_type="bedding", quantity=10, date=TODAY()
    )
    households = [factories.household(cast.grid), factories.household(cast.grid)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def give_six(index: int) -> None:
        try:
            loaded = Station.objects.get(pk=station.pk)
            start.wait()
            movements.station_give(
                loaded,
                by=cast.community_worker,
                household=households[index],
                item_type="bedding",
                quantity=6,
                date=TODAY(),
            )
            outcomes.append("given")
        except ValidationError as error:
            outcomes.append("refused" if "quantity" in error.message_dict else repr(error))
        except BaseException as error:  # reported to the main thread below
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=give_six, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["given", "refused"]
    assert selectors.held(Movement.objects.filter(station=station), "bedding") == 4
