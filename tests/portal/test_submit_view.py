"""Submitting a matter on the portal (/portal/submit/): a valid submission, anonymity with a key,
every missing or bad field explained with nothing saved, retries, repeats that open nothing, and
the rate limit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.matters import factories as mf
from tests.matters.web import messages_of, page_text, refusal, zh
from tests.portal.visits import (
    DESCRIPTION,
    MATTER,
    PHONE,
    SUBMIT,
    SUBMITTED,
    TRACK,
    codes_on,
    session_matter,
    submission,
)
from xinkan.matters import services
from xinkan.matters.models import Attachment, Channel, Matter, MatterEvent, State
from xinkan.portal.views import SUBMIT_LIMIT


def counts() -> tuple[int, int, int]:
    return Matter.objects.count(), MatterEvent.objects.count(), Attachment.objects.count()


def test_the_form_offers_every_community(cast, client):
    response = client.get(SUBMIT)
    assert response.status_code == 200
    html = response.content.decode()
    select = re.search(r'<select name="community".*?</select>', html, re.S).group(0)
    offered = {int(pk) for pk in re.findall(r'<option value="(\d+)"', select)}
    assert offered == {cast.community.pk, cast.neighbour_community.pk, cast.other_community.pk}
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', html)
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_valid_submission_registers_the_matter_and_shows_its_number(cast, client):
    response = client.post(SUBMIT, submission(cast))
    assert response.status_code == 302
    assert response["Location"] == SUBMITTED
    matter = Matter.objects.get()
    assert (matter.channel, matter.state, matter.registered_by) == (
        Channel.ONLINE,
        State.REGISTERED,
        None,
    )
    assert (matter.unit, matter.handling_unit) == (cast.community, cast.community)
    assert (matter.contact_name, matter.contact_phone) == ("孙桂兰", PHONE)
    assert not matter.anonymous
    assert session_matter(client) == matter.pk
    page = client.get(SUBMITTED)
    assert codes_on(page) == {matter.code}
    assert 'data-testid="portal-key"' not in page.content.decode()
    # The phone and the number together open the matter later.
    client.get("/portal/leave/")
    assert client.post(TRACK, {"code": matter.code, "secret": PHONE})["Location"] == MATTER


def test_photos_are_kept_with_the_matter(cast, client):
    client.post(SUBMIT, submission(cast, photos=[mf.upload("路灯.jpg", mf.JPEG)]))
    assert Attachment.objects.get().original_name == "路灯.jpg"


def test_an_anonymous_resident_without_a_phone_gets_a_key_shown_once(cast, client):
    response = client.post(SUBMIT, submission(cast, name="", phone="", anonymous="on"))
    assert response["Location"] == SUBMITTED
    matter = Matter.objects.get()
    assert matter.anonymous
    assert (matter.contact_name, matter.contact_phone) == ("", "")
    page = client.get(SUBMITTED).content.decode()
    key = re.search(r'data-testid="portal-key">(\w+)<', page).group(1)
    assert key not in client.get(SUBMITTED).content.decode()  # shown once only
    assert key not in str(Matter.objects.filter(pk=matter.pk).values().get())  # kept as a hash
    client.get("/portal/leave/")
    assert client.post(TRACK, {"code": matter.code, "secret": key})["Location"] == MATTER
    assert session_matter(client) == matter.pk


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": ""}, "name", "Give your name, or choose to stay anonymous."),
        ({"phone": ""}, "phone", "Give a phone number so that we can reach you."),
        ({"anonymous": "on", "phone": ""}, "name", "Leave the name empty to stay anonymous."),
        ({"description": ""}, "description", "This field is required."),
        ({"category": ""}, "category", "This field is required."),
        ({"community": ""}, "community", "This field is required."),
    ],
)
def test_a_missing_field_is_explained_and_nothing_is_saved(cast, client, values, field, message):
    before = counts()
    response = client.post(SUBMIT, submission(cast, **values))
    assert response.status_code == 200
    assert zh(message) in page_text(response)
    assert response.context["form"].errors[field]
    assert counts() == before
    assert session_matter(client) is None


def test_a_short_description_is_explained(cast, client):
    response = client.post(SUBMIT, submission(cast, description="路灯坏了"))
    assert response.status_code == 200
    assert response.context["form"].errors["description"]
    assert Matter.objects.count() == 0


def test_a_bad_phone_is_explained_by_the_service_and_nothing_is_saved(cast, client):
    expected = refusal(
        lambda: services.register_matter(
            mf.intake(cast.community, channel=Channel.ONLINE, contact_phone="1390013900"),
            by=None,
        )
    )
    before = counts()
    response = client.post(SUBMIT, submission(cast, phone="1390013900"))
    assert response.status_code == 200
    for message in expected:
        assert message in page_text(response)
    assert counts() == before


def test_a_file_that_is_not_a_photo_or_document_is_refused(cast, client, media_root):
    response = client.post(
        SUBMIT, submission(cast, photos=[mf.upload("礼物.exe", b"MZ\x90\x00" + b"\x00" * 64)])
    )
    assert response.status_code == 200
    assert "礼物.exe" in page_text(response)
    assert counts() == (0, 0, 0)
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_the_same_form_sent_twice_registers_one_matter(cast, client):
    data = submission(cast)
    first = client.post(SUBMIT, data)
    again = client.post(SUBMIT, data)
    assert Matter.objects.count() == 1
    assert first["Location"] == again["Location"] == SUBMITTED
    assert session_matter(client) == Matter.objects.get().pk


def test_the_same_words_sent_again_from_a_reloaded_form_show_the_same_number(cast, client):
    client.post(SUBMIT, submission(cast))
    response = client.post(SUBMIT, submission(cast))  # a fresh form key, the same words
    matter = Matter.objects.get()
    assert matter.repeat_count == 0
    assert response["Location"] == SUBMITTED
    assert matter.code in client.get(SUBMITTED).content.decode()


def test_the_same_words_from_another_browser_open_nothing(cast, client):
    client.post(SUBMIT, submission(cast))
    stranger = Client()
    response = stranger.post(SUBMIT, submission(cast))
    assert response["Location"] == "/portal/"
    assert session_matter(stranger) is None
    assert Matter.objects.get().code not in stranger.get(SUBMITTED).content.decode()


def test_a_repeat_of_a_matter_registered_with_the_same_phone_opens_nothing(cast, client):
    """Anyone may type someone's phone: matching it must not show that person's matter."""
    theirs = mf.matter(cast.grid, cast.grid_worker)  # 13800138000, the lift of building 3
    response = client.post(
        SUBMIT,
        submission(
            cast,
            category=theirs.category.pk,
            phone="13800138000",
            description="3号楼电梯又坏了，老人上下楼很困难，物业到现在也没人来修。",
        ),
    )
    assert Matter.objects.count() == 1  # folded into theirs
    assert response["Location"] == "/portal/"
    assert session_matter(client) is None
    assert messages_of(response) == [
        zh(
            "This matches a matter already registered with this phone. What you wrote has been recorded; you will be told at that phone how it stands."
        )
    ]
    for page in (client.get("/portal/"), client.get(SUBMITTED), client.get(MATTER)):
        assert theirs.code not in page.content.decode()
    assert client.get(MATTER)["Location"] == TRACK


def test_a_repeat_of_a_concluded_matter_names_no_matter(cast, client):
    concluded = mf.concluded(cast)
    response = client.post(
        SUBMIT,
        submission(
            cast,
            category=concluded.category.pk,
            phone="13800138000",
            description=concluded.description,
        ),
    )
    declined = Matter.objects.exclude(pk=concluded.pk).get()
    assert declined.state == State.DECLINED
    assert response["Location"] == "/portal/"
    assert session_matter(client) is None
    assert concluded.code not in client.get("/portal/").content.decode()


def test_submissions_are_rate_limited_per_address(cast, client):
    limit = SUBMIT_LIMIT[0]
    with time_machine.travel(timezone.now().replace(minute=5), tick=False):
        for _ in range(limit):
            assert client.post(SUBMIT, {"description": "x"}).status_code == 200
        before = counts()
        response = client.post(SUBMIT, submission(cast))
        assert response.status_code == 429
        assert zh("Too many attempts from your network. Please wait a while and try again.") in (
            page_text(response)
        )
        assert counts() == before
        # Another address is not held back.
        other = client.post(SUBMIT, submission(cast), REMOTE_ADDR="10.0.0.7")
        assert other.status_code == 302
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2), tick=False):
        assert client.post(SUBMIT, submission(cast, phone="13900139001")).status_code == 302


def test_looking_at_the_form_is_not_limited(cast, client):
    for _ in range(SUBMIT_LIMIT[0] + 2):
        assert client.get(SUBMIT).status_code == 200


def test_the_description_is_stored_as_written(cast, client):
    client.post(SUBMIT, submission(cast))
    assert Matter.objects.get().description == DESCRIPTION
