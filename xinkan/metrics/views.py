"""Performance pages: the dashboard, the cases behind a figure, the monthly rankings (units and
departments); exports. The monthly reports' pages are in views_reports.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from xinkan.accounts.http import request_user
from xinkan.audit import services as audit
from xinkan.core import tables
from xinkan.core.paging import CappedPaginator
from xinkan.matters.models import Category
from xinkan.metrics import definitions, providers, selectors, worklists
from xinkan.metrics.definitions import display
from xinkan.metrics.models import Part
from xinkan.metrics.periods import KINDS, Period, add_months
from xinkan.org.models import LEVEL_RANK, Department, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

PAGE_SIZE = 50
RANKING_PAGE_SIZE = 100


def _require(request: HttpRequest) -> Any:
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.METRICS_VIEW):
        raise PermissionDenied
    return user


def _target_query(target: selectors.Target) -> dict[str, str]:
    if isinstance(target, Department):
        return {"department": str(target.pk)}
    return {"unit": str(target.pk)}


def _category_query(category: Category | None) -> dict[str, str]:
    return {"category": str(category.pk)} if category is not None else {}


def _url(name: str, **params: str) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def _cases_url(
    target: selectors.Target, part: str, period: Period, category: Category | None = None
) -> str:
    return _url(
        "metrics:cases",
        **_target_query(target),
        part=part,
        **period.query(),
        **_category_query(category),
    )


def _headline(
    target: selectors.Target,
    period: Period,
    current: selectors.Figures,
    previous: selectors.Figures,
    category: Category | None,
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
                "url": _cases_url(target, indicator.drill, period, category),
                "previous_url": _cases_url(target, indicator.drill, period.previous(), category),
            }
        )
    return rows


def _table_cells(
    target: selectors.Target,
    figures: selectors.Figures,
    period: Period,
    category: Category | None = None,
    keys: Sequence[str] = definitions.TABLE_KEYS,
) -> list[dict[str, Any]]:
    """A row's figures, each linked to the cases behind it (as many as `drill_count`)."""
    cells = []
    for key in keys:
        indicator = definitions.BY_KEY[key]
        cells.append(
            {
                "key": key,
                "value": display(indicator.kind, figures.values[key]),
                "drill": indicator.drill,
                "drill_count": figures.parts.get(indicator.drill, 0),
                "url": _cases_url(target, indicator.drill, period, category),
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


def _category_options() -> list[tuple[int, str]]:
    """The active categories in tree order, each below its parent and indented by depth."""
    language = get_language() or ""
    categories = list(Category.objects.filter(is_active=True).order_by("sort", "code"))
    below: dict[int | None, list[Category]] = {}
    known = {category.pk for category in categories}
    for category in categories:
        parent = category.parent_id if category.parent_id in known else None
        below.setdefault(parent, []).append(category)
    options: list[tuple[int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for category in below.get(parent, []):
            options.append((category.pk, "　" * depth + category.label(language)))
            walk(category.pk, depth + 1)

    walk(None, 0)
    return options


def _export(
    request: HttpRequest,
    user: Any,
    *,
    table: str,
    target: selectors.Target,
    period: Period,
    headers: Sequence[str],
    rows: list[list[str]],
    category: Category | None = None,
) -> HttpResponseBase:
    fmt = request.GET.get("export", "")
    fmt = fmt if fmt in tables.FORMATS else "xlsx"
    data: dict[str, Any] = {
        "table": table,
        "rows": len(rows),
        "format": fmt,
        "period": period.query(),
    }
    if category is not None:
        data["category"] = category.pk
    audit.record(
        actor=user,
        action="metrics.exported",
        obj=target,
        unit=target if isinstance(target, Unit) else target.unit,
        data=data,
    )
    return tables.download(headers, rows, fmt=fmt, name=f"metrics-{table}", sheet=table)


def _values(figures: selectors.Figures, keys: Sequence[str] = definitions.TABLE_KEYS) -> list[str]:
    return [display(definitions.BY_KEY[k].kind, figures.values[k]) for k in keys]


@login_required
def dashboard(request: HttpRequest) -> HttpResponseBase:
    user = _require(request)
    target = selectors.get_target(
        user, unit_id=request.GET.get("unit"), department_id=request.GET.get("department")
    )
    period = Period.from_query(request.GET)
    category, categories = selectors.category_filter(request.GET.get("category"))
    previous_period = period.previous()
    is_unit = isinstance(target, Unit)
    data = selectors.dashboard(target, period, categories=categories)
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
                rows=[[f"{month:%Y-%m}", *_values(figures)] for month, figures in trend],
                category=category,
            )
        return _export(
            request,
            user,
            table="units",
            target=target,
            period=period,
            headers=[_("Unit"), *table_headers],
            rows=[
                [unit.name, *_values(figures)]
                for unit, figures in [*children, (target, current)]
                if isinstance(unit, Unit)
            ],
            category=category,
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
    filters = {**query, **_category_query(category)}
    return render(
        request,
        "metrics/dashboard.html",
        {
            "target": target,
            "is_unit": is_unit,
            "period": period,
            "previous_period": previous_period,
            "kinds": list(KINDS.items()),
            "category": category,
            "category_options": _category_options(),
            "headline": _headline(target, period, current, previous, category),
            "provided": _provided_rows(current.provided) if is_unit and category is None else [],
            "table_headers": table_headers,
            "children": [
                (
                    unit,
                    _table_cells(unit, figures, period, category),
                    _url(
                        "metrics:dashboard",
                        unit=str(unit.pk),
                        **period.query(),
                        **_category_query(category),
                    ),
                )
                for unit, figures in children
            ],
            "trend": [(month, _values(figures)) for month, figures in trend],
            "trend_json": trend_json,
            "previous_url": _url("metrics:dashboard", **filters, **previous_period.query()),
            "next_url": _url("metrics:dashboard", **filters, **period.next().query()),
            "export_query": urlencode({**filters, **period.query()}),
            "rankings_url": _url("metrics:rankings", **query) if is_unit else "",
            "reports_url": _url("metrics:reports", **query) if is_unit else "",
            "pressing": (
                worklists.pressing(user, target, categories=categories)
                if isinstance(target, Unit)
                else {}
            ),
            "parent_url": _parent_url(user, target, period, category),
            "query": query,
        },
    )


def _parent_url(
    user: Any, target: selectors.Target, period: Period, category: Category | None
) -> str:
    if not isinstance(target, Unit) or target.parent_id is None:
        return ""
    parent = Unit.objects.filter(pk=target.parent_id).first()
    if parent is None or not get_scope(user).covers_unit(parent, Perm.METRICS_VIEW):
        return ""
    return _url(
        "metrics:dashboard", unit=str(parent.pk), **period.query(), **_category_query(category)
    )


def _case_row(row: Any) -> list[str]:
    return [
        row.matter.code,
        row.matter.title,
        f"{row.day:%Y-%m-%d}",
        row.unit.name,
        row.category.name,
        str(row.matter.get_state_display()),
    ]


@login_required
def cases(request: HttpRequest) -> HttpResponseBase:
    user = _require(request)
    target = selectors.get_target(
        user, unit_id=request.GET.get("unit"), department_id=request.GET.get("department")
    )
    period = Period.from_query(request.GET)
    category, categories = selectors.category_filter(request.GET.get("category"))
    part = request.GET.get("part", "")
    if part not in Part.values:
        raise Http404
    rows = selectors.cases(target, part, period, categories=categories)
    paginator = CappedPaginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    filters = {**_target_query(target), **_category_query(category)}
    query = {**filters, "part": part, **period.query()}
    if "export" in request.GET:
        # The list as the page shows it (the same rows: its count is the figure), audited.
        return tables.export_list(
            request,
            rows,
            action="metrics.exported",
            headers=[_("Matter"), _("Title"), _("Date"), _("Unit"), _("Category"), _("State")],
            row=_case_row,
            name=f"metrics-cases-{part}",
            sheet=str(Part(part).label),
            filters={"table": "cases", **query},
            unit=target if isinstance(target, Unit) else target.unit,
        )
    return render(
        request,
        "metrics/cases.html",
        {
            "target": target,
            "period": period,
            "part": part,
            "part_label": Part(part).label,
            "category": category,
            "page": page,
            "count": paginator.count,
            "capped": paginator.capped,
            "query": urlencode(query),
            "back_url": _url("metrics:dashboard", **filters, **period.query()),
        },
    )


# --- Rankings ---------------------------------------------------------------------------------------

UNITS, DEPARTMENTS = "units", "departments"


def _ranking_levels(root: Unit) -> list[tuple[str, str]]:
    below = [level for level in Level if LEVEL_RANK[level] > LEVEL_RANK[root.level]]
    return [(str(level.value), str(level.label)) for level in below if level != Level.GRID]


def _department_levels(root: Unit) -> list[tuple[str, str]]:
    return [(level, str(Level(level).label)) for level in selectors.department_levels(root)]


@login_required
def rankings(request: HttpRequest) -> HttpResponseBase:
    """The monthly ranking of the units of one level under the reader's unit, or (kind=departments)
    of the departments of the units of one level; both by the same score, movement and classes."""
    user = _require(request)
    target = selectors.get_target(user, unit_id=request.GET.get("unit"))
    if not isinstance(target, Unit):
        raise Http404
    kind = DEPARTMENTS if request.GET.get("kind") == DEPARTMENTS else UNITS
    levels = _ranking_levels(target) if kind == UNITS else _department_levels(target)
    if not levels and kind == UNITS:
        raise Http404
    level = request.GET.get("level", "")
    if level not in {value for value, _label in levels}:
        level = levels[0][0] if levels else ""
    try:
        month = dt.date.fromisoformat(request.GET.get("on", "")).replace(day=1)
    except ValueError:
        month = add_months(timezone.localdate(), -1)
    category, categories = selectors.category_filter(request.GET.get("category"))
    ranked: Sequence[selectors.Target] = []
    if kind == UNITS:
        ranked = selectors.units_of_level(target, level)
    elif level:
        ranked = selectors.departments_of_level(target, level)
    rows = selectors.ranking(ranked, month, categories=categories)
    period = Period.containing("month", month)
    keys = [k for k in definitions.TABLE_KEYS if k != "composite"]
    headers = [
        pgettext("in a ranking", "Place"),
        _("Unit") if kind == UNITS else _("Department"),
        *([_("Belongs to")] if kind == DEPARTMENTS else []),
        _("Composite score"),
        _("Movement"),
        _("Class"),
        *[str(definitions.BY_KEY[k].label) for k in keys],
    ]

    def movement(row: selectors.RankRow) -> str:
        return "—" if row.movement is None else f"{row.movement:+d}"

    def owner(row: selectors.RankRow) -> list[str]:
        return [row.target.unit.name] if isinstance(row.target, Department) else []

    if "export" in request.GET:
        return _export(
            request,
            user,
            table="ranking" if kind == UNITS else "department_ranking",
            target=target,
            period=period,
            category=category,
            headers=headers,
            rows=[
                [
                    str(row.rank or "—"),
                    row.target.name,
                    *owner(row),
                    display("rate", row.score),
                    movement(row),
                    str(definitions.RANK_CLASS_LABELS.get(row.rank_class, "")),
                    *_values(row.figures, keys),
                ]
                for row in rows
            ],
        )

    def here(**changes: str) -> str:
        params = {
            "unit": str(target.pk),
            "kind": kind,
            "level": level,
            "on": month.isoformat(),
            **_category_query(category),
        }
        params.update(changes)
        return _url("metrics:rankings", **{k: v for k, v in params.items() if v})

    # A city's communities are thousands: ranked all together, shown a page at a time (the export
    # has them all).
    page = Paginator(rows, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "metrics/rankings.html",
        {
            "target": target,
            "kind": kind,
            "level": level,
            "levels": levels,
            "month": month,
            "period": period,
            "headers": headers,
            "rows": [
                {
                    "row": row,
                    "is_department": isinstance(row.target, Department),
                    "owner": owner(row),
                    "score": display("rate", row.score),
                    "score_change": display("rate", row.score_change),
                    "movement": movement(row),
                    "class_label": definitions.RANK_CLASS_LABELS.get(row.rank_class, ""),
                    "cells": _table_cells(row.target, row.figures, period, category, keys=keys),
                    "url": _url(
                        "metrics:dashboard",
                        **_target_query(row.target),
                        **period.query(),
                        **_category_query(category),
                    ),
                }
                for row in page.object_list
            ],
            "page": page,
            "page_urls": {
                "previous": here(page=str(page.previous_page_number()))
                if page.has_previous()
                else "",
                "next": here(page=str(page.next_page_number())) if page.has_next() else "",
            },
            "units_url": here(kind=UNITS, level=""),
            "departments_url": here(kind=DEPARTMENTS, level=""),
            "previous_url": here(on=add_months(month, -1).isoformat()),
            "next_url": here(on=add_months(month, 1).isoformat()),
            "export_query": urlencode(
                {
                    "unit": target.pk,
                    "kind": kind,
                    "level": level,
                    "on": month.isoformat(),
                    **_category_query(category),
                }
            ),
            "category": category,
            "category_options": _category_options(),
            "weights": definitions.weights(),
            "min_follow_ups": definitions.min_follow_ups(),
        },
    )
