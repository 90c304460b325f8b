"""Registering a dispute: parties, the grid's mediator assigned automatically, starting higher
only with a reason, retries, scope and audit, and bad input that leaves nothing behind."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.mediation import factories as df
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.core.crypto import blind_index
from xinkan.matters.models import Notification
from xinkan.mediation import services
from xinkan.mediation.models import (
    Dispute,
    DisputeEvent,
    Mediator,
    Party,
    State,
    Step,
    StepDeadline,
    StepRecord,
    Urgency,
)
from xinkan.mediation.services.register import PHONE_PURPOSE


def test_a_dispute_in_a_grid_goes_to_the_grids_ten_household_mediator(
    cast, django_capture_on_commit_callbacks
):
    mediator = df.mediator_of(cast.grid)
    with django_capture_on_commit_callbacks(execute=True):
        dispute = df.dispute(cast.grid, cast.grid_worker)

    assert (dispute.state, dispute.step, dispute.responsible_unit) == (
        State.MEDIATING,
        Step.TEN_HOUSEHOLD,
        cast.grid,
    )
    record = StepRecord.objects.get(dispute=dispute)
    assert [m.user for m in record.mediators.all()] == [mediator]
    assert StepDeadline.objects.get(step_record=record).due_at > dispute.registered_at
    assert Notification.objects.filter(user=mediator, kind="dispute_new").count() == 1
    assert dispute.code == f"TJ-{dispute.code_year}-{dispute.pk:06d}"


def test_parties_keep_their_order_and_their_phones_are_encrypted_and_indexed(cast):
    df.mediator_of(cast.grid)
    dispute = df.dispute(cast.grid, cast.grid_worker)
    parties = list(Party.objects.filter(dispute=dispute))
    assert [(p.side, p.name) for p in parties] == [("甲", "王建军"), ("乙", "李红梅")]
    assert parties[0].phone == "13811112222"
    assert parties[0].phone_index == blind_index("13811112222", PHONE_PURPOSE)
    assert parties[0].statement == "邻居装修占了楼道"


def test_the_least_busy_mediator_of_the_grid_is_chosen(cast):
    first = df.mediator_of(cast.grid, "mediator1")
    second = df.mediator_of(cast.grid, "mediator2")
    one = df.dispute(cast.grid, cast.grid_worker)
    two = df.dispute(cast.grid, cast.grid_worker)
    chosen = [Mediator.objects.get(step_record__dispute=d).user for d in (one, two)]
    assert sorted(u.pk for u in chosen) == sorted([first.pk, second.pk])


def test_a_grid_without_a_mediator_starts_at_the_committee_with_the_reason(cast):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    record = StepRecord.objects.get(dispute=dispute)
    assert (dispute.step, record.step, record.unit) == (
        Step.COMMITTEE,
        Step.COMMITTEE,
        cast.community,
    )
    assert "no ten-household mediator" in record.start_reason or "十户调解员" in record.start_reason


def test_starting_above_step_one_needs_a_reason(cast):
    with pytest.raises(ValidationError) as error:
        df.dispute(cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="")
    assert "start_reason" in error.value.message_dict
    assert not Dispute.objects.exists()


def test_an_urgent_dispute_may_start_with_a_lawyer(cast):
    lawyer = df.lawyer_of(cast.subdistrict)
    dispute = df.dispute(
        cast.grid,
        cast.community_worker,
        start_step=Step.LAWYER,
        start_reason="涉及工伤赔偿金额较大，需律师解答法律问题",
        urgency=Urgency.URGENT,
    )
    record = StepRecord.objects.get(dispute=dispute)
    assert (record.step, record.unit) == (Step.LAWYER, cast.subdistrict)
    assert [m.user for m in record.mediators.all()] == [lawyer]


def test_only_those_who_manage_mediation_may_start_higher(cast):
    with pytest.raises(PermissionDenied):
        df.dispute(
            cast.grid,
            cast.grid_worker,
            start_step=Step.COMMITTEE,
            start_reason="当事人要求居委会调解",
        )
    assert not Dispute.objects.exists()
    assert AuditEntry.objects.filter(
        action="mediation.register.denied", outcome=Outcome.FAILURE
    ).exists()


def test_a_risk_of_violence_is_told_to_the_level_above_at_once(
    cast, django_capture_on_commit_callbacks
):
    df.mediator_of(cast.grid)
    with django_capture_on_commit_callbacks(execute=True):
        df.dispute(cast.grid, cast.grid_worker, urgency=Urgency.VIOLENCE)
    assert Notification.objects.filter(user=cast.community_worker, kind="dispute_violence").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"parties": [services.NewParty(name="王建军")]}, "parties"),
        ({"parties": [services.NewParty(name="王建军"), services.NewParty(name=" ")]}, "parties"),
        ({"source": "matter"}, "source_matter"),
        ({"urgency": "panic"}, "urgency"),
        (
            {
                "parties": [
                    services.NewParty(name="王建军", phone="12"),
                    services.NewParty(name="李红梅"),
                ]
            },
            "parties",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(cast, values, field):
    with pytest.raises(ValidationError) as error:
        df.dispute(cast.grid, cast.grid_worker, **values)
    assert field in error.value.message_dict
    assert not Dispute.objects.exists() and not DisputeEvent.objects.exists()


def test_a_dispute_must_be_placed_in_a_grid_or_community(cast):
    with pytest.raises(ValidationError) as error:
        df.dispute(cast.subdistrict, cast.cadre)
    assert "unit" in error.value.message_dict


def test_nobody_registers_outside_their_area(cast):
    with pytest.raises(PermissionDenied):
        df.dispute(cast.grid, cast.outsider)
    assert not Dispute.objects.exists()


def test_a_retried_form_registers_one_dispute(cast):
    first = df.dispute(cast.grid, cast.grid_worker, idempotency_key="form-1")
    again = df.dispute(cast.grid, cast.grid_worker, idempotency_key="form-1")
    assert first.pk == again.pk
    assert Dispute.objects.count() == 1


def test_registration_is_audited_without_personal_data(cast):
    df.mediator_of(cast.grid)
    dispute = df.dispute(cast.grid, cast.grid_worker)
    entry = AuditEntry.objects.get(action="mediation.registered")
    assert entry.object_id == str(dispute.pk)
    assert "13811112222" not in str(entry.data) and "王建军" not in str(entry.data)
