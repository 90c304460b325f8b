"""Registering a matter (/matters/new/): the form, a registration, every refusal explained on the form
with nothing saved, retries, repeats folded in, concluded matches, and who may register."""

from __future__ import annotations

import re
import uuid

import pytest

from tests import factories
from tests.conftest import login_as
from tests.matters import factories as mf
from tests.matters.web import messages_of, page_text, refusal, zh
from tests.pages import has_chinese, in_english
from tests.scope import Probe, assert_scope
from xinkan.matters import services
from xinkan.matters.attachments import MAX_BYTES, check_files
from xinkan.matters.models import (
    Attachment,
    Channel,
    LinkKind,
    Matter,
    MatterEvent,
    MatterLink,
    MatterPerson,
    State,
)

URL = "/matters/new/"
PHONE = "13900139000"
DESCRIPTION = "幸福小区5号楼楼道里堆满了杂物，堵住了消防通道，物业说了几次都不清理。"


def form_data(cast, **values):  # type: ignore[no-untyped-def]
    data = {
        "channel": Channel.VISIT,
        "category": mf.category("safety.fire", "消防隐患").pk,
        "unit": cast.grid.pk,
        "description": DESCRIPTION,
        "contact_name": "孙桂兰",
        "contact_phone": PHONE,
        "group_size": 1,
        "idempotency_key": uuid.uuid4().hex,
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


def stored(media_root) -> dict[str, int]:  # type: ignore[no-untyped-def]
    files = [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []
    return {
        "matters": Matter.objects.count(),
        "events": MatterEvent.objects.count(),
        "people": MatterPerson.objects.count(),
        "attachments": Attachment.objects.count(),
        "files": len(files),
    }


def unit_choices(response) -> set[int]:  # type: ignore[no-untyped-def]
    select = re.search(r'<select name="unit".*?</select>', response.content.decode(), re.S)
    assert select, "the form has no place to choose"
    return {int(value) for value in re.findall(r'<option value="(\d+)"', select.group(0))}


# --- The form ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "places"),
    [
        ("grid_worker", ["grid"]),
        ("community_worker", ["community", "grid"]),
        ("cadre", ["community", "grid", "neighbour_community", "neighbour_grid"]),
        ("outsider", ["neighbour_community", "neighbour_grid"]),
    ],
)
def test_the_form_offers_only_places_in_ones_area(cast, client, role, places):
    login_as(client, getattr(cast, role))
    response = client.get(URL)
    assert response.status_code == 200
    assert unit_choices(response) == {getattr(cast, place).pk for place in places}
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', response.content.decode())
    assert zh("Register a matter") in page_text(response)


def test_each_form_gets_its_own_idempotency_key(cast, client):
    login_as(client, cast.grid_worker)
    keys = {
        re.search(r'name="idempotency_key" value="(\w+)"', client.get(URL).content.decode()).group(
            1
        )
        for _ in range(2)
    }
    assert len(keys) == 2


# --- Registering ---------------------------------------------------------------------------------


def test_registering_creates_the_matter_and_opens_it(cast, client):
    login_as(client, cast.grid_worker)
    response = client.post(URL, form_data(cast))
    matter = Matter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/matters/{matter.pk}/"
    assert messages_of(response) == [zh("Registered as %(code)s.", code=matter.code)]
    assert matter.state == State.REGISTERED
    assert matter.registered_by == cast.grid_worker
    assert (matter.unit, matter.handling_unit) == (cast.grid, cast.community)
    assert (matter.contact_name, matter.contact_phone) == ("孙桂兰", PHONE)
    assert matter.description == DESCRIPTION
    assert matter.category.code == "safety.fire"


def test_registering_with_representatives_and_attachments(cast, client, media_root):
    login_as(client, cast.community_worker)
    response = client.post(
        URL,
        form_data(
            cast,
            group_size=12,
            representatives="孙桂兰 13900139000\n周建国，13900139001\n\n",
            attachments=[mf.upload("楼道.jpg", mf.JPEG), mf.upload("照片.png", mf.PNG)],
        ),
    )
    assert response.status_code == 302
    matter = Matter.objects.get()
    assert matter.group_size == 12
    assert [(p.name, p.phone) for p in matter.people.all()] == [
        ("孙桂兰", "13900139000"),
        ("周建国", "13900139001"),
    ]
    assert sorted(a.original_name for a in matter.attachments.all()) == ["楼道.jpg", "照片.png"]
    assert stored(media_root)["files"] == 2


def test_a_resident_chosen_from_the_archive_is_linked(cast, client):
    resident = factories.resident(cast.grid, "孙桂兰")
    login_as(client, cast.grid_worker)
    response = client.post(URL, form_data(cast, resident=resident.pk, contact_name=""))
    assert response.status_code == 302
    matter = Matter.objects.get()
    assert matter.resident == resident
    assert matter.contact_name == "孙桂兰"


def test_possible_duplicates_from_other_residents_are_pointed_out(cast, client):
    other = mf.matter(
        cast.grid,
        cast.grid_worker,
        category=mf.category("safety.fire"),
        contact_phone="13700137000",
        description="幸福小区5号楼的楼道被杂物堵住了，消防通道不通，物业不管。",
    )
    login_as(client, cast.grid_worker)
    response = client.post(URL, form_data(cast))
    matter = Matter.objects.exclude(pk=other.pk).get()
    assert messages_of(response) == [
        zh("Registered as %(code)s.", code=matter.code),
        zh("Possible duplicates were found; decide on them below."),
    ]
    assert MatterLink.objects.filter(matter=matter, other=other, kind=LinkKind.CANDIDATE).exists()


# --- Every bad input: a clear message on the form, nothing saved ---------------------------------


def _bad_id_number() -> str:
    valid = mf.id_number()
    return valid[:17] + ("1" if valid[17] != "1" else "2")


def _said(message: str, **params: object):  # type: ignore[no-untyped-def]
    """A message of the form itself (Django's own wording)."""
    return lambda cast: [zh(message, **params)]


def _refused(**intake: object):  # type: ignore[no-untyped-def]
    """What the intake service says about these values (its wording, in the default language)."""

    def messages(cast):  # type: ignore[no-untyped-def]
        found = refusal(
            lambda: services.register_matter(mf.intake(cast.grid, **intake), by=cast.grid_worker)
        )
        return [found] if isinstance(found, str) else found

    return messages


SIX = [(f"代表{n}", f"1390013900{n}") for n in range(6)]

BAD_INPUTS = {
    "no description": ({"description": ""}, _said("This field is required.")),
    "only spaces as description": ({"description": "   "}, _said("This field is required.")),
    "a phone with too few digits": (
        {"contact_phone": "1380013800"},
        _refused(contact_phone="1380013800"),
    ),
    "letters in the phone": (
        {"contact_phone": "1380013800O"},
        _refused(contact_phone="1380013800O"),
    ),
    "an ID number with a wrong check digit": (
        {"id_number": _bad_id_number()},
        _refused(id_number=_bad_id_number()),
    ),
    "an ID number of the wrong shape": ({"id_number": "12345"}, _refused(id_number="12345")),
    "six representatives": (
        {"group_size": 30, "representatives": "\n".join(f"{n} {p}" for n, p in SIX)},
        _refused(group_size=30, representatives=SIX),
    ),
    "nobody to contact": (
        {"contact_name": "", "contact_phone": ""},
        _refused(contact_name="", contact_phone=""),
    ),
    "no category": ({"category": ""}, _said("This field is required.")),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_a_bad_input_is_explained_on_the_form_and_nothing_is_saved(cast, client, media_root, case):
    values, expected = BAD_INPUTS[case]
    messages = expected(cast)
    login_as(client, cast.grid_worker)
    before = stored(media_root)
    response = client.post(URL, form_data(cast, **values))
    assert response.status_code == 200
    for message in messages:
        assert message in page_text(response)
    assert stored(media_root) == before


def test_a_resident_of_another_community_cannot_be_linked(cast, client, media_root):
    neighbour = factories.resident(cast.neighbour_grid, "李光明")
    login_as(client, cast.grid_worker)
    before = stored(media_root)
    response = client.post(URL, form_data(cast, resident=neighbour.pk))
    assert response.status_code == 200
    assert zh("That resident is not in your area.") in page_text(response)
    assert stored(media_root) == before


def test_a_place_outside_ones_area_is_refused(cast, client, media_root):
    login_as(client, cast.grid_worker)
    before = stored(media_root)
    response = client.post(URL, form_data(cast, unit=cast.neighbour_grid.pk))
    assert response.status_code == 200
    assert zh("Select a valid choice. That choice is not one of the available choices.") in (
        page_text(response)
    )
    assert stored(media_root) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("大照片.jpg", mf.JPEG + b"\x00" * MAX_BYTES),
        ("工具.exe", b"MZ\x90\x00" + b"\x00" * 100),
        ("页面.html", b"<html><script>alert(1)</script></html>"),
    ],
    ids=["too large", "a program", "a web page"],
)
def test_an_oversize_or_wrong_kind_of_attachment_is_refused(
    cast, client, media_root, name, content
):
    expected = refusal(lambda: check_files([mf.upload(name, content)]))
    assert len(expected) == 1 and name in expected[0]
    login_as(client, cast.grid_worker)
    before = stored(media_root)
    response = client.post(
        URL,
        form_data(cast, attachments=[mf.upload("现场.jpg", mf.JPEG), mf.upload(name, content)]),
    )
    assert response.status_code == 200
    assert expected[0] in page_text(response)
    assert stored(media_root) == before


