"""Performance figures and rankings (read only), for reporting tools and big screens: the same
selectors, definitions and scope as the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from xinkan.api.auth import caller
from xinkan.api.errors import READ_ERRORS, ApiError
from xinkan.api.schemas import Input
from xinkan.metrics import definitions, selectors
from xinkan.metrics.periods import Period, add_months
from xinkan.org.models import Department, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

router = Router(tags=["performance"])
ERRORS: dict[int, Any] = READ_ERRORS


class FigureParams(Input):
    unit: int | None = None
    department: int | None = None
    category: int | None = None  # the category and those below it
    period: str = "month"
    on: dt.date | None = None
    start: dt.date | None = None  # with period=custom
    end: dt.date | None = None


class FiguresOut(Schema):
    target: str
    target_id: int
    category: str | None
    period: str
    start: dt.date
    end: dt.date
    values: dict[str, float | int | None]
    provided: dict[str, float | int | None]
    labels: dict[str, str]


class RankingParams(Input):
    kind: Literal["units", "departments"] = "units"
    level: str = Level.SUBDISTRICT
    month: dt.date | None = None


class RankOut(Schema):
    unit_id: int  # the ranked unit, or the unit a ranked department belongs to
    unit: str
    department_id: int | None
    department: str | None
    rank: int | None
    score: float | None
    movement: int | None
    rank_class: str
    values: dict[str, float | int | None]


class RankingOut(Schema):
    kind: str
    level: str
    month: dt.date
    rows: list[RankOut]


def _user(request: HttpRequest) -> Any:
    user = caller(request)
    if not get_scope(user).has_perm(Perm.METRICS_VIEW):
        raise PermissionDenied
    return user


@router.get("/metrics/figures", response={200: FiguresOut, **ERRORS}, summary="Indicators")
def figures(request: HttpRequest, params: Query[FigureParams]) -> dict[str, Any]:
    """The indicators of a unit (its subtree) or a department for a period: day, week, month,
    quarter, year (containing `on`, today by default) or custom (`start`–`end`). A rate with no
    follow-ups is null, never 0."""
    user = _user(request)
    target = selectors.get_target(user, unit_id=params.unit, department_id=params.department)
    query = QueryDict(mutable=True)
    query["period"] = params.period
    if params.on:
        query["on"] = params.on.isoformat()
    if params.start and params.end:
        query["from"], query["to"] = params.start.isoformat(), params.end.isoformat()
    period = Period.from_query(query)
    category, categories = selectors.category_filter(params.category)
    if params.category is not None and category is None:
        raise ApiError(
            400, "invalid", _("Some values are not valid."), {"category": [_("Unknown category.")]}
        )
    found = selectors.figures(user, target, period, categories=categories)
    return {
        "target": "unit" if isinstance(target, Unit) else "department",
        "target_id": target.pk,
        "category": category.code if category else None,
        "period": period.kind,
        "start": period.start,
        "end": period.end,
        "values": found.values,
        "provided": found.provided,
        "labels": {key: str(item.label) for key, item in definitions.BY_KEY.items()},
    }


@router.get("/metrics/rankings", response={200: RankingOut, **ERRORS}, summary="Monthly ranking")
def rankings(request: HttpRequest, params: Query[RankingParams]) -> dict[str, Any]:
    """The units of one level under the caller's own top unit — or (kind=departments) the
    departments of the units of one level — ranked for a month (last month by default) by the
    composite score, with the movement since the month before and the class: the dashboard's
    rankings."""
    user = _user(request)
    root = selectors.default_target(user)
    if not isinstance(root, Unit):
        raise PermissionDenied
    level = params.level if params.level in Level.values else Level.SUBDISTRICT
    month = (params.month or add_months(dt.date.today(), -1)).replace(day=1)
    ranked: list[Any] = (
        selectors.departments_of_level(root, level)
        if params.kind == "departments"
        else selectors.units_of_level(root, level)
    )
    rows = selectors.ranking(ranked, month)
    return {
        "kind": params.kind,
        "level": level,
        "month": month,
        "rows": [_rank_row(row) for row in rows],
    }


def _rank_row(row: selectors.RankRow) -> dict[str, Any]:
    department = row.target if isinstance(row.target, Department) else None
    unit = department.unit if department else row.target
    return {
        "unit_id": unit.pk,
        "unit": unit.name,
        "department_id": department.pk if department else None,
        "department": department.name if department else None,
        "rank": row.rank,
        "score": row.score,
        "movement": row.movement,
        "rank_class": row.rank_class,
        "values": row.figures.values,
    }
