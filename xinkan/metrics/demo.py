"""Demo: the performance aggregates of the demo district, computed once its matters are loaded (the
periodic job keeps them up to date from then on)."""

from __future__ import annotations

from typing import Any

from xinkan.metrics.aggregation import rebuild


def seed_metrics(ctx: Any) -> None:
    count = rebuild()
    ctx.log(f"Performance aggregates computed for {count} matters.")
