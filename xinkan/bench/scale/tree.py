"""The generated unit tree: a city (for multi-district presets), its districts with their
departments, subdistricts, communities and grids. Units are inserted level by level in bulk with
their ids taken first, so each row is written once with its final materialized path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from xinkan.bench.scale.presets import Preset
from xinkan.org.models import PATH_SEGMENT_WIDTH, Department, Level, Unit

# Place-name syllables: "东湖", "西山" … combined give plausible, clearly invented names.
FIRST = "东西南北中新安和平永宁长兴丰泰福康德华明清"
SECOND = "湖山城苑河桥林园坊门庄塘岭湾里营港村"
DEPARTMENTS = [
    ("ZJJ", "住房和城乡建设局", "住建局"),
    ("CGJ", "城市管理综合行政执法局", "城管局"),
    ("MZJ", "民政局", "民政局"),
    ("RSJ", "人力资源和社会保障局", "人社局"),
    ("SFJ", "司法局", "司法局"),
    ("WJJ", "卫生健康局", "卫健局"),
    ("SJJ", "市场监督管理局", "市场监管局"),
    ("HBJ", "生态环境分局", "环境分局"),
    ("JTJ", "交通运输局", "交通局"),
    ("SWJ", "水务局", "水务局"),
]
# Which department a category's matters usually go to (by the category code's first part).
DEPARTMENT_FOR = {
    "property": "ZJJ",
    "roads": "JTJ",
    "sanitation": "CGJ",
    "labour": "RSJ",
    "social": "MZJ",
    "safety": "CGJ",
}


def place_name(index: int) -> str:
    first = FIRST[index % len(FIRST)]
    second = SECOND[(index // len(FIRST)) % len(SECOND)]
    round_ = index // (len(FIRST) * len(SECOND))
    return f"{first}{second}" + (str(round_ + 1) if round_ else "")


@dataclass
class Tree:
    root: Unit
    grids: list[tuple[int, int, int]]  # (grid id, community id, district id)
    districts: list[Unit]


def root_code(preset: Preset) -> str:
    return f"SC{preset.name[:1].upper()}"


def ensure_tree(preset: Preset, log: Callable[[str], None]) -> Tree:
    code = root_code(preset)
    root = Unit.objects.filter(code=code).first()
    expected = sum(preset.units().values())
    if root is None or Unit.objects.filter(path__startswith=root.path).count() < expected:
        with transaction.atomic():
            root = _build(preset, code, log)
    districts = list(
        Unit.objects.filter(path__startswith=root.path, level=Level.DISTRICT).order_by("code")
    )
    _ensure_departments(districts)
    district_at = districts[0].depth  # the district's segment in a grid's path
    width = PATH_SEGMENT_WIDTH + 1
    grids = [
        (pk, parent_id, int(path[district_at * width : district_at * width + PATH_SEGMENT_WIDTH]))
        for pk, parent_id, path in Unit.objects.filter(path__startswith=root.path, level=Level.GRID)
        .order_by("id")
        .values_list("id", "parent_id", "path")
    ]
    return Tree(root=root, grids=grids, districts=districts)


def _build(preset: Preset, code: str, log: Callable[[str], None]) -> Unit:
    """Create what is missing of the tree (a partial tree from an interrupted run is completed)."""
    existing = {
        u.code: u for u in Unit.objects.filter(code__startswith=code).only("id", "code", "path")
    }
    now = timezone.now()
    pending: list[Unit] = []

    def add(code: str, name: str, level: str, parent: Unit | None, depth: int) -> Unit:
        unit = existing.get(code)
        if unit is not None:
            return unit
        unit = Unit(code=code, name=name, level=level, parent=parent, depth=depth)
        unit.created_at = unit.updated_at = now
        pending.append(unit)
        existing[code] = unit
        return unit

    def flush() -> None:
        """Give the pending units (one level) their ids and paths, and insert them."""
        if not pending:
            return
        for unit, new_id in zip(pending, _new_ids(len(pending)), strict=True):
            unit.pk = new_id
            parent_path = unit.parent.path if unit.parent else ""
            unit.path = f"{parent_path}{new_id:0{PATH_SEGMENT_WIDTH}d}/"
        Unit.objects.bulk_create(pending, batch_size=5000)
        pending.clear()

    log(f"Unit tree {code}: {preset.units()} …")
    districts: list[tuple[str, Unit]] = []
    if preset.with_city:
        city = add(code, "规模市", Level.CITY, None, 0)
        flush()
        for d in range(preset.districts):
            districts.append(
                (
                    f"{code}{d:02d}",
                    add(f"{code}{d:02d}", f"{place_name(d)}区", Level.DISTRICT, city, 1),
                )
            )
        flush()
        root = city
    else:
        root = add(code, f"{place_name(0)}区", Level.DISTRICT, None, 0)
        flush()
        districts.append((code, root))
    depth = districts[0][1].depth
    subdistricts: list[tuple[str, Unit]] = []
    for d_code, district in districts:
        for s in range(preset.subdistricts):
            s_code = f"{d_code}{s:02d}"
            name = f"{place_name(s + len(subdistricts))}街道"
            subdistricts.append((s_code, add(s_code, name, Level.SUBDISTRICT, district, depth + 1)))
    flush()
    communities: list[tuple[str, Unit]] = []
    for s_code, subdistrict in subdistricts:
        for c in range(preset.communities):
            c_code = f"{s_code}{c:02d}"
            name = f"{place_name(c + len(communities))}社区"
            communities.append((c_code, add(c_code, name, Level.COMMUNITY, subdistrict, depth + 2)))
    flush()
    for c_code, community in communities:
        for g in range(preset.grids):
            add(f"{c_code}{g:02d}", f"第{g + 1}网格", Level.GRID, community, depth + 3)
            if len(pending) >= 20_000:
                flush()
    flush()
    return root


def _new_ids(n: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('org_unit', 'id')) FROM generate_series(1, %s)",
            [n],
        )
        return [row[0] for row in cursor.fetchall()]


def _ensure_departments(districts: list[Unit]) -> None:
    missing = []
    have = set(Department.objects.filter(unit__in=districts).values_list("code", flat=True))
    for district in districts:
        for short_code, name, short in DEPARTMENTS:
            code = f"{district.code}-{short_code}"
            if code not in have:
                missing.append(
                    Department(
                        code=code, name=f"{district.name}{name}", short_name=short, unit=district
                    )
                )
    Department.objects.bulk_create(missing)


def departments_by_district(districts: list[Unit]) -> dict[int, dict[str, int]]:
    """{district id: {department short code: department id}}."""
    result: dict[int, dict[str, int]] = {d.pk: {} for d in districts}
    for dept_id, unit_id, code in Department.objects.filter(unit__in=districts).values_list(
        "id", "unit_id", "code"
    ):
        result[unit_id][code.rsplit("-", 1)[1]] = dept_id
    return result
