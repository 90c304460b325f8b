"""ID numbers and phones in the archive: validated, birth date and gender derived, encrypted at
rest, found by exact value, masked on the page, shown in full only to those permitted (audited),
never in an address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from tests import factories
from tests.conftest import login_as
from tests.matters import factories as mf
from tests.matters.web import page_text
from xinkan.audit.models import AuditEntry
from xinkan.residents import services
from xinkan.residents.models import Resident

ID = mf.id_number("11010519491231002")  # a valid number: born 1949-12-31, a woman


def test_an_id_number_gives_the_birth_date_and_gender(cast):
    resident = factories.resident(cast.grid, id_number=ID.lower(), phone="138 0013 8000")
    assert (resident.birth_date, resident.gender) == (dt.date(1949, 12, 31), "female")
    assert resident.id_number == ID
    assert resident.phone == "13800138000"


@pytest.mark.parametrize(
    "bad", ["11010519491231002", "110105194913310021", ID[:-1] + ("1" if ID[-1] != "1" else "2")]
)
def test_a_bad_id_number_is_refused_and_nothing_is_saved(cast, bad):
    with pytest.raises(ValidationError) as error:
        factories.resident(cast.grid, id_number=bad)
    assert "id_number" in error.value.message_dict
    assert not Resident.objects.exists()


def test_an_id_number_is_in_the_archive_once(cast):
    factories.resident(cast.grid, id_number=ID)
    with pytest.raises(ValidationError) as error:
        factories.resident(cast.neighbour_grid, name="李四", id_number=ID)
    assert "id_number" in error.value.message_dict
    assert Resident.objects.count() == 1


def test_the_numbers_are_encrypted_in_the_database(cast):
    resident = factories.resident(cast.grid, id_number=ID, phone="13800138000")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone FROM residents_resident WHERE id = %s", [resident.pk]
        )
        raw_id, raw_phone = cursor.fetchone()
    assert ID not in raw_id and "13800138000" not in raw_phone
    assert ID[-6:] not in raw_id


def test_the_page_masks_the_numbers_and_shows_them_only_on_request(cast, client):
    resident = factories.resident(cast.grid, id_number=ID, phone="13800138000")
    login_as(client, cast.community_worker)
    page = client.get(f"/residents/{resident.pk}/").content.decode()
    assert ID not in page and "13800138000" not in page
    assert "1101**********" + ID[-4:] in page and "138****8000" in page

    shown = client.post(f"/residents/{resident.pk}/reveal/", {"field": "id_number"})
    assert ID in shown.content.decode() and "13800138000" not in shown.content.decode()
    assert shown["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.get(action="residents.resident.revealed")
    assert entry.data == {"field": "id_number"} and ID not in str(entry.data)


def test_roles_without_the_permission_cannot_reveal(cast, client):
    resident = factories.resident(cast.grid, id_number=ID)
    volunteer = factories.member("mediator", unit=cast.grid)  # sees residents, not their numbers
    login_as(client, volunteer)
    page = client.get(f"/residents/{resident.pk}/").content.decode()
    assert 'data-reveal="id_number"' not in page
    assert (
        client.post(f"/residents/{resident.pk}/reveal/", {"field": "id_number"}).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        services.reveal(resident, field="id_number", by=volunteer)
    assert AuditEntry.objects.filter(action="residents.resident.reveal.denied").count() == 2


def test_a_resident_is_found_by_id_number_or_phone_through_a_post(cast, client):
    resident = factories.resident(cast.grid, id_number=ID, phone="13800138000")
    factories.resident(cast.neighbour_grid, name="李四", phone="13900000000")
    login_as(client, cast.community_worker)
    for number in (ID, ID.lower(), "138-0013-8000"):
        found = client.post("/residents/find/", {"number": number})
        assert f'href="/residents/{resident.pk}/"' in found.content.decode()
    other = client.post("/residents/find/", {"number": "13900000000"})
    assert "李四" not in page_text(other)  # not in the worker's area
    assert client.get("/residents/find/").status_code == 405


def test_a_number_typed_in_the_name_search_is_refused(cast, client):
    factories.resident(cast.grid, id_number=ID)
    login_as(client, cast.community_worker)
    response = client.get("/residents/", {"q": ID})
    assert 'role="alert"' in response.content.decode()


def test_changing_the_numbers_is_audited_without_values(cast):
    resident = factories.resident(cast.grid, id_number=ID)
    services.update_personal(resident, by=cast.community_worker, id_number=ID, phone="13700000000")
    entry = AuditEntry.objects.get(action="residents.resident.updated")
    assert entry.changes == {"phone": ["…", "…"]}
    assert "13700000000" not in str(entry.changes)
