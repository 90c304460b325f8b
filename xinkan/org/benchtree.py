"""A unit tree for benchmarks: one district, its subdistricts, communities and grids, with codes
under a prefix so that it never mixes with real units. Made once through the org services and
found again by its district's code."""

from __future__ import annotations

from collections.abc import Callable

from xinkan.org import services as org_services
from xinkan.org.models import Level, Unit


def ensure_tree(
    *,
    prefix: str,
    label: str,
    subdistricts: int,
    communities: int,
    grids: int,
    log: Callable[[str], None],
) -> Unit:
    """The district coded `prefix`, made with its subtree when missing; `label` starts the names
    (e.g. "基准" gives 基准区, 基准街道1, 基准社区1-1)."""
    district = Unit.objects.filter(code=prefix).first()
    if district is not None:
        return district
    log("Creating the benchmark unit tree …")
    district = org_services.create_unit(
        code=prefix, name=f"{label}区", level=Level.DISTRICT, parent=None, by=None
    )
    for s in range(subdistricts):
        sub = org_services.create_unit(
            code=f"{prefix}{s:02d}",
            name=f"{label}街道{s + 1}",
            level=Level.SUBDISTRICT,
            parent=district,
            by=None,
        )
        for c in range(communities):
            community = org_services.create_unit(
                code=f"{prefix}{s:02d}{c:02d}",
                name=f"{label}社区{s + 1}-{c + 1}",
                level=Level.COMMUNITY,
                parent=sub,
                by=None,
            )
            for g in range(grids):
                org_services.create_unit(
                    code=f"{prefix}{s:02d}{c:02d}{g:02d}",
                    name=f"第{g + 1}网格",
                    level=Level.GRID,
                    parent=community,
                    by=None,
                )
    return district
