"""`__any_of`: the same rows as `__in`, sent to PostgreSQL as one array parameter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from xinkan.org.models import Level, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def units() -> list[Unit]:
    district = factories.unit("任意区", Level.DISTRICT)
    return [district] + [
        factories.unit(f"街道{i}", Level.SUBDISTRICT, parent=district) for i in range(4)
    ]


def test_it_finds_what_in_finds(units: list[Unit]) -> None:
    wanted = [units[1].pk, units[3].pk, 10**9]
    assert set(Unit.objects.filter(pk__any_of=wanted)) == set(Unit.objects.filter(pk__in=wanted))
    children = Unit.objects.filter(parent_id__any_of=[units[0].pk])
    assert set(children) == set(units[1:])


def test_on_a_foreign_key_and_with_none_and_an_empty_list(units: list[Unit]) -> None:
    assert set(Unit.objects.filter(parent__any_of=[units[0].pk, None])) == set(units[1:])
    assert list(Unit.objects.filter(parent_id__any_of=[])) == []
    assert Unit.objects.exclude(pk__any_of=[units[0].pk]).count() == len(units) - 1


def test_postgresql_gets_one_array_parameter_however_many_ids(units: list[Unit]) -> None:
    ids = [*range(1, 5001), units[2].pk]
    with CaptureQueriesContext(connection) as captured:
        assert units[2] in list(Unit.objects.filter(pk__any_of=ids))
    sql = captured.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
        assert sql.count(",") < 5000 + 50  # the ids once, inside one array literal
    else:
        assert " IN (" in sql
