"""The cadre's page of the people they accompany (/matters/accompanied/): their own matters only,
how, where each stands, the visits, and a number of queries that does not grow with the list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.matters.web import page_text, zh
from xinkan.matters import services
from xinkan.matters.models import CompanionMode, Matter, Rating

URL = "/matters/accompanied/"


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'<a href="/matters/\d+/">(XK-\d{4}-\d{6})</a>', response.content.decode())


def take(cast, n: int, by, mode=CompanionMode.ACCOMPANY) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.matter(
        cast.grid,
        cast.grid_worker,
        contact_name=f"居民{n}",
        contact_phone=f"1390000{n:04d}",
        description=f"第{n}号楼的下水道堵塞好几天了，污水漫到楼道里，请尽快疏通。",
        category=mf.category("sanitation.drains", "下水道堵塞"),
    )
    services.take_matter(matter, by=by, mode=mode)
    return matter


def test_the_cadre_sees_the_people_they_accompany_and_where_each_matter_stands(cast, client):
    proxy = take(cast, 1, cast.cadre, CompanionMode.PROXY)
    along = take(cast, 2, cast.cadre)
    companion = along.companions.get()
    services.record_visit(
        companion,
        by=cast.cadre,
        at=timezone.now() - dt.timedelta(hours=2),
        place="区住建局信访接待室",
        summary="住建局答应本周内约谈物业",
    )
    login_as(client, cast.cadre)
    response = client.get(URL)
    assert response.status_code == 200
    assert set(listed(response)) == {proxy.code, along.code}
    text = page_text(response)
    assert "居民1" in text and "居民2" in text
    assert zh(CompanionMode.PROXY.label) in text
    assert zh(CompanionMode.ACCOMPANY.label) in text
    row = re.search(rf"{along.code}.*?</tr>", response.content.decode(), re.S).group(0)
    assert re.search(r"<td>1 <span", row)  # one visit, with its date


def test_only_ones_own_companions_are_listed(cast, client):
    mine = take(cast, 1, cast.cadre)
    theirs = take(cast, 2, cast.community_worker)
    login_as(client, cast.cadre)
    assert listed(client.get(URL)) == [mine.code]
    login_as(client, cast.community_worker)
    assert listed(client.get(URL)) == [theirs.code]
    login_as(client, cast.outsider)
    response = client.get(URL)
    assert listed(response) == []
    assert mine.code not in response.content.decode()


def test_matters_that_ended_are_listed_after_the_open_ones(cast, client):
    ended = take(cast, 1, cast.cadre)
    services.handle_by_unit(ended, by=cast.community_worker)
    services.reply_to_matter(ended, by=cast.community_worker, text=mf.REPLY, outcome="supported")
    services.record_follow_up(ended, rating=Rating.SATISFIED, by=cast.community_worker)
    open_one = take(cast, 2, cast.cadre)
    login_as(client, cast.cadre)
    response = client.get(URL)
    assert listed(response) == [open_one.code, ended.code]
    assert re.search(
        rf'<tr class="muted">\s*<td>[^<]*</td>\s*<td><a href="/matters/{ended.pk}/">',
        response.content.decode(),
    )


def test_someone_accompanying_nobody_is_told_how_to_start(cast, client):
    login_as(client, cast.cadre)
    response = client.get(URL)
    assert listed(response) == []
    assert 'class="empty"' in response.content.decode()


def test_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("n", [2, 10])
def test_the_number_of_queries_does_not_grow_with_the_list(
    cast, client, django_assert_num_queries, n
):
    for number in range(n):
        take(
            cast, number, cast.cadre, CompanionMode.PROXY if number % 2 else CompanionMode.ACCOMPANY
        )
    login_as(client, cast.cadre)
    client.get(URL)  # the first request after login writes the session
    # session, user, second factor, scope (navigation), companions with their matters, deadlines
    with django_assert_num_queries(6):
        response = client.get(URL)
    assert len(listed(response)) == n
