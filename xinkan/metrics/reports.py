"""Monthly reports (月度工作报告): asking for one, generating it in the background, the schedule
that makes last month's for every unit of the configured levels, and reading them within scope.

- `request_report(unit, month, by=…)`: one report per unit and month. Asking again returns the same
  report (a failed one is queued again); `regenerate=True` queues a finished one again, and the new
  file replaces the old when it is ready. Scope-checked (404, audited, outside the asker's units).
- `run_report(report_id)`: the Celery task's body. Claims the report with a conditional update
  (queued → running, or running but stale: the worker died), computes the figures with the
  dashboard's selectors, renders the PDF (report_pdf.py), keeps the file in the media storage and
  marks the report done — or failed, with the reason. A redelivered message finds nothing to claim.
- `ensure_monthly_reports()`: the periodic job (hourly). Once last month has ended (and an hour
  settled: the aggregates fold the last evening in), it creates the missing reports of that month
  for every active unit of XINKAN_METRICS_REPORT_LEVELS and queues them; it also re-sends reports
  whose message seems lost or whose worker died. Running it twice makes each report once; running
  it after a downtime catches up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Min, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.matters.models import OPEN_STATES, Deadline, Matter
from xinkan.metrics import definitions, providers, report_pdf, selectors
from xinkan.metrics.definitions import display
from xinkan.metrics.models import MonthlyReport, report_path
from xinkan.metrics.periods import Period, add_months
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

logger = logging.getLogger(__name__)

DEFAULT_LEVELS = (Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)
# After the month ends, wait this long before making its reports: the aggregates fold in the
# last evening's events and the deadline sweep marks the last day's overdue ones.
SETTLE = dt.timedelta(hours=1)
STALE_AFTER = dt.timedelta(minutes=30)  # a running report for this long: its worker died
LOST_AFTER = dt.timedelta(minutes=30)  # a queued one for this long: its message was lost
WORST_OVERDUE = 10
EARLIEST = dt.date(2000, 1, 1)
REPORT_LANGUAGE = "zh-hans"


class ReportError(Exception):
    """A request that cannot be met (the message says why, in the user's language)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def report_levels() -> list[str]:
    levels = getattr(settings, "XINKAN_METRICS_REPORT_LEVELS", None) or DEFAULT_LEVELS
    return [str(level) for level in levels if str(level) in Level.values]


def last_complete_month(now: dt.datetime | None = None) -> dt.date:
    """The latest month that has ended (and settled) at `now`, as its first day."""
    local = timezone.localtime(now or timezone.now()) - SETTLE
    return add_months(local.date(), -1)


# --- Asking ---------------------------------------------------------------------------------------


def request_report(
    unit: Unit, month: dt.date, *, by: User, regenerate: bool = False
) -> MonthlyReport:
    """The unit's report of `month`, queued for generation unless it is there already (or is being
    made); `regenerate` queues a finished one again. 404 outside the asker's scope."""
    checked = selectors.get_target(by, unit_id=unit.pk)  # 404 (audited) outside the scope
    if not isinstance(checked, Unit):
        raise Http404
    month = month.replace(day=1)
    if month > last_complete_month() or month < EARLIEST:
        raise ReportError(_("Choose a month that has ended."))
    now = timezone.now()
    with transaction.atomic():
        report, created = MonthlyReport.objects.get_or_create(
            unit=checked, month=month, defaults={"requested_by": by, "queued_at": now}
        )
        if not created:
            again = regenerate or report.status == MonthlyReport.Status.FAILED
            if not again or report.status not in (
                MonthlyReport.Status.DONE,
                MonthlyReport.Status.FAILED,
            ):
                return report  # there, or being made: nothing to do
            requeued = MonthlyReport.objects.filter(pk=report.pk, status=report.status).update(
                status=MonthlyReport.Status.QUEUED, queued_at=now, requested_by=by, error=""
            )
            report.refresh_from_db()
            if not requeued:
                return report  # someone else queued it meanwhile
        audit.record(
            actor=by,
            action="metrics.report_requested",
            obj=report,
            unit=checked,
            data={"month": f"{month:%Y-%m}", "again": not created},
        )
        transaction.on_commit(partial(_enqueue, report.pk))
    report.refresh_from_db()  # without a broker the task has run on commit: say so
    return report


def _enqueue(report_id: int) -> None:
    from xinkan.metrics.tasks import generate_monthly_report

    generate_monthly_report.delay(report_id)


# --- Reading ----------------------------------------------------------------------------------------


def get_report_for_user(user: User, report_id: Any) -> MonthlyReport:
    """A report of a unit the user may see the figures of; 404 (audited) otherwise — the same
    answer for "not yours" and "does not exist"."""
    try:
        report = MonthlyReport.objects.select_related("unit").filter(pk=int(report_id)).first()
    except (TypeError, ValueError):
        report = None
    if report is None or not get_scope(user).covers_unit(report.unit, Perm.METRICS_VIEW):
        audit.record_failure(
            actor=user, action="metrics.view_denied", data={"report": str(report_id)}
        )
        raise Http404
    return report


def record_download(user: User, report: MonthlyReport) -> None:
    audit.record(
        actor=user,
        action="metrics.report_downloaded",
        obj=report,
        unit=report.unit,
        data={"month": f"{report.month:%Y-%m}"},
    )


def download_name(report: MonthlyReport) -> str:
    return f"report-{report.unit.code}-{report.month:%Y-%m}.pdf"


# --- Generating -------------------------------------------------------------------------------------


def run_report(report_id: int, *, now: dt.datetime | None = None) -> MonthlyReport | None:
    """Generate a queued report (or one whose worker died); None when there is nothing to claim."""
    claimed_at = now or timezone.now()
    claimable = Q(status=MonthlyReport.Status.QUEUED) | Q(
        status=MonthlyReport.Status.RUNNING, started_at__lt=claimed_at - STALE_AFTER
    )
    claimed = MonthlyReport.objects.filter(claimable, pk=report_id).update(
        status=MonthlyReport.Status.RUNNING, started_at=claimed_at, finished_at=None
    )
    if claimed != 1:
        return None
    report = MonthlyReport.objects.select_related("unit").get(pk=report_id)
    try:
        built = build_report(report.unit, report.month, now=claimed_at)
        content = report_pdf.render_monthly_report(built.facts)
    except report_pdf.FontUnavailable as exc:
        return _fail(report, claimed_at, str(exc))
    except Exception:
        logger.exception("monthly report %s could not be generated", report_id)
        return _fail(
            report, claimed_at, _("The report could not be generated: see the server log.")
        )

    name = default_storage.save(report_path(report, ""), ContentFile(content))
    previous_file = report.file.name if report.file else ""
    try:
        with transaction.atomic():
            done = MonthlyReport.objects.filter(
                pk=report.pk, status=MonthlyReport.Status.RUNNING, started_at=claimed_at
            ).update(
                status=MonthlyReport.Status.DONE,
                file=name,
                size=len(content),
                figures=built.figures,
                finished_at=timezone.now(),
                error="",
            )
            if done:
                audit.record(
                    actor=None,
                    action="metrics.report_generated",
                    obj=report,
                    unit=report.unit,
                    data={"month": f"{report.month:%Y-%m}", "bytes": len(content)},
                )
    except Exception:
        default_storage.delete(name)
        raise
    if not done:  # retaken meanwhile (we were thought dead): the other run's file stands
        default_storage.delete(name)
        return None
    if previous_file and previous_file != name:
        with contextlib.suppress(OSError):
            default_storage.delete(previous_file)
    report.refresh_from_db()
    return report


def _fail(report: MonthlyReport, claimed_at: dt.datetime, reason: str) -> MonthlyReport | None:
    with transaction.atomic():
        failed = MonthlyReport.objects.filter(
            pk=report.pk, status=MonthlyReport.Status.RUNNING, started_at=claimed_at
        ).update(status=MonthlyReport.Status.FAILED, error=reason[:300], finished_at=timezone.now())
        if failed:
            audit.record_failure(
                actor=None,
                action="metrics.report_failed",
                obj=report,
                unit=report.unit,
                data={"month": f"{report.month:%Y-%m}"},
            )
    report.refresh_from_db()
    return report


# --- The schedule -----------------------------------------------------------------------------------


def ensure_monthly_reports(*, now: dt.datetime | None = None) -> int:
    """Create and queue last month's missing reports for every active unit of the configured
    levels; re-send those lost or abandoned. The number of reports created."""
    now = now or timezone.now()
    month = last_complete_month(now)
    units = list(
        Unit.objects.filter(level__in=report_levels(), is_active=True)
        .order_by("path")
        .values_list("pk", flat=True)
    )
    have = set(MonthlyReport.objects.filter(month=month).values_list("unit_id", flat=True))
    missing = [pk for pk in units if pk not in have]
    with transaction.atomic():
        if missing:
            MonthlyReport.objects.bulk_create(
                [
                    MonthlyReport(unit_id=pk, month=month, created_at=now, queued_at=now)
                    for pk in missing
                ],
                batch_size=500,
                ignore_conflicts=True,  # another run made some meanwhile: theirs stand
            )
            audit.record(
                actor=None,
                action="metrics.reports_scheduled",
                data={"month": f"{month:%Y-%m}", "reports": len(missing)},
            )
        to_send = list(
            MonthlyReport.objects.filter(
                Q(month=month, status=MonthlyReport.Status.QUEUED, queued_at=now)
                | Q(status=MonthlyReport.Status.QUEUED, queued_at__lt=now - LOST_AFTER)
                | Q(status=MonthlyReport.Status.RUNNING, started_at__lt=now - STALE_AFTER)
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for report_id in to_send:
            transaction.on_commit(partial(_enqueue, report_id))
    return len(missing)


# --- What the report says -----------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    facts: report_pdf.ReportFacts
    figures: dict[str, Any]  # kept with the report (MonthlyReport.figures)


@dataclass(frozen=True)
class OverdueCase:
    matter: Matter
    days: int


def worst_overdue(unit: Unit, *, now: dt.datetime, limit: int = WORST_OVERDUE) -> list[OverdueCase]:
    """The open matters handled in the unit's subtree that are past a deadline, longest overdue
    first (by their earliest missed deadline that is still open), as at `now`."""
    rows = list(
        Deadline.objects.filter(
            met_at__isnull=True,
            cancelled=False,
            due_at__lte=now,
            matter__state__in=sorted(OPEN_STATES),
            matter__handling_unit__path__startswith=unit.path,
        )
        .values("matter_id")
        .annotate(first_due=Min("due_at"))
        .order_by("first_due", "matter_id")[:limit]
    )
    matters = Matter.objects.select_related("category", "handling_unit").in_bulk(
        [row["matter_id"] for row in rows]
    )
    return [
        OverdueCase(matters[row["matter_id"]], max(0, (now - row["first_due"]).days))
        for row in rows
        if row["matter_id"] in matters
    ]


def count_overdue(unit: Unit, *, now: dt.datetime) -> int:
    return (
        Matter.objects.filter(
            handling_unit__path__startswith=unit.path,
            state__in=sorted(OPEN_STATES),
            deadlines__met_at__isnull=True,
            deadlines__cancelled=False,
            deadlines__due_at__lte=now,
        )
        .values("pk")
        .distinct()
        .count()
    )


@dataclass(frozen=True)
class Position:
    root: Unit
    row: selectors.RankRow
    ranked: int
    listed: int


def ranking_position(unit: Unit, month: dt.date) -> Position | None:
    """The unit's row in the month's ranking of the units of its level under the top of its tree
    (the ranking the top unit's leader sees); None for a unit without peers."""
    ancestors = unit.ancestor_ids()
    if not ancestors:
        return None
    root = Unit.objects.get(pk=ancestors[0])
    peers = selectors.units_of_level(root, unit.level)
    if len(peers) < 2:
        return None
    rows = selectors.ranking(peers, month)
    mine = next((row for row in rows if row.target.pk == unit.pk), None)
    if mine is None:
        return None
    return Position(root, mine, sum(1 for row in rows if row.rank is not None), len(rows))


def _change(kind: str, value: Any, before: Any) -> str:
    if value is None or before is None:
        return "—"
    difference = float(value) - float(before)
    if kind == "rate":
        return f"{difference * 100:+.1f}个百分点"
    if kind in {"days", "hours"}:
        return f"{difference:+.1f}"
    return f"{int(difference):+,}"


def _ranking_text(unit: Unit, position: Position | None) -> str:
    if position is None:
        return ""
    row = position.row
    peers = f"{position.root.name}{Level(unit.level).label}"
    follow_ups = row.figures.parts.get("follow_ups", 0)
    if row.rank is None:
        return (
            f"本月有效回访{follow_ups}件（不足{definitions.min_follow_ups()}件）或无综合得分，"
            f"未参加{peers}排名（共{position.listed}个单位）。"
        )
    text = (
        f"在{peers}排名中（共{position.listed}个单位，{position.ranked}个参加排名），"
        f"本月综合得分{display('rate', row.score)}，排名第{row.rank}位"
    )
    if row.movement is None:
        text += "，上月未参加排名"
    elif row.movement > 0:
        text += f"，较上月上升{row.movement}位"
    elif row.movement < 0:
        text += f"，较上月下降{-row.movement}位"
    else:
        text += "，与上月持平"
    label = definitions.RANK_CLASS_LABELS.get(row.rank_class)
    if label:
        text += f"，列为“{label}”类"
    return text + "。"


def build_report(unit: Unit, month: dt.date, *, now: dt.datetime) -> Built:
    """Everything the report prints, from the dashboard's selectors (so its figures are the
    dashboard's), formatted for the Chinese document."""
    period = Period.containing("month", month)
    previous = period.previous()
    with translation.override(REPORT_LANGUAGE):
        data = selectors.dashboard(unit, period)
        previous_provided = providers.figures_by_unit([unit], previous.start, previous.end)[unit.pk]
        lines = [
            report_pdf.FigureLine(
                str(indicator.label),
                display(indicator.kind, data.current.values[indicator.key]),
                display(indicator.kind, data.previous.values[indicator.key]),
                _change(
                    indicator.kind,
                    data.current.values[indicator.key],
                    data.previous.values[indicator.key],
                ),
            )
            for indicator in definitions.MATTER_INDICATORS
        ]
        for provider in providers.all_providers():
            for item in provider.indicators:
                value = data.current.provided.get(item.key)
                before = previous_provided.get(item.key)
                lines.append(
                    report_pdf.FigureLine(
                        str(item.label),
                        display(item.kind, value),
                        display(item.kind, before),
                        _change(item.kind, value, before),
                    )
                )
        months = [f"{m.month}月" for m, _figures in data.trend]
        rate_keys = ("response_rate", "resolution_rate", "satisfaction_rate")
        count_keys = ("registered", "resolved", "overdue")
        charts = [
            report_pdf.Chart(
                "三率走势（%）",
                months,
                [
                    report_pdf.Series(
                        str(definitions.BY_KEY[key].label),
                        [_number(figures.values[key]) for _m, figures in data.trend],
                    )
                    for key in rate_keys
                ],
                rates=True,
            ),
            report_pdf.Chart(
                "诉求数量走势（件）",
                months,
                [
                    report_pdf.Series(
                        str(definitions.BY_KEY[key].label),
                        [_number(figures.values[key]) for _m, figures in data.trend],
                    )
                    for key in count_keys
                ],
                rates=False,
            ),
        ]
        table_keys = definitions.TABLE_KEYS
        children_headers = ["单位", *[str(definitions.BY_KEY[k].label) for k in table_keys]]
        children = [
            [
                child.name,
                *[display(definitions.BY_KEY[k].kind, figures.values[k]) for k in table_keys],
            ]
            for child, figures in data.children
        ]
        position = ranking_position(unit, month)
        ranking = _ranking_text(unit, position)
        overdue = worst_overdue(unit, now=now)
        overdue_total = count_overdue(unit, now=now) if overdue else 0
        overdue_lines = [
            report_pdf.OverdueLine(
                case.matter.code,
                case.matter.category.name,
                case.matter.handling_unit.name,
                case.days,
            )
            for case in overdue
        ]
        weights = definitions.weights()
        notes = [
            "注：",
            "1. 响应率、解决率、满意率按有效回访计算（满意率中“基本满意”按"
            f"{definitions.mostly_weight():g}计）；综合得分＝{weights['response']:g}×响应率＋"
            f"{weights['resolution']:g}×解决率＋{weights['satisfaction']:g}×满意率；"
            "分母为零的比率记为“—”。",
            "2. 各项数字为本单位及所辖全部下级单位之和，与系统绩效页面所示一致；"
            "超期未办结事项按生成时的状态统计。",
        ]
    local = timezone.localtime(now)
    facts = report_pdf.ReportFacts(
        number=f"XK-YB-{unit.code}-{month:%Y%m}",
        unit=unit.name,
        month=month,
        previous_month=previous.start,
        generated_at=local.replace(tzinfo=None),
        figures=lines,
        charts=charts,
        children_headers=children_headers if children else [],
        children=children,
        ranking=ranking,
        overdue=overdue_lines,
        overdue_total=overdue_total,
        notes=notes,
    )
    figures: dict[str, Any] = {
        "month": f"{month:%Y-%m}",
        "current": dict(data.current.values),
        "previous": dict(data.previous.values),
        "provided": dict(data.current.provided),
        "previous_provided": dict(previous_provided),
        "children": {str(child.pk): dict(f.values) for child, f in data.children},
        "ranking": (
            {
                "root": position.root.pk,
                "rank": position.row.rank,
                "ranked": position.ranked,
                "listed": position.listed,
                "score": position.row.score,
                "movement": position.row.movement,
                "class": position.row.rank_class,
            }
            if position is not None
            else None
        ),
        "overdue": [{"matter": case.matter.pk, "days": case.days} for case in overdue],
        "overdue_total": overdue_total,
        "as_of": now.isoformat(),
    }
    return Built(facts, figures)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
