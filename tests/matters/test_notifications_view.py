"""In-app notifications (/matters/notifications/): each member sees only their own, and marking
them read touches only their own."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_as
from tests.matters import factories as mf
from xinkan.matters.models import Notification

URL = "/matters/notifications/"
READ = "/matters/notifications/read/"


def shown(response) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r"(XK-\d{4}-\d{6})", response.content.decode()))


@pytest.fixture
def notices(cast):  # type: ignore[no-untyped-def]
    """A new matter in each community: its community worker is told."""
    ours = mf.matter(cast.grid, cast.grid_worker)
    theirs = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone="13700137000")
    assert Notification.objects.filter(user=cast.community_worker, matter=ours).exists()
    assert Notification.objects.filter(user=cast.outsider, matter=theirs).exists()
    return {"ours": ours, "theirs": theirs}


def test_each_member_sees_only_their_own_notifications(cast, client, notices):
    login_as(client, cast.community_worker)
    response = client.get(URL)
    assert response.status_code == 200
    assert shown(response) == {notices["ours"].code}
    assert f'href="/matters/{notices["ours"].pk}/"' in response.content.decode()
    assert response.content.decode().count('class="unread"') == 1
    login_as(client, cast.outsider)
    assert shown(client.get(URL)) == {notices["theirs"].code}
    login_as(client, cast.leader)
    response = client.get(URL)
    assert shown(response) == set()
    assert 'class="empty"' in response.content.decode()


def test_marking_read_marks_only_ones_own(cast, client, notices):
    login_as(client, cast.community_worker)
    response = client.post(READ)
    assert response.status_code == 302
    assert response["Location"] == URL
    assert not Notification.objects.filter(user=cast.community_worker, read_at=None).exists()
    assert Notification.objects.filter(user=cast.outsider, read_at=None).count() == 1
    assert 'class="unread"' not in client.get(URL).content.decode()


def test_reading_again_changes_nothing(cast, client, notices):
    login_as(client, cast.community_worker)
    client.post(READ)
    first = list(Notification.objects.values_list("pk", "read_at").order_by("pk"))
    client.post(READ)
    assert list(Notification.objects.values_list("pk", "read_at").order_by("pk")) == first


def test_marking_read_only_accepts_post(cast, client, notices):
    login_as(client, cast.community_worker)
    assert client.get(READ).status_code == 405
    assert Notification.objects.filter(read_at=None).count() == 2


def test_visitors_are_sent_to_log_in(client, notices):
    for response in (client.get(URL), client.post(READ)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert Notification.objects.filter(read_at=None).count() == 2
