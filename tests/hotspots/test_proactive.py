"""Acting before complaints: a proactive matter for the hot spot, registered and linked through
the matters services, once however often the form is sent, only by those who may register."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import login_as
from tests.hotspots.helpers import lift_cluster
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry
from xinkan.hotspots import services
from xinkan.hotspots.models import HotSpot
from xinkan.matters.models import Channel, LinkKind, Matter, MatterEvent, MatterLink, State

pytestmark = pytest.mark.django_db

FORM = {
    "title": "3号楼电梯集中维修",
    "description": "多位居民反映电梯故障，社区牵头组织物业统一检修。",
}


@pytest.fixture
def spot(cast, second_grid):  # type: ignore[no-untyped-def]
    reports = lift_cluster([cast.grid, second_grid], 5, days_ago=0.5)
    services.refresh()
    return HotSpot.objects.get(), reports


def _proactive() -> list[Matter]:
    return list(Matter.objects.filter(channel=Channel.PROACTIVE))


def test_a_cadre_registers_a_proactive_matter_linked_to_the_reports(client, cast, spot):
    hotspot, reports = spot
    login_as(client, cast.cadre)

    response = client.post(reverse("hotspots:act", args=[hotspot.pk]), FORM)

    [matter] = _proactive()
    assert response.status_code == 302 and response["Location"] == f"/matters/{matter.pk}/"
    assert (matter.category_id, matter.unit_id, matter.state) == (
        hotspot.category_id,
        cast.community.pk,
        State.REGISTERED,
    )
    assert (matter.title, matter.registered_by) == (FORM["title"], cast.cadre)
    links = MatterLink.objects.filter(matter=matter)
    assert {link.other_id for link in links} == {m.pk for m in reports}
    assert {link.kind for link in links} == {LinkKind.RELATED}
    event = MatterEvent.objects.get(matter=matter, action="link_related")
    assert sorted(event.data["others"]) == sorted(m.pk for m in reports)
    entry = AuditEntry.objects.get(action="hotspots.acted")
    assert (entry.actor, entry.data["linked"], entry.data["hotspot"]) == (
        cast.cadre,
        5,
        hotspot.key,
    )
    # The hot spot now shows what took it up.
    page = client.get(reverse("hotspots:list")).content.decode()
    assert matter.code in page


def test_sending_the_form_again_registers_nothing_more(client, cast, spot):
    hotspot, _reports = spot
    login_as(client, cast.community_worker)
    client.post(reverse("hotspots:act", args=[hotspot.pk]), FORM)
    login_as(client, cast.cadre)

    response = client.post(reverse("hotspots:act", args=[hotspot.pk]), FORM)

    [matter] = _proactive()
    assert response["Location"] == f"/matters/{matter.pk}/"
    assert AuditEntry.objects.filter(action="hotspots.acted").count() == 1
    assert MatterLink.objects.filter(matter=matter).count() == 5


def test_only_those_who_register_matters_in_the_area_may_act(client, cast, spot):
    hotspot, _reports = spot

    def state() -> tuple[int, int]:
        return Matter.objects.count(), MatterLink.objects.count()

    assert_scope(
        client,
        Probe("post", reverse("hotspots:act", args=[hotspot.pk]), FORM),
        allowed=[cast.community_worker],
        denied=[cast.leader, cast.outsider, cast.handler, cast.grid_worker],
        state=state,
    )
    assert AuditEntry.objects.filter(action="hotspots.denied", actor=cast.leader).exists()


def test_a_bad_form_registers_nothing_and_says_why(client, cast, spot):
    hotspot, _reports = spot
    login_as(client, cast.cadre)

    response = client.post(
        reverse("hotspots:act", args=[hotspot.pk]),
        {"title": "x" * 121, "description": "电梯坏了"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("hotspots:detail", args=[hotspot.pk])
    assert _proactive() == []
    assert 'class="msg msg-error"' in response.content.decode()


def test_the_action_needs_a_post_with_the_csrf_token(cast, spot):
    from django.test import Client

    hotspot, _reports = spot
    client = Client(enforce_csrf_checks=True)
    login_as(client, cast.cadre)
    url = reverse("hotspots:act", args=[hotspot.pk])

    assert client.get(url).status_code == 405
    assert client.post(url, FORM).status_code == 403
    assert _proactive() == []


def test_link_related_links_only_visible_matters_and_decides_candidates(cast, spot):
    from tests.matters import factories as mf
    from xinkan.matters import services as matter_services

    _hotspot, reports = spot
    outside = mf.matter(cast.other_grid, None, channel=Channel.ONLINE, contact_phone="13911112222")
    proactive = mf.matter(cast.grid, cast.community_worker, channel=Channel.PROACTIVE)
    candidate = MatterLink.objects.filter(matter=proactive, kind=LinkKind.CANDIDATE).first()
    assert candidate is not None  # intake found a report as a possible duplicate

    linked = matter_services.link_related(proactive, [*reports, outside], by=cast.community_worker)

    links = dict(MatterLink.objects.filter(matter=proactive).values_list("other_id", "kind"))
    assert set(links) == {m.pk for m in reports} and linked == 5
    assert set(links.values()) == {LinkKind.RELATED}
    assert links[candidate.other_id] == LinkKind.RELATED  # the candidate, decided
    assert matter_services.link_related(proactive, reports, by=cast.community_worker) == 0
