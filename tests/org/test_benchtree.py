"""The benchmarks' unit tree: made once under its prefix, with every level, and found again."""

from __future__ import annotations

from xinkan.org.benchtree import ensure_tree
from xinkan.org.models import Level, Unit


def test_the_tree_is_made_once_with_every_level(db):
    lines: list[str] = []
    district = ensure_tree(
        prefix="TB", label="测试", subdistricts=2, communities=2, grids=3, log=lines.append
    )
    assert district.name == "测试区" and district.level == Level.DISTRICT
    below = Unit.objects.filter(path__startswith=district.path).exclude(pk=district.pk)
    assert below.filter(level=Level.GRID).count() == 12
    assert below.get(code="TB0101").name == "测试社区2-2"
    again = ensure_tree(
        prefix="TB", label="测试", subdistricts=2, communities=2, grids=3, log=lines.append
    )
    assert again == district and len(lines) == 1
    assert Unit.objects.filter(code__startswith="TB").count() == 1 + 2 + 4 + 12
