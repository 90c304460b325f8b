"""Performance pages: the dashboard, the cases behind a figure, the monthly ranking; exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xinkan.accounts.http import request_user
from xinkan.audit import services as audit
from xinkan.core import tables
from xinkan.core.paging import CappedPaginator
from xinkan.metrics import definitions, providers, selectors, worklists
from xinkan.metrics.models import Part
from xinkan.metrics.periods import KINDS, Period, add_months
from xinkan.org.models import LEVEL_RANK, Department, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

PAGE_SIZE = 50


def _require(request: HttpRequest) -> Any:
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.METRICS_VIEW):
        raise PermissionDenied
    return user


def display(kind: str, value: float | int | None) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind in {"days", "hours"}:
        return f"{float(value):.1f}"
    return f"{int(value):,}"


def _target_query(target: selectors.Target) -> dict[str, str]:
    if isinstance(target, Department):
        return {"department": str(target.pk)}
    return {"unit": str(target.pk)}


def _url(name: str, **params: str) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def _cases_url(target: selectors.Target, part: str, period: Period) -> str:
    return _url("metrics:cases", **_target_query(target), part=part, **period.query())


def _headline(
    target: selectors.Target,
    period: Period,
    current: selectors.Figures,
    previous: selectors.Figures,
) -> list[dict[str, Any]]:
    rows = []
    for indicator in definitions.MATTER_INDICATORS:
        value = current.values[indicator.key]
        before = previous.values[indicator.key]
        change = None
        if value is not None and before is not None:
            change = float(value) - float(before)
        rows.append(
            {
                "key": indicator.key,
                "label": indicator.label,
                "help": indicator.help,
                "value": display(indicator.kind, value),
                "previous": display(indicator.kind, before),
                "change": "" if change is None else display(indicator.kind, change),
                "up": change is not None and change > 0,
                "down": change is not None and change < 0,
                "drill": indicator.drill,
                "drill_count": current.parts.get(indicator.drill, 0),
                "url": _cases_url(target, indicator.drill, period),
                "previous_url": _cases_url(target, indicator.drill, period.previous()),
            }
        )
    return rows


def _table_cells(target: Unit, figures: selectors.Figures, period: Period) -> list[dict[str, Any]]:
    cells = []
    for key in definitions.TABLE_KEYS:
        indicator = definitions.BY_KEY[key]
        cells.append(
            {
                "key": key,
                "value": display(indicator.kind, figures.values[key]),
                "url": _cases_url(target, indicator.drill, period),
            }
        )
    return cells


def _provided_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for provider in providers.all_providers():
        for indicator in provider.indicators:
            rows.append(
                {
                    "key": indicator.key,
                    "label": indicator.label,
                    "value": display(indicator.kind, values.get(indicator.key)),
                }
            )
    return rows


def _export(
    request: HttpRequest,
    user: Any,
    *,
    table: str,
    target: selectors.Target,
    period: Period,
    headers: Sequence[str],
    rows: list[list[str]],
) -> HttpResponseBase:
    fmt = request.GET.get("export", "")
    fmt = fmt if fmt in tables.FORMATS else "xlsx"
    audit.record(
        actor=user,
        action="metrics.exported",
        obj=target,
        unit=target if isinstance(target, Unit) else target.unit,
        data={"table": table, "rows": len(rows), "format": fmt, "period": period.query()},
    )
    return tables.download(headers, rows, fmt=fmt, name=f"metrics-{table}", sheet=table)


@login_required
def dashboard(request: HttpRequest) -> HttpResponseBase:
    user = _require(request)
    target = selectors.get_target(
        user, unit_id=request.GET.get("unit"), department_id=request.GET.get("department")
    )
    period = Period.from_query(request.GET)
    previous_period = period.previous()
    is_unit = isinstance(target, Unit)
    data = selectors.dashboard(target, period)
    current, previous, children, trend = data.current, data.previous, data.children, data.trend
    table_headers = [str(definitions.BY_KEY[key].label) for key in definitions.TABLE_KEYS]

    if "export" in request.GET:
        if request.GET.get("table") == "trend":
            return _export(
                request,
                user,
                table="trend",
                target=target,
                period=period,
                headers=[_("Month"), *table_headers],
                rows=[
                    [
                        f"{month:%Y-%m}",
                        *[
                            display(definitions.BY_KEY[k].kind, figures.values[k])
                            for k in definitions.TABLE_KEYS
                        ],
                    ]
                    for month, figures in trend
                ],
            )
        return _export(
            request,
            user,
            table="units",
            target=target,
            period=period,
            headers=[_("Unit"), *table_headers],
            rows=[
                [
                    unit.name,
                    *[
                        display(definitions.BY_KEY[k].kind, figures.values[k])
                        for k in definitions.TABLE_KEYS
                    ],
                ]
                for unit, figures in [*children, (target, current)]
                if isinstance(unit, Unit)
            ],
        )

    trend_json = {
        "months": [f"{month:%Y-%m}" for month, _f in trend],
        "series": {
            key: [figures.values[key] for _m, figures in trend]
            for key in ("registered", "response_rate", "resolution_rate", "satisfaction_rate")
        },
        "labels": {
            key: str(definitions.BY_KEY[key].label)
            for key in ("registered", "response_rate", "resolution_rate", "satisfaction_rate")
        },
    }
    query = _target_query(target)
    return render(
        request,
        "metrics/dashboard.html",
        {
            "target": target,
            "is_unit": is_unit,
            "period": period,
            "previous_period": previous_period,
            "kinds": list(KINDS.items()),
            "headline": _headline(target, period, current, previous),
            "provided": _provided_rows(current.provided) if is_unit else [],
            "table_headers": table_headers,
            "children": [
                (
                    unit,
                    _table_cells(unit, figures, period),
                    _url("metrics:dashboard", unit=str(unit.pk), **period.query()),
                )
                for unit, figures in children
            ],
            "trend": [
                (
                    month,
                    [
                        display(definitions.BY_KEY[k].kind, figures.values[k])
                        for k in definitions.TABLE_KEYS
                    ],
                )
                for month, figures in trend
            ],
            "trend_json": trend_json,
            "previous_url": _url("metrics:dashboard", **query, **previous_period.query()),
            "next_url": _url("metrics:dashboard", **query, **period.next().query()),
            "export_query": urlencode({**query, **period.query()}),
            "rankings_url": _url("metrics:rankings", **query) if is_unit else "",
            "pressing": worklists.pressing(user, target) if isinstance(target, Unit) else {},
            "parent_url": _parent_url(user, target, period),
            "query": query,
        },
    )


def _parent_url(user: Any, target: selectors.Target, period: Period) -> str:
    if not isinstance(target, Unit) or target.parent_id is None:
        return ""
    parent = Unit.objects.filter(pk=target.parent_id).first()
    if parent is None or not get_scope(user).covers_unit(parent, Perm.METRICS_VIEW):
        return ""
    return _url("metrics:dashboard", unit=str(parent.pk), **period.query())


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    user = _require(request)
    target = selectors.get_target(
        user, unit_id=request.GET.get("unit"), department_id=request.GET.get("department")
    )
    period = Period.from_query(request.GET)
    part = request.GET.get("part", "")
    if part not in Part.values:
        raise Http404
    rows = selectors.cases(target, part, period)
    paginator = CappedPaginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = {**_target_query(target), "part": part, **period.query()}
    return render(
        request,
        "metrics/cases.html",
        {
            "target": target,
            "period": period,
            "part": part,
            "part_label": Part(part).label,
            "page": page,
            "count": paginator.count,
            "capped": paginator.capped,
            "query": urlencode(query),
            "back_url": _url("metrics:dashboard", **_target_query(target), **period.query()),
        },
    )


def _ranking_levels(root: Unit) -> list[tuple[str, str]]:
    below = [level for level in Level if LEVEL_RANK[level] > LEVEL_RANK[root.level]]
    return [(str(level.value), str(level.label)) for level in below if level != Level.GRID]


@login_required
def rankings(request: HttpRequest) -> HttpResponseBase:
    user = _require(request)
    target = selectors.get_target(user, unit_id=request.GET.get("unit"))
    if not isinstance(target, Unit):
        raise Http404
    levels = _ranking_levels(target)
    if not levels:
        raise Http404
    level = request.GET.get("level", "")
    if level not in {value for value, _label in levels}:
        level = levels[0][0]
    try:
        month = dt.date.fromisoformat(request.GET.get("on", "")).replace(day=1)
    except ValueError:
        month = add_months(timezone.localdate(), -1)
    rows = selectors.ranking(selectors.units_of_level(target, level), month)
    period = Period.containing("month", month)
    headers = [
        pgettext("in a ranking", "Place"),
        _("Unit"),
        _("Composite score"),
        _("Movement"),
        _("Class"),
        *[str(definitions.BY_KEY[k].label) for k in definitions.TABLE_KEYS if k != "composite"],
    ]

    def cells(row: selectors.RankRow) -> list[str]:
        return [
            display(definitions.BY_KEY[k].kind, row.figures.values[k])
            for k in definitions.TABLE_KEYS
            if k != "composite"
        ]

    def movement(row: selectors.RankRow) -> str:
        return "—" if row.movement is None else f"{row.movement:+d}"

    if "export" in request.GET:
        return _export(
            request,
            user,
            table="ranking",
            target=target,
            period=period,
            headers=headers,
            rows=[
                [
                    str(row.rank or "—"),
                    row.unit.name,
                    display("rate", row.score),
                    movement(row),
                    str(definitions.RANK_CLASS_LABELS.get(row.rank_class, "")),
                    *cells(row),
                ]
                for row in rows
            ],
        )
    return render(
        request,
        "metrics/rankings.html",
        {
            "target": target,
            "level": level,
            "levels": levels,
            "month": month,
            "period": period,
            "headers": headers,
            "rows": [
                {
                    "row": row,
                    "score": display("rate", row.score),
                    "score_change": display("rate", row.score_change),
                    "movement": movement(row),
                    "class_label": definitions.RANK_CLASS_LABELS.get(row.rank_class, ""),
                    "cells": cells(row),
                    "url": _url("metrics:dashboard", unit=str(row.unit.pk), **period.query()),
                }
                for row in rows
            ],
            "previous_url": _url(
                "metrics:rankings",
                unit=str(target.pk),
                level=level,
                on=add_months(month, -1).isoformat(),
            ),
            "next_url": _url(
                "metrics:rankings",
                unit=str(target.pk),
                level=level,
                on=add_months(month, 1).isoformat(),
            ),
            "export_query": urlencode({"unit": target.pk, "level": level, "on": month.isoformat()}),
            "weights": definitions.weights(),
            "min_follow_ups": definitions.min_follow_ups(),
        },
    )
