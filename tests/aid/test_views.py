"""The drives and stations pages: the list, a drive's and a station's page with their forms, the
forms to start a drive and open a station; scope on every page and action, bad input shown on the
form with nothing written, and the number of queries of the lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.conftest import login_as
from tests.scope import Probe, assert_scope
from xinkan.aid import movements
from xinkan.aid.models import Direction, Drive, DriveStatus, Movement, Station
from xinkan.audit.models import AuditEntry

TODAY = timezone.localdate


def stock(drive: Drive, by, quantity: int = 10) -> None:  # type: ignore[no-untyped-def]
    movements.record_receipt(
        drive, by=by, unit=drive.unit, item_type="clothing", quantity=quantity, date=TODAY()
    )


def moved() -> list[tuple[int, str]]:
    return list(Movement.objects.order_by("pk").values_list("pk", "direction"))


def test_the_nav_shows_drives_and_stations_to_those_who_may_see_them(cast, client):
    login_as(client, cast.grid_worker)
    assert 'data-nav="aid"' in client.get("/").content.decode()
    login_as(client, cast.handler)
    assert 'data-nav="aid"' not in client.get("/").content.decode()
    assert client.get("/aid/").status_code == 403


def test_starting_a_drive_and_opening_a_station_through_the_forms(cast, client):
    login_as(client, cast.community_worker)
    assert client.get("/aid/drives/new/").status_code == 200
    response = client.post(
        "/aid/drives/new/",
        {"name": "图书漂流募捐", "unit": cast.community.pk, "starts_on": TODAY().isoformat()},
    )
    drive = Drive.objects.get()
    assert response["Location"] == f"/aid/drives/{drive.pk}/"
    assert drive.status == DriveStatus.OPEN and drive.created_by == cast.community_worker
    response = client.post(
        "/aid/stations/new/",
        {
            "kind": "mutual_aid",
            "name": "一网格邻里互助站",
            "unit": cast.grid.pk,
            "address": "建设路12号",
            "hours": "每天 8:00–20:00",
            "keeper": "李建华",
        },
    )
    station = Station.objects.get()
    assert response["Location"] == f"/aid/stations/{station.pk}/"


def test_a_bad_new_drive_is_explained_on_the_form(cast, client):
    login_as(client, cast.community_worker)
    response = client.post(
        "/aid/drives/new/",
        {
            "name": "图书募捐",
            "unit": cast.community.pk,
            "starts_on": TODAY().isoformat(),
            "ends_on": (TODAY() - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200 and "ends_on" in response.context["form"].errors
    response = client.post(  # a unit outside one's area is not among the choices
        "/aid/drives/new/",
        {"name": "图书募捐", "unit": cast.neighbour_community.pk, "starts_on": TODAY()},
    )
    assert "unit" in response.context["form"].errors
    assert not Drive.objects.exists()
    login_as(client, cast.grid_worker)
    assert client.get("/aid/drives/new/").status_code == 403
    assert client.get("/aid/stations/new/").status_code == 403


def test_recording_donations_and_help_on_a_drives_page(cast, client):
    drive = factories.drive(cast.subdistrict, cast.cadre)
    household = factories.household(cast.grid, code="H-DFL-001")
    factories.resident(cast.grid, "张大爷", household=household)
    login_as(client, cast.community_worker)
    page = client.get(f"/aid/drives/{drive.pk}/")
    assert page.status_code == 200 and page.context["records"]
    response = client.post(
        f"/aid/drives/{drive.pk}/receive/",
        {
            "item_type": "clothing",
            "quantity": "20",
            "unit_word": "件",
            "description": "棉衣",
            "donor": "",
            "date": TODAY().isoformat(),
            "unit": cast.community.pk,
        },
    )
    assert response["Location"] == f"/aid/drives/{drive.pk}/"
    response = client.post(
        f"/aid/drives/{drive.pk}/give/",
        {
            "household": "H-DFL-001",
            "resident": "张大爷",
            "item_type": "clothing",
            "quantity": "2",
            "date": TODAY().isoformat(),
        },
    )
    assert response.status_code == 302
    given = Movement.objects.get(direction=Direction.OUT)
    assert (given.household, given.resident.name, given.quantity) == (household, "张大爷", 2)
    page = client.get(f"/aid/drives/{drive.pk}/")
    assert page.context["helped"] == 1
    assert [(t.received, t.given) for t in page.context["totals"]] == [(20, 2)]
    assert len(page.context["rows"].object_list) == 2
    assert len(client.get(f"/aid/drives/{drive.pk}/", {"show": "out"}).context["rows"]) == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"quantity": "11"}, "quantity"),  # more than the drive holds
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "两件"}, "quantity"),
        ({"household": "NO-SUCH"}, "household"),
        ({"household": "H-NEIGHBOUR"}, "household"),  # exists, outside one's area
        ({"resident": "不认识"}, "resident"),
        ({"date": "2999-01-01"}, "date"),
        ({"item_type": "service"}, "item_type"),
    ],
)
def test_bad_help_is_explained_on_the_form_and_nothing_is_written(cast, client, values, field):
    drive = factories.drive(cast.community, cast.community_worker)
    stock(drive, cast.community_worker)
    factories.household(cast.grid, code="H-OWN")
    factories.household(cast.neighbour_grid, code="H-NEIGHBOUR")
    login_as(client, cast.community_worker)
    before, audited = moved(), AuditEntry.objects.count()
    data = {"household": "H-OWN", "item_type": "clothing", "quantity": "1", "date": TODAY()}
    data.update(values)
    response = client.post(f"/aid/drives/{drive.pk}/give/", data)
    assert response.status_code == 200
    assert field in response.context["gift_form"].errors
    assert moved() == before and AuditEntry.objects.count() == audited


def test_a_closed_drive_says_so_on_the_form(cast, client):
    drive = factories.drive(cast.community, cast.community_worker)
    login_as(client, cast.community_worker)
    client.post(f"/aid/drives/{drive.pk}/status/", {"action": "close"})
    assert Drive.objects.get().status == DriveStatus.CLOSED
    page = client.get(f"/aid/drives/{drive.pk}/")
    assert not page.context["records"]
    response = client.post(
        f"/aid/drives/{drive.pk}/receive/",
        {"item_type": "food", "quantity": "1", "date": TODAY(), "unit": cast.community.pk},
    )
    assert response.status_code == 200
    assert response.context["receipt_form"].non_field_errors()
    assert not Movement.objects.exists()


def test_a_stations_page_records_goods_and_services(cast, client):
    station = factories.station(cast.grid, cast.community_worker, kind="mutual_aid")
    factories.household(cast.grid, code="H-1")
    login_as(client, cast.community_worker)
    client.post(
        f"/aid/stations/{station.pk}/receive/",
        {"item_type": "other", "quantity": "2", "description": "轮椅", "date": TODAY()},
    )
    response = client.post(
        f"/aid/stations/{station.pk}/give/",
        {
            "household": "H-1",
            "item_type": "service",
            "quantity": "1",
            "description": "修理自行车",
            "date": TODAY(),
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/aid/stations/{station.pk}/give/",
        {"household": "H-1", "item_type": "other", "quantity": "3", "date": TODAY()},
    )
    assert "quantity" in response.context["out_form"].errors
    page = client.get(f"/aid/stations/{station.pk}/")
    assert [(t.item_type, t.held) for t in page.context["totals"]] == [("other", 2)]
    assert page.context["recent"].given == 1
    client.post(f"/aid/stations/{station.pk}/open/", {"open": "0"})
    assert not Station.objects.get().is_active


def test_drive_pages_and_actions_are_refused_outside_ones_area(cast, client):
    drive = factories.drive(cast.community, cast.community_worker)
    stock(drive, cast.community_worker)
    factories.household(cast.grid, code="H-OWN")
    state = moved
    assert_scope(
        client,
        Probe("get", f"/aid/drives/{drive.pk}/"),
        allowed=[cast.community_worker, cast.cadre, cast.grid_worker],
        denied=[cast.outsider, cast.handler, cast.leader, cast.admin],
    )
    receipt = {"item_type": "food", "quantity": "1", "date": TODAY(), "unit": cast.community.pk}
    gift = {"household": "H-OWN", "item_type": "clothing", "quantity": "1", "date": TODAY()}
    for action, data in [("receive", receipt), ("give", gift)]:
        assert_scope(
            client,
            Probe("post", f"/aid/drives/{drive.pk}/{action}/", data),
            allowed=[cast.community_worker, cast.cadre],
            denied=[cast.outsider, cast.grid_worker, cast.handler, cast.leader],
            state=state,
        )
    assert_scope(
        client,
        Probe("post", f"/aid/drives/{drive.pk}/status/", {"action": "close"}),
        allowed=[],
        denied=[cast.outsider, cast.grid_worker, cast.handler],
        state=lambda: Drive.objects.get().status,
    )
    assert AuditEntry.objects.filter(action="aid.denied").exists()


def test_station_pages_and_actions_are_refused_outside_ones_area(cast, client):
    station = factories.station(cast.subdistrict, cast.cadre)
    movements.station_receive(station, by=cast.cadre, item_type="food", quantity=5, date=TODAY())
    factories.household(cast.grid, code="H-OWN")
    assert_scope(
        client,
        Probe("get", f"/aid/stations/{station.pk}/"),
        allowed=[cast.community_worker, cast.cadre, cast.outsider],  # a subdistrict's station
        denied=[cast.handler, cast.leader],
    )
    give = {"household": "H-OWN", "item_type": "food", "quantity": "1", "date": TODAY()}
    for action, data in [
        ("receive", {"item_type": "food", "quantity": "1", "date": TODAY()}),
        ("give", give),
        ("open", {"open": "0"}),
    ]:
        assert_scope(
            client,
            Probe("post", f"/aid/stations/{station.pk}/{action}/", data),
            allowed=[],
            denied=[cast.community_worker, cast.outsider, cast.grid_worker, cast.handler],
            state=lambda: (moved(), Station.objects.get().is_active),
        )


def test_a_drive_page_lists_only_the_rows_of_ones_area(cast, client):
    drive = factories.drive(cast.subdistrict, cast.cadre)
    for unit in (cast.community, cast.neighbour_community):
        movements.record_receipt(
            drive, by=cast.cadre, unit=unit, item_type="books", quantity=5, date=TODAY()
        )
    login_as(client, cast.outsider)
    page = client.get(f"/aid/drives/{drive.pk}/")
    assert [m.unit for m in page.context["rows"]] == [cast.neighbour_community]
    assert page.context["totals"][0].received == 10


def test_the_lists_take_a_fixed_number_of_queries(cast, client, django_assert_max_num_queries):
    def add(n: int) -> None:
        for i in range(n):
            drive = factories.drive(cast.community, cast.community_worker, name=f"募捐{i}")
            stock(drive, cast.community_worker)
            movements.record_gift(
                drive,
                by=cast.community_worker,
                household=factories.household(cast.grid),
                item_type="clothing",
                quantity=1,
                date=TODAY(),
            )
            station = factories.station(cast.community, cast.community_worker)
            movements.station_receive(
                station, by=cast.community_worker, item_type="food", quantity=3, date=TODAY()
            )

    add(2)
    login_as(client, cast.community_worker)
    client.get("/aid/")
    with django_assert_max_num_queries(8):
        client.get("/aid/")
    add(6)
    with django_assert_max_num_queries(8):
        page = client.get("/aid/")
    assert len(page.context["page"].object_list) == 8 and len(page.context["stations"]) == 8
    drive = Drive.objects.first()
    stock(drive, cast.community_worker, 20)
    for _ in range(12):
        movements.record_gift(
            drive,
            by=cast.community_worker,
            household=factories.household(cast.grid),
            item_type="clothing",
            quantity=1,
            date=TODAY(),
        )
    with django_assert_max_num_queries(12):
        page = client.get(f"/aid/drives/{drive.pk}/")
    assert len(page.context["rows"].object_list) >= 14
    station = Station.objects.first()
    with django_assert_max_num_queries(11):
        client.get(f"/aid/stations/{station.pk}/")
