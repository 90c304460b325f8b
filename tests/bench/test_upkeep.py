"""The benchmark's upkeep figures: matters and disputes moved through the real services, then the
periodic job that folds them in — what it reports, and that the figures it kept are right."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.mediation import factories as df
from xinkan.bench.parts import background
from xinkan.bench.report import Report
from xinkan.mediation.models import Dispute, State
from xinkan.metrics import providers
from xinkan.metrics.periods import Period

pytestmark = pytest.mark.django_db


def test_the_upkeep_of_both_jobs_is_measured_per_transition(cast, settings):
    settings.XINKAN_METRICS_LAG_SECONDS = 0  # the parts set it too: restored after the test
    df.mediator_of(cast.grid)
    report = Report(scale={})
    background.aggregates_upkeep(report, cast.community_worker, 3)
    background.mediation_upkeep(report, cast.community_worker, 4)
    matters = report.figures["aggregates.upkeep"]
    assert matters["transitions"] >= 3 * 4 and matters["job_ms_per_transition"] > 0
    mediation = report.figures["mediation.upkeep"]
    assert mediation["transitions"] >= 4 * 2 and mediation["job_ms_per_transition"] > 0
    assert mediation["result"].startswith(f"{mediation['transitions']} events")
    assert Dispute.objects.filter(state=State.SETTLED).count() == 4
    first = Dispute.objects.first()
    assert first is not None
    month = Period.containing("month", timezone.localtime(first.registered_at).date())
    kept = providers._mediation([cast.district], month.start, month.end)[cast.district.pk]
    assert kept["disputes_settled"] == 4
