"""The resident's page of their matter (/portal/matter/): only its public progress and the answers,
never staff notes or another resident's data; the matter comes from the session alone, whatever
the request says; leaving forgets it."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests.matters import factories as mf
from tests.matters.checks import snapshot
from tests.matters.web import messages_of, page_text, zh
from tests.portal.visits import (
    HOME,
    LEAVE,
    MATTER,
    RATE,
    REVIEW,
    TRACK,
    codes_on,
    session_matter,
    track,
)
from xinkan.matters import services
from xinkan.matters.models import Matter, MatterEvent, State

INTERNAL = [
    "内部备注：该居民情绪激动",
    "内部：请注意维稳，勿外传",
    "内部异议：本局认为应由物业负责",
    "内部：驳回异议",
    "内部：需要协调供电公司",
    "内部：同意延期十天",
]


def timeline(response) -> list[str]:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    found = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S)
    assert found, "the page has no timeline"
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S)


def shown_code(response) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'data-testid="matter-code">([^<]+)<', response.content.decode()).group(1)


@pytest.fixture
def answered(cast) -> Matter:  # type: ignore[no-untyped-def]
    """A matter answered after internal steps whose notes are for staff only."""
    matter = mf.matter(cast.grid, cast.grid_worker)
    services.accept_matter(matter, by=cast.community_worker, note=INTERNAL[0])
    services.dispatch_matter(
        matter, lead=cast.department, by=cast.community_worker, note=INTERNAL[1]
    )
    objection = services.object_to_dispatch(matter, by=cast.handler, reason=INTERNAL[2])
    services.decide_objection(objection, by=cast.community_worker, upheld=False, note=INTERNAL[3])
    matter.refresh_from_db()
    services.sign_for(matter, by=cast.handler)
    request = services.request_extension(matter, by=cast.handler, days=10, reason=INTERNAL[4])
    services.decide_extension(request, by=cast.community_worker, approve=True, note=INTERNAL[5])
    matter.refresh_from_db()
    services.reply_to_matter(matter, by=cast.handler, text=mf.REPLY, outcome="supported")
    return matter


def test_without_a_matter_in_the_session_one_is_asked_to_track_it(cast, client):
    response = client.get(MATTER)
    assert response["Location"] == TRACK
    assert messages_of(response) == [zh("Enter your matter number and phone to see it.")]


def test_the_page_shows_the_public_progress_and_the_answer(cast, client, answered):
    track(client, answered)
    response = client.get(MATTER)
    assert response.status_code == 200
    text = page_text(response)
    assert answered.code in text
    assert mf.REPLY in text
    public = MatterEvent.objects.filter(matter=answered, public=True).order_by("at", "pk")
    with translation.override("zh-hans"):
        labels = [event.label for event in public]
    rows = timeline(response)
    assert len(rows) == len(labels) < MatterEvent.objects.filter(matter=answered).count()
    for row, label in zip(rows, labels, strict=True):
        assert label in row


def test_staff_notes_and_names_are_never_shown(cast, client, answered):
    track(client, answered)
    html = client.get(MATTER).content.decode()
    for note in INTERNAL:
        assert note not in html
    for member in (cast.handler, cast.community_worker, cast.grid_worker):
        assert member.display_name not in html
        assert member.username not in html
    assert "13800138000" not in html  # not even the resident's own phone


def test_another_residents_matter_at_the_same_place_is_never_shown(cast, client):
    other = mf.matter(
        cast.grid,
        cast.grid_worker,
        contact_name="钱多多",
        contact_phone="13700137000",
        address="幸福小区3号楼2单元",
        description="小区3号楼电梯坏了好几天，物业不来修，我家老人出不了门。",
    )
    mine = mf.matter(cast.grid, cast.grid_worker)  # the same lift: a candidate duplicate
    assert mine.links.filter(other=other).exists()
    track(client, mine)
    html = client.get(MATTER).content.decode()
    assert codes_on(client.get(MATTER)) == {mine.code}
    for private in ("钱多多", "13700137000", "幸福小区3号楼2单元", other.description):
        assert private not in html


def test_a_merged_matter_names_only_the_matter_it_went_into(cast, client):
    target = mf.matter(
        cast.grid,
        cast.grid_worker,
        contact_name="钱多多",
        contact_phone="13700137000",
        description="小区3号楼电梯坏了好几天，物业不来修，我家老人出不了门。",
    )
    mine = mf.matter(cast.grid, cast.grid_worker)
    services.merge_into(mine, target=target, by=cast.community_worker)
    track(client, mine)
    response = client.get(MATTER)
    html = response.content.decode()
    assert codes_on(response) == {mine.code, target.code}
    assert "钱多多" not in html and target.description not in html
    assert session_matter(client) == mine.pk


def test_the_reason_for_declining_is_shown(cast, client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    services.decline_matter(
        matter, by=cast.community_worker, reason="属于民事纠纷，请向人民法院起诉。"
    )
    track(client, matter)
    assert "属于民事纠纷，请向人民法院起诉。" in page_text(client.get(MATTER))


# --- The matter comes from the session only ------------------------------------------------------


@pytest.fixture
def two(cast):  # type: ignore[no-untyped-def]
    """Two answered matters of two residents."""
    mine = mf.replied(cast)
    theirs = mf.replied(
        cast,
        contact_name="钱多多",
        contact_phone="13700137000",
        description="幸福路上的路灯坏了一个月了，晚上走路看不清，孩子放学回家很危险。",
        category=mf.category("roads.lights", "路灯损坏"),
    )
    return mine, theirs


def test_nothing_in_the_request_reaches_another_matter(cast, client, two):
    mine, theirs = two
    track(client, mine)
    untouched = snapshot(theirs)
    pointers = {
        "matter": theirs.pk,
        "matter_id": theirs.pk,
        "pk": theirs.pk,
        "id": theirs.pk,
        "code": theirs.code,
        "secret": "13700137000",
        "portal_matter": theirs.pk,
    }
    client.cookies["portal_matter"] = str(theirs.pk)
    page = client.get(MATTER, pointers)
    # (The language switch echoes the query string back, so look at what the page is about.)
    assert shown_code(page) == mine.code
    assert "钱多多" not in page.content.decode()
    assert theirs.description not in page.content.decode()
    client.post(RATE, {"rating": "dissatisfied", "comment": "不满意", **pointers})
    client.post(REVIEW, {"reason": "路灯还是不亮", **pointers})
    assert Matter.objects.get(pk=mine.pk).state == State.REVIEW  # what was asked, on mine
    assert snapshot(theirs)["matter"] == untouched["matter"]
    assert snapshot(theirs)["follow_ups"] == untouched["follow_ups"]
    for path in (f"/portal/matter/{theirs.pk}/", f"/portal/matter/{theirs.code}/"):
        assert client.get(path).status_code == 404


def test_another_browser_sees_nothing(cast, client, two):
    from django.test import Client

    mine, _theirs = two
    track(client, mine)
    stranger = Client()
    assert stranger.get(MATTER)["Location"] == TRACK
    before = snapshot(mine)
    stranger.post(RATE, {"rating": "satisfied"})
    assert snapshot(mine) == before


def test_leaving_forgets_the_matter(cast, client, two):
    mine, _theirs = two
    track(client, mine)
    response = client.get(LEAVE)
    assert response["Location"] == HOME
    assert session_matter(client) is None
    assert client.get(MATTER)["Location"] == TRACK
    before = snapshot(mine)
    assert client.post(RATE, {"rating": "satisfied"})["Location"] == TRACK
    assert snapshot(mine) == before
