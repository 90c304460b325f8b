"""On PostgreSQL the rebuild builds each derived table beside the live one and swaps it in: the
table keeps its constraints, indexes and id sequence under the same names, readers see the old rows
until the commit, and the rows equal the incremental ones."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection, connections, transaction

from tests.matters import factories as mf
from tests.metrics.helpers import local, snapshot
from xinkan.matters.models import Channel
from xinkan.metrics import aggregation
from xinkan.metrics.models import DailyFact, MatterPart, Part, SubtreeMonthFact

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the swap is PostgreSQL's"),
]


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0


def _structure() -> dict[str, object]:
    """Each derived table's constraints and indexes as the database describes them, and the
    sequence of its id."""
    described: dict[str, object] = {}
    with connection.cursor() as cursor:
        for model in aggregation.DERIVED:
            table = model._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, table)
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            described[table] = (
                {
                    name: (info["columns"], info["unique"], info["primary_key"], info["index"])
                    for name, info in constraints.items()
                },
                cursor.fetchone()[0],
            )
            cursor.execute("SELECT to_regclass(%s)", [table + "__build"])
            assert cursor.fetchone()[0] is None
    return described


def _matters(cast, count: int, first: int = 0) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        for number in range(first, first + count):
            mf.matter(cast.grid, None, channel=Channel.ONLINE, contact_phone=f"13911{number:06d}")


def test_the_rebuilt_tables_keep_their_names_constraints_and_sequences(cast):
    _matters(cast, 3)
    aggregation.refresh()
    before, rows = _structure(), snapshot()
    assert aggregation.rebuild() == 3
    assert _structure() == before
    assert snapshot() == rows
    # The id sequence goes on: the job can add rows to every table after the swap.
    _matters(cast, 2, first=10)
    aggregation.refresh()
    assert MatterPart.objects.filter(part=Part.REGISTERED).count() == 5
    assert SubtreeMonthFact.objects.get(unit=cast.district, part=Part.REGISTERED).value == 5
    # A second rebuild finds no copy left over and swaps again.
    aggregation.rebuild()
    assert _structure() == before
    assert DailyFact.objects.get(unit=cast.community, part=Part.REGISTERED).value == 5


def test_readers_see_the_old_rows_until_the_rebuild_commits(cast):
    _matters(cast, 2)
    aggregation.refresh()
    inside = threading.Event()
    release = threading.Event()
    seen: list[int] = []

    def reader() -> None:
        inside.wait(30)
        try:
            seen.append(MatterPart.objects.filter(part=Part.REGISTERED).count())
        finally:
            connections.close_all()
            release.set()

    thread = threading.Thread(target=reader)
    thread.start()
    original = aggregation._fill_parts

    def fill_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        done = original(*args, **kwargs)
        MatterPart.objects.filter(part=Part.REGISTERED).delete()  # gone from the live table
        inside.set()
        release.wait(30)
        return done

    aggregation._fill_parts = fill_then_wait  # type: ignore[assignment]
    try:
        with transaction.atomic():
            aggregation.rebuild()
    finally:
        aggregation._fill_parts = original  # type: ignore[assignment]
    thread.join(30)
    assert seen == [2]
    assert MatterPart.objects.filter(part=Part.REGISTERED).count() == 2


def test_a_parallel_rebuild_equals_the_incremental_rows(cast):
    _matters(cast, 5)
    aggregation.refresh()
    rows = snapshot()
    assert aggregation.rebuild(workers=2, batch=2) == 5
    assert snapshot() == rows


def test_what_changes_during_a_parallel_rebuild_is_caught_up_by_the_job(cast):
    """The job is not locked out while the workers fill the copies: a matter registered then is
    missing from the swapped-in rows, and the next run of the job adds it."""
    _matters(cast, 3)
    original = aggregation._fill_facts

    def register_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        _matters(cast, 1, first=20)
        return original(*args, **kwargs)

    aggregation._fill_facts = register_meanwhile  # type: ignore[assignment]
    try:
        aggregation.rebuild(workers=2, batch=2)
    finally:
        aggregation._fill_facts = original  # type: ignore[assignment]
    assert MatterPart.objects.filter(part=Part.REGISTERED).count() == 3
    aggregation.refresh()
    assert MatterPart.objects.filter(part=Part.REGISTERED).count() == 4
    caught_up = snapshot()
    aggregation.rebuild()
    assert snapshot() == caught_up


def test_a_parallel_rebuild_refuses_to_run_inside_a_transaction(cast):
    with transaction.atomic(), pytest.raises(RuntimeError):
        aggregation.rebuild(workers=2)
