"""One-to-one pairings: made for an open need within one's area, one active pairing per need,
each volunteer within their limit; visits move the next due date, and a pairing whose visit is
overdue falls behind; hours logged by the volunteer wait for the unit to certify them; ending a
pairing can close the need. Every step audited, refusals too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from tests import factories
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Role
from xinkan.residents import services as residents
from xinkan.volunteers import pairings, selectors, services, teams
from xinkan.volunteers.models import Pairing, PairingVisit, ServiceRecord

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """Refusals are compared with their English text."""
    with translation.override("en"):
        yield


def need_of(cast, name="李秀英", need_type="daily_care", unit=None, by=None):  # type: ignore[no-untyped-def]
    person = factories.resident(unit or cast.grid, name=name)
    return residents.open_need(person, by=by or cast.community_worker, need_type=need_type)


def helper(cast, name="周敏", skills=("companionship",), **extra):  # type: ignore[no-untyped-def]
    return services.register_volunteer(
        by=cast.community_worker,
        name=name,
        unit=extra.pop("unit", cast.community),
        skills=list(skills),
        **extra,
    )


def pair(cast, need, volunteer=None, team=None, by=None, **terms):  # type: ignore[no-untyped-def]
    values = {
        "help_text": "每周上门两次，代购生活用品",
        "visit_every_days": 7,
        "starts_on": TODAY(),
        "ends_on": TODAY() + dt.timedelta(days=364),
    }
    values.update(terms)
    return pairings.pair(
        by=by or cast.community_worker, need=need, volunteer=volunteer, team=team, **values
    )


def test_a_pairing_binds_a_need_to_a_volunteer_with_its_terms(cast):
    need = need_of(cast)
    made = pair(cast, need, helper(cast))
    assert made.code == f"BF-{TODAY().year}-{made.pk:06d}"
    assert made.unit == cast.grid and made.resident == need.resident
    assert made.next_visit_due == TODAY() + dt.timedelta(days=7)
    assert not made.is_behind()
    entry = AuditEntry.objects.get(action="volunteers.pairing.created")
    assert entry.unit_id == cast.grid.pk and entry.data["need"] == need.pk


def test_a_need_has_one_active_pairing(cast):
    need = need_of(cast)
    pair(cast, need, helper(cast))
    with pytest.raises(ValidationError) as refused:
        pair(cast, need, helper(cast, name="钱慧"))
    assert "need" in refused.value.message_dict
    assert Pairing.objects.count() == 1


def test_a_volunteer_takes_no_more_pairings_than_their_limit(cast):
    volunteer = helper(cast, max_pairings=1)
    pair(cast, need_of(cast, "甲"), volunteer)
    with pytest.raises(ValidationError, match="limit"):
        pair(cast, need_of(cast, "乙"), volunteer)
    assert selectors.active_loads([volunteer.pk]) == {volunteer.pk: 1}


def test_an_ended_pairing_frees_the_volunteers_place_and_the_need(cast):
    volunteer = helper(cast, max_pairings=1)
    need = need_of(cast)
    first = pair(cast, need, volunteer)
    pairings.end_pairing(first, by=cast.community_worker, reason="搬家")
    again = pair(cast, need, volunteer)
    assert again.status == Pairing.Status.ACTIVE


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"help_text": " "}, "help"),
        ({"visit_every_days": 0}, "visit_every_days"),
        ({"visit_every_days": 400}, "visit_every_days"),
        ({"ends_on": TODAY() - dt.timedelta(days=1)}, "ends_on"),
        ({"ends_on": TODAY() + dt.timedelta(days=5 * 365)}, "ends_on"),
        ({"starts_on": TODAY() - dt.timedelta(days=60)}, "starts_on"),
    ],
)
def test_bad_terms_are_explained_and_nothing_is_written(cast, terms, field):
    with pytest.raises(ValidationError) as refused:
        pair(cast, need_of(cast), helper(cast), **terms)
    assert field in refused.value.message_dict
    assert not Pairing.objects.exists()


def test_a_closed_need_or_an_inactive_volunteer_cannot_be_paired(cast):
    need = need_of(cast)
    residents.close_need(need, by=cast.community_worker, reason="已解决")
    with pytest.raises(ValidationError, match="closed"):
        pair(cast, need, helper(cast))
    volunteer = helper(cast, name="钱慧")
    volunteer.is_active = False
    volunteer.save()
    with pytest.raises(ValidationError, match="no longer active"):
        pair(cast, need_of(cast, "乙"), volunteer)


def test_pairings_are_made_only_within_ones_area_and_refusals_are_audited(cast):
    need = need_of(cast)
    with pytest.raises(PermissionDenied):
        pair(cast, need, helper(cast), by=cast.outsider)
    worker = factories.member(Role.COMMUNITY_WORKER, unit=cast.other_community, username="w2")
    far = need_of(cast, "王五", unit=cast.other_grid, by=worker)
    with pytest.raises(PermissionDenied):
        pair(cast, far, helper(cast))
    # A volunteer of another subdistrict is outside the community worker's area.
    stranger = services.register_volunteer(
        by=worker,
        name="外人",
        unit=cast.other_community,
        skills=["errands"],
    )
    with pytest.raises(PermissionDenied):
        pair(cast, need, stranger)
    assert AuditEntry.objects.filter(action="volunteers.pairing.denied").count() == 3
    assert not Pairing.objects.exists()


def test_a_visit_moves_the_next_due_date_and_staff_hours_become_service_hours(cast):
    volunteer = helper(cast)
    made = pair(cast, need_of(cast), volunteer, starts_on=TODAY() - dt.timedelta(days=20))
    assert made.is_behind()  # due 13 days ago, no visit yet
    visit = pairings.record_visit(
        made,
        by=cast.community_worker,
        visited_on=TODAY() - dt.timedelta(days=2),
        notes="上门陪同就医",
        hours=Decimal("2.5"),
    )
    made.refresh_from_db()
    assert made.last_visit_on == TODAY() - dt.timedelta(days=2)
    assert made.next_visit_due == TODAY() + dt.timedelta(days=5)
    assert not made.is_behind()
    record = ServiceRecord.objects.get(pk=visit.service_record_id)
    assert record.organiser == cast.grid and record.hours == Decimal("2.5")
    # An older visit logged late does not move the due date back.
    pairings.record_visit(
        made, by=cast.community_worker, visited_on=TODAY() - dt.timedelta(days=9), notes="补记"
    )
    made.refresh_from_db()
    assert made.next_visit_due == TODAY() + dt.timedelta(days=5)


def test_the_falling_behind_list_holds_overdue_active_pairings_only(cast):
    late = pair(cast, need_of(cast, "甲"), helper(cast), starts_on=TODAY() - dt.timedelta(days=10))
    pair(cast, need_of(cast, "乙"), helper(cast, name="钱慧"))
    ended = pair(
        cast,
        need_of(cast, "丙"),
        helper(cast, name="冯雪梅"),
        starts_on=TODAY() - dt.timedelta(days=10),
    )
    pairings.end_pairing(ended, by=cast.community_worker, reason="结束")
    assert list(selectors.pairings_behind(cast.community_worker)) == [late]
    assert list(selectors.pairings_behind(cast.outsider)) == []
    assert list(selectors.pairings_behind(cast.cadre)) == [late]


def test_a_volunteer_logs_their_own_visit_and_the_unit_certifies_the_hours(cast):
    account = factories.member(Role.VOLUNTEER, unit=cast.community, username="zm")
    volunteer = helper(cast)
    volunteer.user = account
    volunteer.save()
    made = pair(cast, need_of(cast), volunteer)
    visit = pairings.record_visit(
        made, by=account, visited_on=TODAY(), notes="陪老人聊天", hours=Decimal("2")
    )
    assert visit.service_record_id is None  # not yet service hours
    assert not ServiceRecord.objects.exists()
    assert AuditEntry.objects.get(action="volunteers.visit.logged").data["by_volunteer"] is True
    with pytest.raises(PermissionDenied):
        pairings.certify_visit_hours(visit, by=account)
    record = pairings.certify_visit_hours(visit, by=cast.community_worker)
    assert record.hours == Decimal("2") and record.volunteer == volunteer
    with pytest.raises(ValidationError, match="already certified"):
        pairings.certify_visit_hours(visit, by=cast.community_worker)


def test_only_the_paired_volunteer_or_staff_log_visits(cast):
    made = pair(cast, need_of(cast), helper(cast))
    other_account = factories.member(Role.VOLUNTEER, unit=cast.community, username="other")
    other = helper(cast, name="钱慧")
    other.user = other_account
    other.save()
    with pytest.raises(PermissionDenied):
        pairings.record_visit(made, by=other_account, visited_on=TODAY(), notes="冒名")
    with pytest.raises(PermissionDenied):
        pairings.record_visit(made, by=cast.outsider, visited_on=TODAY(), notes="越权")
    assert not PairingVisit.objects.exists()
    assert AuditEntry.objects.filter(action="volunteers.visit.denied").count() == 2


# Values made when the test runs, not when it is collected (a run crossing local midnight).
@pytest.mark.parametrize(
    ("values", "field"),
    [
        (lambda: {"visited_on": TODAY() + dt.timedelta(days=1)}, "visited_on"),
        (lambda: {"visited_on": TODAY() - dt.timedelta(days=3)}, "visited_on"),  # before start
        (lambda: {"notes": ""}, "notes"),
        (lambda: {"hours": Decimal("30")}, "hours"),
    ],
)
def test_bad_visits_are_explained(cast, values, field):
    made = pair(cast, need_of(cast), helper(cast))
    data = {"visited_on": TODAY(), "notes": "上门", "hours": None}
    data.update(values())
    with pytest.raises(ValidationError) as refused:
        pairings.record_visit(made, by=cast.community_worker, **data)
    assert field in refused.value.message_dict
    assert not PairingVisit.objects.exists()


def test_a_team_pairing_logs_which_member_visited(cast):
    leader = helper(cast, skills=("repairs",), name="李建华")
    member = helper(cast, skills=("repairs",), name="郑国强")
    outsider = helper(cast, skills=("repairs",), name="不在队里")
    team = teams.create_team(
        by=cast.community_worker, name="维修队", skill="repairs", unit=cast.community
    )
    teams.add_member(team, leader, by=cast.community_worker, leader=True)
    teams.add_member(team, member, by=cast.community_worker)
    made = pair(cast, need_of(cast, need_type="repairs"), team=team)
    assert made.helper_name == "维修队"
    with pytest.raises(ValidationError):
        pairings.record_visit(
            made, by=cast.community_worker, visited_on=TODAY(), notes="修水管", volunteer=outsider
        )
    visit = pairings.record_visit(
        made, by=cast.community_worker, visited_on=TODAY(), notes="修水管", volunteer=member
    )
    assert visit.volunteer == member


def test_ending_with_the_need_met_closes_the_need_and_is_audited(cast):
    need = need_of(cast)
    made = pair(cast, need, helper(cast))
    with pytest.raises(ValidationError):
        pairings.end_pairing(made, by=cast.community_worker, reason="")
    pairings.end_pairing(made, by=cast.community_worker, reason="老人已入住养老院", need_met=True)
    need.refresh_from_db()
    assert need.closed_at is not None and made.code in need.close_reason
    with pytest.raises(ValidationError, match="already ended"):
        pairings.end_pairing(made, by=cast.community_worker, reason="再次")
    with pytest.raises(ValidationError, match="ended"):
        pairings.record_visit(made, by=cast.community_worker, visited_on=TODAY(), notes="上门")
    assert AuditEntry.objects.get(action="volunteers.pairing.ended").data == {"need_met": True}


def test_a_volunteer_is_not_paired_with_their_own_need(cast):
    need = need_of(cast)
    volunteer = helper(cast)
    volunteer.resident = need.resident
    volunteer.save()
    with pytest.raises(ValidationError, match="themselves"):
        pair(cast, need, volunteer)