def test_messages_are_in_chinese_by_default_and_in_english_on_request(cast, client):
    login_as(client, cast.grid_worker)
    chinese = page_text(client.post(URL, form_data(cast, description="")))
    assert zh("This field is required.") in chinese
    assert has_chinese(zh("This field is required.")) and has_chinese(chinese)
    in_english(client)
    english = page_text(client.post(URL, form_data(cast, description="")))
    assert "This field is required." in english
    assert Matter.objects.count() == 0


# --- Retries, repeats, concluded matters ---------------------------------------------------------


def test_the_same_form_posted_twice_registers_one_matter(cast, client):
    login_as(client, cast.grid_worker)
    data = form_data(cast)
    first = client.post(URL, data)
    client.get(first["Location"])  # the matter page shows (and so consumes) the first message
    matter = Matter.objects.get()
    events = MatterEvent.objects.count()
    again = client.post(URL, data)
    assert Matter.objects.count() == 1
    assert MatterEvent.objects.count() == events
    assert again["Location"] == first["Location"] == f"/matters/{matter.pk}/"
    assert messages_of(again) == [
        zh("This form was already submitted: %(code)s.", code=matter.code)
    ]


def test_idempotency_keys_of_different_members_do_not_collide(cast, client):
    key = uuid.uuid4().hex
    login_as(client, cast.grid_worker)
    client.post(URL, form_data(cast, idempotency_key=key))
    login_as(client, cast.community_worker)
    client.post(
        URL,
        form_data(
            cast,
            idempotency_key=key,
            contact_phone="13700137000",
            category=mf.category("roads.lights").pk,
            description="胜利路上的路灯坏了一个月了，晚上走路看不清，请尽快修好。",
        ),
    )
    assert Matter.objects.count() == 2


