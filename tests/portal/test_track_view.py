"""Following a matter on the portal (/portal/track/): the number and the phone (or key) open it in
this session only; anything else shows nothing; attempts are rate limited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.matters import factories as mf
from tests.matters.web import page_text, zh
from tests.portal.visits import MATTER, TRACK, codes_on, session_matter, track
from xinkan.matters.models import Matter, format_code
from xinkan.portal.views import TRACK_LIMIT

NOT_FOUND = "No matter matches this number and phone. Check both and try again."


@pytest.fixture
def matter(cast) -> Matter:  # type: ignore[no-untyped-def]
    return mf.matter(cast.grid, cast.grid_worker)  # phone 13800138000


def test_the_number_and_phone_open_the_matter_in_this_session(cast, client, matter):
    client.get(TRACK)
    before = client.session.session_key
    response = track(client, matter)
    assert response.status_code == 302
    assert response["Location"] == MATTER
    assert session_matter(client) == matter.pk
    assert client.session.session_key != before  # a new session once the matter is opened
    assert matter.code in client.get(MATTER).content.decode()


@pytest.mark.parametrize(
    "code", ["{code}", "{lower}", " {code} "], ids=["as given", "lower case", "with spaces"]
)
def test_the_number_may_be_typed_loosely(cast, client, matter, code):
    typed = code.format(code=matter.code, lower=matter.code.lower())
    response = client.post(TRACK, {"code": typed, "secret": "13800138000"})
    assert response["Location"] == MATTER


@pytest.mark.parametrize(
    ("code", "secret"),
    [
        ("{code}", "13800138001"),  # someone else's phone
        ("{code}", "13900139000"),
        ("XK-{year}-999999", "13800138000"),  # a number that does not exist
        ("{pk}", "13800138000"),  # not a matter number
        ("XK-{year}-{pk:06d}-1", "13800138000"),
    ],
)
def test_a_wrong_number_or_phone_shows_nothing(cast, client, matter, code, secret):
    typed = code.format(code=matter.code, year=timezone.localtime().year, pk=matter.pk)
    response = client.post(TRACK, {"code": typed, "secret": secret})
    assert response.status_code == 200
    text = page_text(response)
    assert zh(NOT_FOUND) in text
    assert matter.title not in text and matter.description not in text
    assert session_matter(client) is None
    assert client.get(MATTER)["Location"] == TRACK


def test_the_number_of_another_year_is_not_found(cast, client, matter):
    year = timezone.localtime(matter.registered_at).year
    for other in (year - 1, year + 1):
        response = client.post(
            TRACK, {"code": format_code(other, matter.pk), "secret": "13800138000"}
        )
        assert zh(NOT_FOUND) in page_text(response)
        assert session_matter(client) is None


def test_both_fields_are_required(cast, client, matter):
    response = client.post(TRACK, {"code": matter.code, "secret": ""})
    assert response.status_code == 200
    assert zh("This field is required.") in page_text(response)
    assert session_matter(client) is None


def test_a_failed_attempt_keeps_what_the_session_already_opened(cast, client, matter):
    other = mf.matter(cast.grid, cast.grid_worker, contact_phone="13700137000")
    track(client, matter)
    track(client, other, secret="13800138000")  # the first resident's phone on another matter
    assert session_matter(client) == matter.pk
    assert codes_on(client.get(MATTER)) == {matter.code}


def test_tracking_is_rate_limited_per_address(cast, client, matter):
    limit = TRACK_LIMIT[0]
    with time_machine.travel(timezone.now().replace(minute=1, second=0), tick=False):
        for _ in range(limit):
            client.post(TRACK, {"code": matter.code, "secret": "13911112222"})
        response = track(client, matter)  # the right phone, too late
        assert response.status_code == 429
        assert zh("Too many attempts from your network. Please wait a while and try again.") in (
            page_text(response)
        )
        assert session_matter(client) is None
        assert track(client, matter, secret="13800138000").status_code == 429
        assert (
            client.post(
                TRACK,
                {"code": matter.code, "secret": "13800138000"},
                REMOTE_ADDR="10.0.0.8",
            ).status_code
            == 302
        )
    later = timezone.now() + dt.timedelta(seconds=TRACK_LIMIT[1] + 1)
    with time_machine.travel(later, tick=False):
        assert track(client, matter)["Location"] == MATTER
