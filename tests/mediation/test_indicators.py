"""Mediation indicators: settled, the rate, the step of settlement, days to settle, escalations,
terms performed — by unit (one row per child unit) and by mediator; and the figures page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import login_as
from tests.matters.web import page_text
from tests.mediation import factories as df
from xinkan.mediation import indicators, services
from xinkan.mediation.models import Step, Term

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
PERIOD = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def story(cast):  # type: ignore[no-untyped-def]
    """In 东风里社区: one settled at ① after 2 days, one settled at ② after an escalation, one
    withdrawn, one open; in 光明社区: one settled at ①."""
    with time_machine.travel(DAY, tick=False) as clock:
        mediator = df.mediator_of(cast.grid)
        neighbour_mediator = df.mediator_of(cast.neighbour_grid, "mediator2")
        first = df.dispute(cast.grid, cast.grid_worker)
        second = df.dispute(cast.grid, cast.grid_worker)
        third = df.dispute(cast.grid, cast.grid_worker)
        df.dispute(cast.grid, cast.grid_worker)
        other = df.dispute(cast.neighbour_grid, cast.outsider)
        clock.shift(dt.timedelta(days=2))
        agreement = services.settle(first, by=mediator, settlement=df.settlement())
        services.escalate(second, by=mediator, reason="需居委会出面协调")
        services.settle(second, by=cast.community_worker, settlement=df.settlement(kind="oral"))
        services.withdraw(third, by=mediator, reason="乙方拒绝调解")
        services.settle(other, by=neighbour_mediator, settlement=df.settlement(kind="oral"))
        services.record_performance(
            Term.objects.filter(agreement=agreement).first(), by=mediator, performed=True
        )
    return {"mediator": mediator}


def test_figures_by_community(cast, story):
    figures = indicators.by_unit([cast.community, cast.neighbour_community], *PERIOD)
    mine = figures[cast.community.pk]
    assert (mine.registered, mine.settled, mine.withdrawn, mine.open) == (4, 2, 1, 1)
    assert mine.settlement_rate == pytest.approx(2 / 3)
    assert mine.settled_at[Step.TEN_HOUSEHOLD] == 1 and mine.settled_at[Step.COMMITTEE] == 1
    assert mine.low_steps_share == 1.0
    assert mine.mean_days_to_settle == 2.0
    assert mine.escalations == 1
    assert (mine.terms, mine.terms_performed) == (2 + 2, 1)
    neighbour = figures[cast.neighbour_community.pk]
    assert (neighbour.registered, neighbour.settled) == (1, 1)


def test_the_total_and_the_mediators(cast, story):
    total = indicators.total([cast.subdistrict], *PERIOD)
    assert (total.registered, total.settled) == (5, 3)
    mediators = {
        m.name: (m.steps, m.settled) for m in indicators.by_mediator([cast.community], *PERIOD)
    }
    assert mediators[str(story["mediator"])] == (4, 1)


def test_disputes_outside_the_period_are_not_counted(cast, story):
    assert (
        indicators.total([cast.subdistrict], dt.date(2026, 4, 1), dt.date(2026, 4, 30)).registered
        == 0
    )


def test_the_figures_page_shows_the_units_below(cast, client, story, django_assert_max_num_queries):
    login_as(client, cast.cadre)
    with django_assert_max_num_queries(16):
        response = client.get(
            "/mediation/figures/", {"date_from": "2026-03-01", "date_to": "2026-03-31"}
        )
    text = page_text(response)
    assert "东风里社区" in text and "光明社区" in text and "66.7%" in text


def test_the_figures_page_is_for_those_who_see_disputes(cast, client):
    login_as(client, cast.handler)
    assert client.get("/mediation/figures/").status_code == 403


def test_a_reversed_period_is_explained(cast, client):
    login_as(client, cast.cadre)
    response = client.get(
        "/mediation/figures/", {"date_from": "2026-03-31", "date_to": "2026-03-01"}
    )
    assert 'role="alert"' in response.content.decode()
