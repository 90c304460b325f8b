"""Going up the ladder: each step's mediators, the lawyer roster (load and conflicts), the station,
referral after it, withdrawal, sessions; refusals for the wrong person, the wrong state, stale forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.mediation import factories as df
from xinkan.audit.models import AuditEntry
from xinkan.matters.models import Matter
from xinkan.mediation import services
from xinkan.mediation.models import (
    Dispute,
    Mediator,
    Referral,
    Session,
    State,
    Step,
    StepDeadline,
    StepRecord,
)


@pytest.fixture
def people(cast):  # type: ignore[no-untyped-def]
    return {"mediator": df.mediator_of(cast.grid), "lawyer": df.lawyer_of(cast.subdistrict)}


def ongoing(dispute: Dispute) -> StepRecord:
    return StepRecord.objects.get(dispute=dispute, outcome=StepRecord.Outcome.ONGOING)


def fresh(dispute: Dispute) -> Dispute:
    return Dispute.objects.get(pk=dispute.pk)


def test_not_settled_at_the_grid_goes_to_the_committee(cast, people):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    services.escalate(dispute, by=people["mediator"], reason="双方分歧较大，需居委会出面")

    first = StepRecord.objects.get(dispute=dispute, step=Step.TEN_HOUSEHOLD)
    assert (first.outcome, first.end_reason) == ("not_settled", "双方分歧较大，需居委会出面")
    assert StepDeadline.objects.get(step_record=first).met_at is not None
    second = ongoing(dispute)
    assert (second.step, second.unit) == (Step.COMMITTEE, cast.community)
    assert (fresh(dispute).step, fresh(dispute).responsible_unit) == (
        Step.COMMITTEE,
        cast.community,
    )


def test_the_committee_hands_over_to_a_roster_lawyer(cast, people):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    services.escalate(dispute, by=people["mediator"], reason="需居委会出面")
    services.escalate(dispute, by=cast.community_worker, reason="涉及法律问题")
    record = ongoing(dispute)
    assert (record.step, record.unit) == (Step.LAWYER, cast.subdistrict)
    assert [(m.user, m.kind) for m in record.mediators.all()] == [(people["lawyer"], "lawyer")]


def test_lawyers_are_balanced_by_the_cases_they_hold(cast, people):
    other = df.lawyer_of(cast.district, "lawyer2")
    chosen = []
    for _ in range(2):
        dispute = df.dispute(
            cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="涉及法律问题"
        )
        chosen.append(Mediator.objects.get(step_record__dispute=dispute).user)
    assert {u.pk for u in chosen} == {people["lawyer"].pk, other.pk}


def test_a_lawyer_who_represented_a_party_is_never_assigned(cast, people):
    other = df.lawyer_of(cast.district, "lawyer2")
    services.add_representation(
        lawyer=people["lawyer"],
        by=people["lawyer"],
        client_name="王建军",
        id_number=df.PARTY_A.id_number,
        note="2024年房屋买卖合同纠纷代理",
    )
    for _ in range(3):
        dispute = df.dispute(
            cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="涉及法律问题"
        )
        assert Mediator.objects.get(step_record__dispute=dispute).user == other


def test_a_conflict_found_by_phone_also_counts(cast, people):
    services.add_representation(
        lawyer=people["lawyer"], by=cast.cadre, client_name="李红梅", phone="139 3333 4444"
    )
    with pytest.raises(services.MediationError) as error:
        df.dispute(
            cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="涉及法律问题"
        )
    assert "东风街道" in error.value.message
    assert not Dispute.objects.exists()  # nothing half-written


def test_a_conflicted_lawyer_cannot_be_added_by_hand(cast, people):
    services.add_representation(
        lawyer=people["lawyer"], by=people["lawyer"], client_name="王建军", phone="13811112222"
    )
    df.lawyer_of(cast.district, "lawyer2")
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.STATION, start_reason="金额较大"
    )
    with pytest.raises(services.MediationError):
        services.assign_mediator(dispute, by=cast.cadre, user=people["lawyer"])


def test_only_the_lawyer_or_those_who_manage_keep_the_lawyers_record(cast, people):
    with pytest.raises(PermissionDenied):
        services.add_representation(
            lawyer=people["lawyer"], by=cast.grid_worker, client_name="王建军", phone="1381111"
        )
    with pytest.raises(ValidationError):
        services.add_representation(lawyer=people["lawyer"], by=cast.cadre, client_name="王建军")


def test_the_station_keeps_the_lawyer_of_step_three_and_adds_mediators(cast, people):
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="涉及法律问题"
    )
    df.lawyer_of(cast.district, "lawyer2")
    services.escalate(dispute, by=people["lawyer"], reason="需要联合会诊")
    record = ongoing(dispute)
    assert record.step == Step.STATION
    assert [m.user for m in record.mediators.all()] == [people["lawyer"]]
    services.assign_mediator(dispute, by=cast.cadre, user=cast.cadre)
    assert {m.user for m in ongoing(dispute).mediators.all()} == {people["lawyer"], cast.cadre}


def test_the_station_is_the_last_step(cast, people):
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.STATION, start_reason="金额较大"
    )
    with pytest.raises(services.MediationError):
        services.escalate(dispute, by=cast.cadre, reason="还是谈不拢")


def test_referral_to_letters_and_visits_registers_a_matter(cast, people):
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.STATION, start_reason="金额较大"
    )
    services.refer(
        dispute, by=cast.cadre, to=Referral.PETITION, note="双方坚持各自主张，已告知信访渠道"
    )
    stored = fresh(dispute)
    assert (stored.state, stored.referral) == (State.REFERRED, Referral.PETITION)
    matter = Matter.objects.get(pk=stored.referral_matter_id)
    assert dispute.code in matter.description
    assert matter.contact_phone == "13811112222"
    assert ongoing_count(dispute) == 0


def ongoing_count(dispute: Dispute) -> int:
    return StepRecord.objects.filter(dispute=dispute, outcome="ongoing").count()


def test_only_the_station_refers(cast, people):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    with pytest.raises(services.MediationError):
        services.refer(dispute, by=people["mediator"], to=Referral.LITIGATION, note="无法调解")


def test_withdrawal_ends_the_mediation(cast, people):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    services.withdraw(dispute, by=people["mediator"], reason="乙方拒绝调解")
    stored = fresh(dispute)
    assert stored.state == State.WITHDRAWN and stored.ended_at
    with pytest.raises(services.MediationError):
        services.escalate(stored, by=people["mediator"], reason="再试试")


@pytest.mark.parametrize("action", ["escalate", "withdraw"])
def test_a_reason_is_required(cast, people, action):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    with pytest.raises(ValidationError):
        getattr(services, action)(dispute, by=people["mediator"], reason=" ")
    assert fresh(dispute).state == State.MEDIATING and ongoing(dispute).step == Step.TEN_HOUSEHOLD


def test_others_may_not_act_on_the_step_and_are_audited(cast, people):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    for stranger in (cast.outsider, cast.handler, cast.grid_worker):
        with pytest.raises(PermissionDenied):
            services.escalate(dispute, by=stranger, reason="我来上报")
    assert AuditEntry.objects.filter(action="mediation.escalate.denied").count() == 3
    assert ongoing(dispute).step == Step.TEN_HOUSEHOLD


def test_a_lawyer_acts_only_on_the_disputes_assigned_to_them(cast, people):
    mine = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="涉及法律问题"
    )
    df.mediator_of(cast.neighbour_grid, "mediator2")
    theirs = df.dispute(cast.neighbour_grid, cast.outsider)
    services.record_session(
        mine, by=people["lawyer"], at=timezone.now(), place="法律服务站", statements="释法说理"
    )
    with pytest.raises(PermissionDenied):
        services.record_session(
            theirs, by=people["lawyer"], at=timezone.now(), place="法律服务站", statements="x"
        )


def test_two_people_acting_on_the_same_form_one_is_told(cast, people):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    seen = fresh(dispute).version
    services.escalate(fresh(dispute), by=people["mediator"], reason="需居委会出面", version=seen)
    with pytest.raises(services.StaleDispute):
        services.withdraw(
            fresh(dispute), by=cast.community_worker, reason="当事人撤回申请", version=seen
        )
    assert fresh(dispute).state == State.MEDIATING


def test_a_session_in_the_future_is_planned_and_later_completed(cast, people):
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.STATION, start_reason="金额较大"
    )
    when = timezone.now() + dt.timedelta(days=2)
    planned = services.record_session(dispute, by=cast.cadre, at=when, place="街道调委会")
    assert not planned.held
    with pytest.raises(services.MediationError):
        services.complete_session(planned, by=cast.cadre, statements="双方陈述")
    Session.objects.filter(pk=planned.pk).update(at=timezone.now() - dt.timedelta(hours=1))
    planned.refresh_from_db()
    done = services.complete_session(planned, by=cast.cadre, statements="双方陈述意见")
    assert done.held and done.statements == "双方陈述意见"


def test_a_held_session_needs_what_was_said(cast, people):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    with pytest.raises(ValidationError):
        services.record_session(dispute, by=people["mediator"], at=timezone.now(), place="楼道")
    assert not Session.objects.exists()
