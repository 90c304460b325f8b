"""The resident page gathers what other features hold about the person — pairings, matters,
disputes — each only as far as the reader may see it in that feature."""

from __future__ import annotations

from django.urls import reverse

from tests import factories
from tests.conftest import login_as
from tests.matters.factories import matter
from tests.mediation.factories import PARTY_A, PARTY_B, dispute
from xinkan.mediation import services as mediation
from xinkan.org.roles import Role


def test_matters_and_disputes_of_the_resident_are_listed_for_those_who_see_them(client, cast):
    person = factories.resident(cast.grid, name="王秀英")
    brought = matter(cast.grid, cast.grid_worker, resident=person, title="楼道灯坏了")
    matter(
        cast.grid,
        cast.grid_worker,
        title="别人的诉求",
        description="小区健身器材损坏，希望尽快维修。",
        contact_phone="13911112222",
    )
    party = mediation.NewParty(**{**PARTY_A.__dict__, "resident": person})
    case = dispute(
        cast.grid,
        cast.grid_worker,
        title="装修噪音纠纷",
        parties=[party, mediation.NewParty(**PARTY_B.__dict__)],
    )
    login_as(client, cast.community_worker)
    page = client.get(reverse("residents:detail", args=[person.pk])).content.decode()
    assert brought.code in page and "楼道灯坏了" in page and "别人的诉求" not in page
    assert case.code in page and "装修噪音纠纷" in page


def test_a_matter_of_the_resident_the_reader_may_not_see_is_not_listed(client, cast):
    person = factories.resident(cast.grid, name="王秀英")
    worker = factories.member(Role.COMMUNITY_WORKER, unit=cast.other_community, username="w2")
    matter(cast.other_grid, worker, resident=person, title="别处登记的诉求")
    login_as(client, cast.community_worker)
    page = client.get(reverse("residents:detail", args=[person.pk])).content.decode()
    assert 'id="matters"' in page and "别处登记的诉求" not in page
