"""Settling with an agreement: its terms and number, the parties told about judicial confirmation,
performance follow-up and confirmation recorded; bad agreements refused with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.matters import factories as mf
from tests.mediation import factories as df
from xinkan.mediation import services
from xinkan.mediation.access import pdf_document
from xinkan.mediation.models import Agreement, Dispute, State, Step, StepRecord, Term


@pytest.fixture
def mediator(cast):  # type: ignore[no-untyped-def]
    return df.mediator_of(cast.grid)


def test_settling_at_the_grid_closes_the_dispute_with_its_agreement(
    cast, mediator, settings, django_capture_on_commit_callbacks
):
    settings.XINKAN_RESIDENT_SENDER = "tests.matters.factories.RecordingSender"
    mf.RecordingSender.sent = []
    dispute = df.dispute(cast.grid, cast.grid_worker)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.settle(dispute, by=mediator, settlement=df.settlement())

    stored = Dispute.objects.get(pk=dispute.pk)
    assert (stored.state, stored.settled_step) == (State.SETTLED, Step.TEN_HOUSEHOLD)
    assert StepRecord.objects.get(dispute=dispute).outcome == "settled"
    assert agreement.number == f"东风里调字〔{dispute.code_year}〕第{dispute.pk}号"
    assert agreement.confirmation_due == agreement.signed_on + dt.timedelta(days=30)
    assert [t.text for t in Term.objects.filter(agreement=agreement)] == [
        "乙方于三日内清理楼道建材",
        "乙方向甲方赔礼道歉",
    ]
    # Both parties gave a phone: each is told they may ask the court to confirm it.
    assert len(mf.RecordingSender.sent) == 2


def test_an_oral_agreement_has_no_document_number(cast, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    agreement = services.settle(dispute, by=mediator, settlement=df.settlement(kind="oral"))
    assert agreement.number == ""
    with pytest.raises(services.MediationError):
        services.record_confirmation(agreement, by=mediator, applied=True)


# Values made when the test runs, not when it is collected: a run that crosses local midnight
# would otherwise find "tomorrow" to be today.
@pytest.mark.parametrize(
    ("values", "field"),
    [
        (lambda: {"terms": [services.NewTerm(text=" ")]}, "terms"),
        (lambda: {"facts": ""}, "facts"),
        (lambda: {"points_at_issue": ""}, "points_at_issue"),
        (lambda: {"kind": "handshake"}, "kind"),
        (lambda: {"signed_on": timezone.localdate() + dt.timedelta(days=1)}, "signed_on"),
        (
            lambda: {
                "terms": [
                    services.NewTerm(text="赔偿", due=timezone.localdate() - dt.timedelta(days=1))
                ]
            },
            "terms",
        ),
    ],
)
def test_a_bad_agreement_is_explained_and_nothing_changes(cast, mediator, values, field):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    with pytest.raises(ValidationError) as error:
        services.settle(dispute, by=mediator, settlement=df.settlement(**values()))
    assert field in error.value.message_dict
    assert Dispute.objects.get(pk=dispute.pk).state == State.MEDIATING
    assert not Agreement.objects.exists()


def test_a_settled_dispute_cannot_be_settled_again(cast, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    services.settle(dispute, by=mediator, settlement=df.settlement())
    with pytest.raises(services.MediationError):
        services.settle(Dispute.objects.get(pk=dispute.pk), by=mediator, settlement=df.settlement())


def test_performance_is_followed_term_by_term(cast, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    agreement = services.settle(dispute, by=mediator, settlement=df.settlement())
    first, second = Term.objects.filter(agreement=agreement)
    services.record_performance(first, by=mediator, performed=True)
    with pytest.raises(ValidationError):
        services.record_performance(second, by=mediator, performed=False, note="")
    services.record_performance(
        second, by=cast.community_worker, performed=False, note="乙方拒绝道歉"
    )
    assert [t.performed for t in Term.objects.filter(agreement=agreement)] == [True, False]
    with pytest.raises(PermissionDenied):
        services.record_performance(first, by=cast.outsider, performed=True)


def test_judicial_confirmation_is_recorded(cast, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    agreement = services.settle(dispute, by=mediator, settlement=df.settlement())
    services.record_confirmation(
        agreement, by=mediator, applied=True, note="已向清河区人民法院申请"
    )
    agreement.refresh_from_db()
    assert (agreement.confirmation_applied, agreement.confirmation_note) == (
        True,
        "已向清河区人民法院申请",
    )


def test_the_document_carries_what_the_law_asks(cast, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    agreement = services.settle(dispute, by=mediator, settlement=df.settlement())
    document = pdf_document(dispute, agreement)
    assert document.committee == "东风里社区人民调解委员会"
    assert [p.name for p in document.parties] == ["王建军", "李红梅"]
    assert document.parties[0].id_number == df.PARTY_A.id_number
    assert document.mediators == [str(mediator)]
    assert [t.text for t in document.terms] == ["乙方于三日内清理楼道建材", "乙方向甲方赔礼道歉"]
