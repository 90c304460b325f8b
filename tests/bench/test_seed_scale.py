"""The scale generator (seed_scale): the shape it promises, data the services and pages accept,
and runs that resume and grow instead of duplicating. PostgreSQL only (it loads by COPY)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from xinkan.bench.parts import pgbench
from xinkan.bench.scale import people as scale_people
from xinkan.bench.scale import seeding, tree
from xinkan.bench.scale.presets import PRESETS, Preset
from xinkan.matters.models import Deadline, FollowUp, Matter, MatterEvent, Reply, State
from xinkan.metrics import aggregation
from xinkan.metrics.models import MatterPart
from xinkan.org.models import Department, Level, Unit
from xinkan.org.roles import Role
from xinkan.residents.identity import parse_id_number
from xinkan.residents.models import Household, Resident
from xinkan.volunteers.models import Pairing, Volunteer

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

TINY = Preset("tiny", 1, 2, 2, 3, matters=1_500, residents=400)
CITY = Preset("town", 2, 2, 1, 2, matters=300, residents=100)


def _seed(preset: Preset) -> dict[str, tuple[int, float]]:
    return seeding.seed(preset, skip=set(), log=lambda _line: None)


def test_the_presets_have_the_promised_shape() -> None:
    city = PRESETS["city"]
    assert city.units() == {
        "city": 1,
        "district": 16,
        "subdistrict": 304,
        "community": 6080,
        "grid": 60800,
    }
    assert (city.matters, city.residents) == (10_000_000, 3_000_000)
    assert PRESETS["district"].matters == 100_000
    assert not PRESETS["district"].with_city


def test_a_city_preset_builds_the_whole_tree_with_departments() -> None:
    _seed(CITY)
    root = Unit.objects.get(code=tree.root_code(CITY))
    assert root.level == Level.CITY
    inside = Unit.objects.filter(path__startswith=root.path)
    counts = dict(inside.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    assert counts == {key: value for key, value in CITY.units().items() if value}
    for unit in inside.exclude(pk=root.pk):
        assert unit.path.startswith(unit.parent.path)
        assert unit.depth == unit.parent.depth + 1
    assert Department.objects.filter(unit__level=Level.DISTRICT, unit__parent=root).count() == (
        2 * len(tree.DEPARTMENTS)
    )


def test_generated_matters_are_consistent_with_their_state() -> None:
    report = _seed(TINY)
    root = Unit.objects.get(code=tree.root_code(TINY))
    matters = Matter.objects.filter(unit__path__startswith=root.path)
    assert report["matters"][0] == matters.count() == 1_500
    now_ = dt.datetime.now(dt.UTC)
    assert not matters.filter(registered_at__lt=now_ - dt.timedelta(days=3 * 365 + 2)).exists()
    assert not matters.filter(
        state__in=[State.RESOLVED, State.DECLINED, State.MERGED, State.CONCLUDED],
        closed_at__isnull=True,
    ).exists()
    assert not matters.filter(
        state__in=[State.REGISTERED, State.HANDLING], closed_at__isnull=False
    ).exists()
    # Answered matters have their reply, rated ones their follow-up, open ones a deadline.
    assert Reply.objects.filter(matter__in=matters).count() == (
        matters.filter(replied_at__isnull=False).count()
    )
    assert FollowUp.objects.filter(matter__in=matters).count() == (
        matters.exclude(last_rating="").count()
    )
    open_ = matters.filter(state__in=["registered", "handling", "replied", "dispatched"])
    assert Deadline.objects.filter(matter__in=open_).values("matter").distinct().count() == (
        open_.count()
    )
    assert MatterEvent.objects.filter(matter__in=matters, action="registered").count() == 1_500
    # Several states, channels and categories, and departments for part of the dispatched ones.
    assert matters.values("state").distinct().count() >= 6
    assert matters.values("category").distinct().count() >= 8
    assert matters.filter(lead_department__isnull=False).exists()
    assert matters.filter(repeat_count__gt=0).exists()


def test_residents_have_valid_unique_id_numbers_and_encrypted_personal_data() -> None:
    _seed(TINY)
    root = Unit.objects.get(code=tree.root_code(TINY))
    residents = Resident.objects.filter(unit__path__startswith=root.path)
    assert residents.count() == 400
    assert Household.objects.filter(unit__path__startswith=root.path).count() < 400
    sample = list(residents[:50])
    for resident in sample:
        parsed = parse_id_number(resident.id_number)  # raises if the check digit is wrong
        assert parsed.birth_date == resident.birth_date
    assert residents.exclude(id_number_index="").values("id_number_index").distinct().count() == (
        residents.exclude(id_number_index="").count()
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM residents_resident LIMIT 5")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("v1:") for value in stored if value)
    # Volunteers among them, paired with needs of the same community, each within their limit.
    assert Volunteer.objects.filter(unit__path__startswith=root.path).count() == TINY.volunteers
    for pairing in Pairing.objects.select_related("volunteer__unit", "resident__unit"):
        assert pairing.volunteer is not None
        assert pairing.volunteer.unit.parent_id == pairing.resident.unit.parent_id
    over = (
        Pairing.objects.filter(status="active")
        .values("volunteer")
        .annotate(n=Count("id"))
        .filter(n__gt=3)
    )
    assert not over.exists()


def test_id_numbers_from_ordinals_never_repeat() -> None:
    seen = {scale_people._id_number(i, 1960 + i % 40, i % 2 == 0)[:17] for i in range(60_000)}
    assert len(seen) == 60_000


def test_a_second_run_adds_nothing_and_a_bigger_one_only_the_difference() -> None:
    _seed(TINY)
    before = seeding.counts(TINY)
    again = _seed(TINY)
    assert seeding.counts(TINY) == before
    assert again["matters"][0] == again["residents"][0] == 0
    grown = Preset("tiny", 1, 2, 2, 3, matters=1_800, residents=450)
    report = _seed(grown)
    assert report["matters"][0] == 300
    assert report["residents"][0] == 50
    after = seeding.counts(grown)
    assert (after["matters"], after["residents"]) == (1_800, 450)
    # The replies, events and deadlines of the new matters were added too, once.
    root = Unit.objects.get(code=tree.root_code(grown))
    matters = Matter.objects.filter(unit__path__startswith=root.path)
    assert MatterEvent.objects.filter(matter__in=matters, action="registered").count() == 1_800


def test_the_aggregates_rebuilt_by_the_seed_equal_a_recomputation() -> None:
    _seed(TINY)
    stored = sorted(
        MatterPart.objects.values_list("matter_id", "part", "seq", "day", "unit_id", "value")
    )
    assert stored
    ids = list(Matter.objects.order_by("pk").values_list("pk", flat=True))
    recomputed = []
    for history in aggregation.load_histories(ids):
        for (part, seq), (day, unit, _d, _c, value) in aggregation.parts_of(history).items():
            recomputed.append((history.matter["id"], part, seq, day, unit, value))
    assert stored == sorted(recomputed)


def test_the_benchmark_people_stand_where_they_measure() -> None:
    _seed(TINY)
    root = Unit.objects.get(code=tree.root_code(TINY))
    people = seeding.bench_people(root)
    worker = people[Role.COMMUNITY_WORKER].memberships.get()
    assert worker.unit.level == Level.COMMUNITY and worker.unit.is_within(root)
    assert people[Role.LEADER].memberships.get().unit == root
    assert seeding.bench_people(root) == people  # found again, not made twice


def test_seed_scale_refuses_sqlite_with_a_reason(settings: object) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("checks the message given on SQLite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_scale", "--preset", "small")


def _categories_of_the_texts() -> None:
    """A transactional test starts from emptied tables: the categories the generated matters
    use, as the data migration makes them."""
    from xinkan.bench.scale.texts import PROBLEMS
    from xinkan.matters.models import Category

    for code, _template in PROBLEMS:
        parent, _ = Category.objects.get_or_create(
            code=code.split(".")[0], defaults={"name": code.split(".")[0]}
        )
        Category.objects.get_or_create(code=code, defaults={"name": code, "parent": parent})


@pytest.mark.django_db(transaction=True)
def test_pgbench_runs_the_intake_writes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    import shutil

    if shutil.which("pgbench") is None:
        pytest.skip("pgbench is not installed")
    _categories_of_the_texts()
    _seed(TINY)
    root = Unit.objects.get(code=tree.root_code(TINY))
    people = seeding.bench_people(root)
    community = people[Role.COMMUNITY_WORKER].memberships.get().unit
    before = Matter.objects.count()
    result = pgbench.run(
        tmp_path, community, people[Role.COMMUNITY_WORKER].pk, clients=2, seconds=2
    )
    assert result["per_second"] > 0
    assert result["n"] > 0 and result["p50_ms"] > 0
    assert Matter.objects.count() == before
    assert not Matter.objects.filter(Q(title__startswith=pgbench.MARK)).exists()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [pgbench.AUDIT_COPY])
        assert cursor.fetchone()[0] is None
