"""The tree's changes, passed on to the subtree sums (aggregation.on_unit_moved / relevelled,
dispute_facts.on_unit_moved)."""

from __future__ import annotations

from typing import Any

from xinkan.org.models import Unit


def unit_moved(sender: type[Unit], *, unit: Unit, old_path: str, **kwargs: Any) -> None:
    from xinkan.metrics import aggregation, dispute_facts

    aggregation.on_unit_moved(unit.pk, old_path, unit.path)
    dispute_facts.on_unit_moved(unit.pk, old_path, unit.path)


def unit_relevelled(sender: type[Unit], *, unit: Unit, **kwargs: Any) -> None:
    from xinkan.metrics import aggregation

    aggregation.on_unit_relevelled(unit)


def connect() -> None:
    from xinkan.org import signals

    signals.unit_moved.connect(unit_moved, dispatch_uid="metrics.unit_moved")
    signals.unit_relevelled.connect(unit_relevelled, dispatch_uid="metrics.unit_relevelled")