def test_a_repeat_of_an_open_matter_is_folded_into_it(cast, client):
    existing = mf.matter(cast.grid, cast.grid_worker)  # 13800138000, the lift of building 3
    login_as(client, cast.community_worker)
    response = client.post(
        URL,
        form_data(
            cast,
            category=existing.category.pk,
            contact_phone="13800138000",
            description="3号楼电梯又坏了，老人上下楼很困难，物业到现在也没人来修。",
        ),
    )
    assert Matter.objects.count() == 1
    existing.refresh_from_db()
    assert existing.repeat_count == 1
    assert response["Location"] == f"/matters/{existing.pk}/"
    assert messages_of(response) == [
        zh(
            "This is a repeat of %(code)s, which is still open: the visit was added to it.",
            code=existing.code,
        )
    ]


def test_a_repeat_of_a_matter_outside_the_users_area_is_folded_without_naming_it(cast, client):
    theirs = mf.matter(cast.grid, cast.grid_worker)  # 13800138000, 东风里社区
    login_as(client, cast.outsider)  # 光明社区 cannot see it
    response = client.post(
        URL,
        form_data(
            cast,
            unit=cast.neighbour_grid.pk,
            category=theirs.category.pk,
            contact_phone="13800138000",
            description="3号楼电梯又坏了，老人上下楼很困难，物业到现在也没人来修。",
        ),
    )
    assert Matter.objects.count() == 1
    assert Matter.objects.get(pk=theirs.pk).repeat_count == 1
    assert response["Location"] == URL
    notes = messages_of(response)
    assert notes == [
        zh(
            "This person already has this matter open with another unit: the visit was added to it, and that unit will see it."
        )
    ]
    assert theirs.code not in notes[0]


def test_the_same_form_sent_again_from_a_fresh_page_is_not_a_repeat(cast, client):
    login_as(client, cast.community_worker)
    client.post(URL, form_data(cast))
    matter = Matter.objects.get()
    response = client.post(URL, form_data(cast))  # back, reload (a new key), submit again
    assert Matter.objects.count() == 1
    assert Matter.objects.get().repeat_count == 0
    assert response["Location"] == f"/matters/{matter.pk}/"
    assert messages_of(response)[-1] == zh(
        "This form was already submitted: %(code)s.", code=matter.code
    )


def test_a_repeat_of_a_concluded_matter_is_declined_unless_there_are_new_facts(cast, client):
    concluded = mf.concluded(cast)
    login_as(client, cast.community_worker)
    data = form_data(
        cast,
        category=concluded.category.pk,
        contact_phone="13800138000",
        description=concluded.description,
    )
    response = client.post(URL, data)
    declined = Matter.objects.exclude(pk=concluded.pk).get()
    assert declined.state == State.DECLINED
    assert response["Location"] == f"/matters/{declined.pk}/"
    assert messages_of(response) == [
        zh(
            "The same facts were concluded in %(code)s; the new matter was declined. Tick “new facts” if the resident brings any.",
            code=concluded.code,
        )
    ]
    client.get(response["Location"])
    response = client.post(URL, {**data, "idempotency_key": uuid.uuid4().hex, "new_facts": "on"})
    fresh = Matter.objects.exclude(pk__in=[concluded.pk, declined.pk]).get()
    assert fresh.state == State.REGISTERED
    assert messages_of(response)[0] == zh("Registered as %(code)s.", code=fresh.code)


# --- Who may register ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_roles_that_do_not_register_matters_are_refused(cast, client, method):
    assert_scope(
        client,
        Probe(method, URL, form_data(cast) if method == "post" else {}),
        allowed=[],
        denied=[cast.handler, cast.leader, cast.admin],
        state=lambda: (Matter.objects.count(), MatterEvent.objects.count()),
    )
    assert Matter.objects.count() == 0


def test_visitors_are_sent_to_log_in(cast, client):
    response = client.post(URL, form_data(cast))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Matter.objects.count() == 0
