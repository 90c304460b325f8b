"""The pairing pages: the falling-behind worklist, pairing a need from the form or from a
matching proposal, one pairing with its visits, the agreement and the hours certificate as PDFs,
the volunteer's own page; scope on every one of them."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.conftest import login_as
from tests.volunteers.test_pairings import helper, need_of, pair
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Role
from xinkan.volunteers import pairings, services
from xinkan.volunteers.models import Pairing, PairingVisit

TODAY = timezone.localdate


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def staff(client, cast):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages compared in English
    return login_as(client, cast.community_worker)


def test_the_worklist_shows_pairings_falling_behind_within_scope(
    client, cast, django_assert_max_num_queries
):
    for number in range(4):
        pair(
            cast,
            need_of(cast, f"居民{number}"),
            helper(cast, name=f"志愿者{number}"),
            starts_on=TODAY() - dt.timedelta(days=20),
        )
    pair(cast, need_of(cast, "按时"), helper(cast, name="按时志愿者"))
    login_as(client, cast.community_worker)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("volunteers:pairings"))
    text = page.content.decode()
    assert text.count('data-pairing="BF-') == 4 and "按时" not in text
    active = client.get(reverse("volunteers:pairings") + "?show=active").content.decode()
    assert active.count('data-pairing="BF-') == 5
    login_as(client, cast.outsider)
    assert 'data-pairing="' not in client.get(reverse("volunteers:pairings")).content.decode()


def test_pairing_from_the_form_lists_fitting_volunteers_first_and_makes_the_pairing(staff, cast):
    need = need_of(cast, need_type="repairs")
    helper(cast, name="陪伴者", skills=("companionship",))
    fixer = helper(cast, name="修理工", skills=("repairs",))
    url = reverse("volunteers:pairing_new", args=[need.pk])
    form = staff.get(url).content.decode()
    assert form.index("修理工") < form.index("陪伴者")
    response = staff.post(
        url,
        {
            "helper": f"v{fixer.pk}",
            "help": "上门修理水管",
            "visit_every_days": "14",
            "starts_on": TODAY().isoformat(),
            "ends_on": (TODAY() + dt.timedelta(days=180)).isoformat(),
        },
    )
    made = Pairing.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/pairings/{made.pk}/")
    assert made.volunteer == fixer and made.visit_every_days == 14


def test_a_bad_pairing_form_says_why_and_writes_nothing(staff, cast):
    need = need_of(cast)
    volunteer = helper(cast)
    response = staff.post(
        reverse("volunteers:pairing_new", args=[need.pk]),
        {
            "helper": f"v{volunteer.pk}",
            "help": "陪伴",
            "visit_every_days": "7",
            "starts_on": TODAY().isoformat(),
            "ends_on": (TODAY() - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    assert not Pairing.objects.exists()


def test_needs_outside_ones_area_are_not_found(client, cast):
    need = need_of(cast)
    login_as(client, cast.outsider)
    assert client.get(reverse("volunteers:pairing_new", args=[need.pk])).status_code == 404


def test_the_pairing_page_logs_visits_and_certifies_hours(staff, cast):
    made = pair(cast, need_of(cast), helper(cast))
    url = reverse("volunteers:pairing", args=[made.pk])
    assert staff.get(url).status_code == 200
    staff.post(
        reverse("volunteers:visit_add", args=[made.pk]),
        {"visited_on": TODAY().isoformat(), "notes": "陪同就医", "hours": "3"},
    )
    visit = PairingVisit.objects.get()
    assert visit.service_record is not None  # logged by staff: recorded at once
    page = staff.get(url).content.decode()
    assert "陪同就医" in page


def test_a_volunteer_sees_and_logs_only_their_own_pairings(client, cast):
    account = factories.member(Role.VOLUNTEER, unit=cast.community, username="zm")
    volunteer = helper(cast)
    volunteer.user = account
    volunteer.save()
    mine = pair(cast, need_of(cast, "甲"), volunteer)
    theirs = pair(cast, need_of(cast, "乙"), helper(cast, name="钱慧"))
    login_as(client, account)
    assert client.get(reverse("volunteers:pairing", args=[mine.pk])).status_code == 200
    assert client.get(reverse("volunteers:pairing", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("volunteers:pairings")).status_code == 403
    client.post(
        reverse("volunteers:visit_add", args=[mine.pk]),
        {"visited_on": TODAY().isoformat(), "notes": "聊天", "hours": "2"},
    )
    visit = PairingVisit.objects.get()
    assert visit.service_record is None and visit.recorded_by == account
    me = client.get(reverse("volunteers:me")).content.decode()
    assert "甲" in me and "乙" not in me
    # The unit certifies the hours from the pairing page.
    login_as(client, cast.community_worker)
    client.post(reverse("volunteers:visit_certify", args=[mine.pk, visit.pk]))
    visit.refresh_from_db()
    assert visit.service_record is not None


def test_someone_without_a_volunteer_profile_has_no_own_page(client, cast):
    login_as(client, cast.community_worker)
    assert client.get(reverse("volunteers:me")).status_code == 404


def test_ending_from_the_page_closes_the_need_when_met(staff, cast):
    need = need_of(cast)
    made = pair(cast, need, helper(cast))
    staff.post(
        reverse("volunteers:pairing_end", args=[made.pk]),
        {"reason": "需求已解决", "need_met": "on"},
    )
    made.refresh_from_db()
    need.refresh_from_db()
    assert made.status == Pairing.Status.ENDED and need.closed_at is not None


def test_the_agreement_pdf_states_who_helps_whom_how_often_and_is_audited(client, cast):
    need = need_of(cast, "李秀英")
    made = pair(cast, need, helper(cast, name="周敏"), visit_every_days=7)
    login_as(client, cast.community_worker)
    response = client.get(reverse("volunteers:agreement_pdf", args=[made.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    for expected in (
        "定向帮扶协议书",
        made.code,
        "周敏",
        "李秀英",
        "每周至少走访",
        "东风里社区第一网格",
    ):
        assert expected in text
    assert AuditEntry.objects.filter(action="volunteers.agreement_downloaded").count() == 1
    login_as(client, cast.outsider)
    assert client.get(reverse("volunteers:agreement_pdf", args=[made.pk])).status_code == 404


def test_the_certificate_lists_the_hours_the_issuing_units_recorded(client, cast):
    volunteer = helper(cast, name="周敏")
    services.record_service(
        volunteer,
        by=cast.community_worker,
        organiser=cast.community,
        activity="重阳节敬老活动",
        served_on=TODAY() - dt.timedelta(days=3),
        hours=Decimal("4"),
    )
    services.record_service(
        volunteer,
        by=cast.cadre,
        organiser=cast.subdistrict,
        activity="街道大扫除",
        served_on=TODAY() - dt.timedelta(days=2),
        hours=Decimal("3"),
    )
    login_as(client, cast.community_worker)
    text = pdf_text(client.get(reverse("volunteers:certificate", args=[volunteer.pk])).content)
    # The community certifies its own record, not the subdistrict's.
    assert "志愿服务记录证明" in text and "重阳节敬老活动" in text and "街道大扫除" not in text
    assert "累计志愿服务时长4小时" in text
    login_as(client, cast.cadre)
    text = pdf_text(client.get(reverse("volunteers:certificate", args=[volunteer.pk])).content)
    assert "街道大扫除" in text and "重阳节敬老活动" in text and "东风街道" in text
    assert AuditEntry.objects.filter(action="volunteers.certificate_issued").count() == 2


def test_a_volunteer_downloads_a_certificate_from_each_organising_unit(client, cast):
    account = factories.member(Role.VOLUNTEER, unit=cast.community, username="zm")
    volunteer = helper(cast)
    volunteer.user = account
    volunteer.save()
    services.record_service(
        volunteer,
        by=cast.community_worker,
        organiser=cast.community,
        activity="楼道清扫",
        served_on=TODAY(),
        hours=Decimal("2"),
    )
    login_as(client, account)
    page = client.get(reverse("volunteers:me")).content.decode()
    assert f'data-certificate="{cast.community.pk}"' in page
    pdf = client.get(reverse("volunteers:my_certificate", args=[cast.community.pk]))
    assert "楼道清扫" in pdf_text(pdf.content)
    # No records from that unit: nothing to certify.
    assert (
        client.get(reverse("volunteers:my_certificate", args=[cast.subdistrict.pk])).status_code
        == 404
    )


def test_accepting_a_proposal_pairs_with_the_reasons_kept(staff, cast):
    need = need_of(cast, need_type="repairs")
    fixer = helper(cast, name="修理工", skills=("repairs",))
    page = staff.get(reverse("volunteers:proposals") + f"?unit={cast.community.pk}")
    assert f'data-accept="{need.pk}"' in page.content.decode()
    staff.post(
        reverse("volunteers:proposal_accept"),
        {"unit": cast.community.pk, "need": need.pk, "volunteer": fixer.pk},
    )
    made = Pairing.objects.get()
    assert made.volunteer == fixer and made.match_reasons
    assert AuditEntry.objects.get(action="volunteers.pairing.created").data["proposed"] is True


def test_a_stale_proposal_is_not_accepted(staff, cast):
    need = need_of(cast, need_type="repairs")
    fixer = helper(cast, name="修理工", skills=("repairs",))
    other = helper(cast, name="陪伴者", skills=("companionship",))
    response = staff.post(
        reverse("volunteers:proposal_accept"),
        {"unit": cast.community.pk, "need": need.pk, "volunteer": other.pk},
    )
    assert response.status_code == 302 and not Pairing.objects.exists()
    pairings.pair(
        by=cast.community_worker,
        need=need,
        volunteer=fixer,
        help_text="修理",
        visit_every_days=7,
        starts_on=TODAY(),
        ends_on=TODAY(),
    )
    staff.post(
        reverse("volunteers:proposal_accept"),
        {"unit": cast.community.pk, "need": need.pk, "volunteer": fixer.pk},
    )
    assert Pairing.objects.count() == 1


def test_proposals_are_for_those_who_manage_volunteers(client, cast):
    login_as(client, cast.grid_worker)
    assert client.get(reverse("volunteers:proposals")).status_code == 403
    login_as(client, cast.outsider)
    response = client.post(
        reverse("volunteers:proposal_accept"),
        {"unit": cast.community.pk, "need": 1, "volunteer": 1},
    )
    assert response.status_code == 403


def test_the_resident_page_shows_pairings_and_offers_to_pair_open_needs(staff, cast):
    need = need_of(cast, "李秀英")
    other = need_of(cast, "李秀英2", need_type="repairs")
    made = pair(cast, other, helper(cast))
    page = staff.get(reverse("residents:detail", args=[need.resident_id])).content.decode()
    assert f'data-pair="{need.pk}"' in page
    page = staff.get(reverse("residents:detail", args=[other.resident_id])).content.decode()
    assert made.code in page and f'data-pair="{other.pk}"' not in page
    needs = staff.get(reverse("residents:needs")).content.decode()
    assert f'data-pair="{need.pk}"' in needs and f'data-pair="{other.pk}"' not in needs


def test_staff_link_a_volunteers_own_account_once(staff, cast):
    volunteer = helper(cast)
    account = factories.member(Role.VOLUNTEER, unit=cast.community, username="zm")
    staff.post(reverse("volunteers:account_link", args=[volunteer.pk]), {"username": "nobody"})
    volunteer.refresh_from_db()
    assert volunteer.user is None
    staff.post(reverse("volunteers:account_link", args=[volunteer.pk]), {"username": "zm"})
    volunteer.refresh_from_db()
    assert volunteer.user == account
    other = helper(cast, name="钱慧")
    staff.post(reverse("volunteers:account_link", args=[other.pk]), {"username": "zm"})
    other.refresh_from_db()
    assert other.user is None
    assert AuditEntry.objects.filter(action="volunteers.account_linked").count() == 1
