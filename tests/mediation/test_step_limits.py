"""Time limits of the steps as data: the defaults installed by the migration, a unit's own limit
set by an administrator (through the service, audited), and refusals for nonsense."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import login_as
from xinkan.audit.models import AuditEntry
from xinkan.mediation.limits import DEFAULTS, limit_for
from xinkan.mediation.models import StepLimit
from xinkan.mediation.services.limits import set_step_limit


def test_the_migration_installs_the_defaults(db):
    installed = {
        limit.step: (limit.amount, limit.time_unit, limit.warn_hours)
        for limit in StepLimit.objects.filter(unit=None)
    }
    assert installed == {step: value for step, value in DEFAULTS.items()}


def test_a_units_limit_beats_the_default_in_its_subtree_only(cast):
    set_step_limit(
        step=1, unit=cast.community, amount=3, time_unit="days", warn_hours=24, by=cast.admin
    )
    assert limit_for(1, cast.grid).amount == 3
    assert limit_for(1, cast.neighbour_grid).amount == DEFAULTS[1][0]
    assert AuditEntry.objects.filter(action="mediation.step_limit_set").count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [({"step": 9}, "step"), ({"amount": 0}, "amount"), ({"time_unit": "hours"}, "time_unit")],
)
def test_nonsense_limits_are_refused(cast, values, field):
    data = {"step": 1, "unit": None, "amount": 5, "time_unit": "days", "warn_hours": 24}
    data.update(values)
    with pytest.raises(ValidationError) as error:
        set_step_limit(by=cast.admin, **data)
    assert field in error.value.message_dict


def test_the_administrator_sets_a_limit_on_the_admin_site(cast, client):
    login_as(client, cast.admin)
    response = client.post(
        "/admin/mediation/steplimit/add/",
        {
            "step": 2,
            "unit": cast.community.pk,
            "amount": 5,
            "time_unit": "working_days",
            "warn_hours": 12,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    limit = StepLimit.objects.get(step=2, unit=cast.community)
    assert (limit.amount, limit.time_unit) == (5, "working_days")
    login_as(client, cast.community_worker)
    assert client.get("/admin/mediation/steplimit/").status_code in {302, 403}
