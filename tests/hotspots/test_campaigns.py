"""Problem of the month (每月一题): started from a hot spot by leaders and cadres, with its matters,
a responsible department and a target; progress is the share of its matters resolved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login_as
from tests.hotspots.helpers import LIFT, lift_cluster, report
from tests.matters import factories as mf
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry
from xinkan.hotspots import selectors, services
from xinkan.hotspots.models import Campaign, CampaignMatter, CampaignNote, HotSpot
from xinkan.matters import services as matter_services
from xinkan.matters.models import Rating

pytestmark = pytest.mark.django_db


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


@pytest.fixture
def spot(cast, second_grid):  # type: ignore[no-untyped-def]
    reports = lift_cluster([cast.grid, second_grid], 4, days_ago=0.5)
    services.refresh()
    return HotSpot.objects.get(), reports


def form(cast, **values):  # type: ignore[no-untyped-def]
    data = {
        "title": "每月一题：东风里社区电梯维修",
        "unit": cast.community.pk,
        "month": this_month().isoformat(),
        "department": cast.department.pk,
        "target": "月底前修复3号楼、5号楼电梯并通过年检。",
    }
    data.update(values)
    return data


def resolve(cast, matter) -> None:  # type: ignore[no-untyped-def]
    matter_services.handle_by_unit(matter, by=cast.community_worker)
    matter_services.reply_to_matter(
        matter, by=cast.community_worker, text=mf.REPLY, outcome="supported"
    )
    matter_services.record_follow_up(matter, rating=Rating.SATISFIED, by=cast.community_worker)


def test_a_leader_starts_a_campaign_from_a_hot_spot(client, cast, spot):
    hotspot, reports = spot
    login_as(client, cast.leader)

    response = client.post(reverse("hotspots:start_campaign", args=[hotspot.pk]), form(cast))

    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("hotspots:campaign", args=[campaign.pk])
    assert (campaign.unit, campaign.department, campaign.month, campaign.created_by) == (
        cast.community,
        cast.department,
        this_month(),
        cast.leader,
    )
    assert (campaign.category_id, campaign.source_key) == (hotspot.category_id, hotspot.key)
    assert set(campaign.matters.values_list("pk", flat=True)) == {m.pk for m in reports}
    entry = AuditEntry.objects.get(action="hotspots.campaign.started")
    assert (entry.actor, entry.data["matters"]) == (cast.leader, 4)
    page = client.get(response["Location"]).content.decode()
    assert 'data-resolved="0" data-total="4"' in page


def test_progress_is_the_share_of_its_matters_resolved(cast, spot):
    hotspot, reports = spot
    campaign, _created = services.start_campaign(
        services.CampaignDetails(
            title="电梯", unit=cast.community, month=this_month(), target="全部修好并回访"
        ),
        by=cast.cadre,
        hotspot=hotspot,
    )

    resolve(cast, reports[0])
    matter_services.merge_into(reports[1], target=reports[2], by=cast.community_worker)
    resolve(cast, reports[2])  # resolves the merged one with it
    found = selectors.get_campaign_for_user(cast.cadre, campaign.pk)

    assert (found.resolved, found.total) == (3, 4)  # type: ignore[attr-defined]
    assert selectors.progress(found) == 0.75


def test_starting_twice_gives_the_first_campaign(client, cast, spot):
    hotspot, _reports = spot
    login_as(client, cast.cadre)
    url = reverse("hotspots:start_campaign", args=[hotspot.pk])
    first = client.post(url, form(cast))
    login_as(client, cast.leader)

    second = client.post(url, form(cast, title="另一个标题"))

    assert Campaign.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_only_leaders_and_cadres_of_the_area_start_campaigns(client, cast, spot):
    hotspot, _reports = spot
    assert_scope(
        client,
        Probe("post", reverse("hotspots:start_campaign", args=[hotspot.pk]), form(cast)),
        allowed=[cast.cadre],
        denied=[cast.community_worker, cast.outsider, cast.handler, cast.grid_worker],
        state=lambda: (Campaign.objects.count(), CampaignMatter.objects.count()),
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": ""}, "title"),
        ({"target": "修"}, "target"),
        ({"month": "2020-01-01"}, "month"),
    ],
)
def test_bad_details_start_nothing(client, cast, spot, values, message):
    hotspot, _reports = spot
    login_as(client, cast.cadre)

    response = client.post(
        reverse("hotspots:start_campaign", args=[hotspot.pk]), form(cast, **values), follow=True
    )

    assert Campaign.objects.count() == 0
    assert 'class="msg msg-error"' in response.content.decode(), message


def test_a_department_of_another_branch_cannot_be_responsible(cast, spot):
    from tests import factories

    hotspot, _reports = spot
    elsewhere = factories.department("胜利街道城管科", cast.other_subdistrict)

    with pytest.raises(services.HotSpotError):
        services.start_campaign(
            services.CampaignDetails(
                title="电梯",
                unit=cast.community,
                month=this_month(),
                target="全部修好",
                department=elsewhere,
            ),
            by=cast.cadre,
            hotspot=hotspot,
        )
    assert not Campaign.objects.exists()


def test_progress_notes_and_added_matters_are_recorded_and_audited(client, cast, spot):
    hotspot, _reports = spot
    campaign, _ = services.start_campaign(
        services.CampaignDetails(
            title="电梯", unit=cast.community, month=this_month(), target="全部修好"
        ),
        by=cast.cadre,
        hotspot=hotspot,
    )
    later = report(cast.grid, LIFT[6])
    login_as(client, cast.cadre)

    client.post(reverse("hotspots:campaign_note", args=[campaign.pk]), {"text": "已约谈物业。"})
    client.post(reverse("hotspots:campaign_add", args=[campaign.pk]), {"code": later.code})
    again = client.post(reverse("hotspots:campaign_add", args=[campaign.pk]), {"code": later.code})
    bad = client.post(reverse("hotspots:campaign_add", args=[campaign.pk]), {"code": "XK-1"})

    assert [n.text for n in CampaignNote.objects.all()] == ["已约谈物业。"]
    assert campaign.matters.filter(pk=later.pk).exists() and campaign.matters.count() == 5
    assert again.status_code == 302 and bad.status_code == 400
    actions = list(
        AuditEntry.objects.filter(action__startswith="hotspots.campaign.").values_list(
            "action", flat=True
        )
    )
    assert actions.count("hotspots.campaign.note_added") == 1
    assert actions.count("hotspots.campaign.matter_added") == 1


def test_a_matter_outside_the_area_cannot_be_added(client, cast, spot):
    hotspot, _reports = spot
    campaign, _ = services.start_campaign(
        services.CampaignDetails(
            title="电梯", unit=cast.community, month=this_month(), target="全部修好"
        ),
        by=cast.cadre,
        hotspot=hotspot,
    )
    elsewhere = report(cast.other_grid, LIFT[0])
    login_as(client, cast.cadre)

    response = client.post(
        reverse("hotspots:campaign_add", args=[campaign.pk]), {"code": elsewhere.code}
    )

    assert response.status_code == 400
    assert not campaign.matters.filter(pk=elsewhere.pk).exists()


def test_campaigns_are_seen_in_their_area_and_by_the_responsible_department(client, cast, spot):
    hotspot, _reports = spot
    campaign, _ = services.start_campaign(
        services.CampaignDetails(
            title="电梯",
            unit=cast.community,
            month=this_month(),
            target="全部修好",
            department=cast.department,
        ),
        by=cast.cadre,
        hotspot=hotspot,
    )
    url = reverse("hotspots:campaign", args=[campaign.pk])
    assert_scope(
        client,
        Probe("get", url),
        allowed=[cast.leader, cast.cadre, cast.community_worker, cast.handler],
        denied=[cast.outsider, cast.grid_worker],
    )
    assert_scope(
        client,
        Probe(
            "post", reverse("hotspots:campaign_note", args=[campaign.pk]), {"text": "已维修完毕。"}
        ),
        allowed=[cast.leader],
        denied=[cast.community_worker, cast.handler, cast.outsider],
        state=lambda: CampaignNote.objects.count(),
    )
    login_as(client, cast.handler)
    page = client.get(reverse("hotspots:campaigns")).content.decode()
    assert f'data-campaign="{campaign.pk}"' in page
    assert 'data-resolved="0" data-total="4"' in page
