"""Demo: the performance aggregates of the demo district, computed once its matters are loaded (the
periodic job keeps them up to date from then on)."""

from __future__ import annotations

from typing import Any

from xinkan.metrics import dispute_facts
from xinkan.metrics.aggregation import rebuild


def seed_metrics(ctx: Any) -> None:
    count = rebuild()
    cells = dispute_facts.rebuild()
    ctx.log(f"Performance aggregates computed for {count} matters and {cells} dispute cells.")
    _last_months_report(ctx)


def _last_months_report(ctx: Any) -> None:
    """Last month's report of the district, asked for by its leader (made at once without a
    broker; found again on a second run), so the reports page has one to download."""
    from xinkan.accounts.models import User
    from xinkan.metrics import reports
    from xinkan.org.models import Level, Unit

    leader = User.objects.filter(username="leader").first()
    district = Unit.objects.filter(level=Level.DISTRICT, code="139901").first()
    if leader is None or district is None:
        return
    report = reports.request_report(district, reports.last_complete_month(), by=leader)
    ctx.log(f"Monthly report of {district.name}, {report.month:%Y-%m}: {report.status}.")
