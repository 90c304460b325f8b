"""The performance indicators, defined once (DESIGN.md §6, docs/metrics.md).

An indicator is a formula over *parts* (models.Part). Every part is counted on one day — the local
(Asia/Shanghai) date of the fact that defines it — and for the unit and department that handled the
matter at that moment; so a period's figure is the sum of its days, and a subtree's figure the sum
of its units. What makes a part, for each matter, is `aggregation.parts_of`.

Rates whose denominator is zero are undefined (None, shown "—"), never 0: a unit with no follow-ups
has no satisfaction rate, rather than the worst one.

Weights and ranking rules are settings (read on each use, so tests and deployments override them):

- XINKAN_METRICS_MOSTLY_WEIGHT (default 0.9): weight of "mostly satisfied" in the satisfaction rate.
- XINKAN_METRICS_WEIGHTS (default response 0.10, resolution 0.50, satisfaction 0.40): the composite.
- XINKAN_METRICS_CLASSES: thresholds of the four monthly classes (see `ranking_rules`).
- XINKAN_METRICS_MIN_FOLLOW_UPS (default 5): fewer valid follow-ups than this and a unit is listed
  but not ranked (《北京市接诉即办工作条例》 practice: a unit with very few cases must not top a ranking).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xinkan.metrics.models import Part

DEFAULT_MOSTLY_WEIGHT = 0.9
# One 接诉即办 district's weights (reference/rules.md); another banner uses 0.30/0.35/0.35.
DEFAULT_WEIGHTS = {"response": 0.10, "resolution": 0.50, "satisfaction": 0.40}
DEFAULT_CLASSES = {
    "advanced": 0.90,  # score at least this: advanced (先进类)
    "governance": 0.60,  # below this: needs governance (治理类)
    "rectification": 0.75,  # below this: needs rectification (整改类)
    "improving": 0.05,  # otherwise, up at least this much on last month: improving (进步类)
}
DEFAULT_MIN_FOLLOW_UPS = 5
SECONDS_PER_DAY = 86400

Parts = Mapping[str, int]


def mostly_weight() -> float:
    return float(getattr(settings, "XINKAN_METRICS_MOSTLY_WEIGHT", DEFAULT_MOSTLY_WEIGHT))


def weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "XINKAN_METRICS_WEIGHTS", {})}


def ranking_rules() -> dict[str, float]:
    return {**DEFAULT_CLASSES, **getattr(settings, "XINKAN_METRICS_CLASSES", {})}


def min_follow_ups() -> int:
    return int(getattr(settings, "XINKAN_METRICS_MIN_FOLLOW_UPS", DEFAULT_MIN_FOLLOW_UPS))


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str | Promise
    kind: str  # "rate" (0..1), "count", "days"
    compute: Callable[[Parts], float | int | None]
    # The part whose cases are behind the number: a link from the figure lists them.
    drill: str
    help: str | Promise = ""


def _count(part: str) -> Callable[[Parts], int]:
    return lambda p: int(p.get(part, 0))


def response_rate(p: Parts) -> float | None:
    return _ratio(p.get(Part.CONTACTED, 0), p.get(Part.FOLLOW_UPS, 0))


def resolution_rate(p: Parts) -> float | None:
    return _ratio(p.get(Part.SOLVED, 0), p.get(Part.FOLLOW_UPS, 0))


def satisfaction_rate(p: Parts) -> float | None:
    weighted = p.get(Part.SATISFIED, 0) + mostly_weight() * p.get(Part.MOSTLY, 0)
    return _ratio(weighted, p.get(Part.FOLLOW_UPS, 0))


def on_time_rate(p: Parts) -> float | None:
    return _ratio(p.get(Part.ON_TIME, 0), p.get(Part.RESOLVED, 0))


def rework_rate(p: Parts) -> float | None:
    return _ratio(p.get(Part.REWORKED, 0), p.get(Part.ANSWERED, 0))


def repeat_rate(p: Parts) -> float | None:
    return _ratio(p.get(Part.REPEAT, 0), p.get(Part.REGISTERED, 0))


def average_days_to_resolve(p: Parts) -> float | None:
    resolved = p.get(Part.RESOLVED, 0)
    if not resolved:
        return None
    return p.get(Part.RESOLVE_SECONDS, 0) / resolved / SECONDS_PER_DAY


def composite(p: Parts) -> float | None:
    """Weighted sum of the three rates; undefined when there is no valid follow-up."""
    return scorer()(p)


def scorer() -> Callable[[Parts], float | None]:
    """`composite` with the weights read once: a ranking scores thousands of units."""
    w = weights()
    by_response, by_resolution, by_satisfaction = (
        w["response"],
        w["resolution"],
        w["satisfaction"],
    )
    mostly = mostly_weight()

    def score(p: Parts) -> float | None:
        follow_ups = p.get(Part.FOLLOW_UPS, 0)
        if not follow_ups:
            return None
        response = p.get(Part.CONTACTED, 0) / follow_ups
        resolution = p.get(Part.SOLVED, 0) / follow_ups
        satisfaction = (p.get(Part.SATISFIED, 0) + mostly * p.get(Part.MOSTLY, 0)) / follow_ups
        return by_response * response + by_resolution * resolution + by_satisfaction * satisfaction

    return score


# The order is the order on the pages.
MATTER_INDICATORS: list[Indicator] = [
    Indicator(
        "response_rate",
        _("Response rate"),
        "rate",
        response_rate,
        Part.CONTACTED,
        _("Contacted / valid follow-ups"),
    ),
    Indicator(
        "resolution_rate",
        _("Resolution rate"),
        "rate",
        resolution_rate,
        Part.SOLVED,
        _("Solved / valid follow-ups"),
    ),
    Indicator(
        "satisfaction_rate",
        _("Satisfaction rate"),
        "rate",
        satisfaction_rate,
        Part.FOLLOW_UPS,
        _("(Satisfied + weight × mostly satisfied) / valid follow-ups"),
    ),
    Indicator(
        "composite",
        _("Composite score"),
        "rate",
        composite,
        Part.FOLLOW_UPS,
        _("Weighted sum of the three rates"),
    ),
    Indicator(
        "follow_ups",
        _("Valid follow-ups"),
        "count",
        _count(Part.FOLLOW_UPS),
        Part.FOLLOW_UPS,
    ),
    Indicator(
        "registered", _("Matters registered"), "count", _count(Part.REGISTERED), Part.REGISTERED
    ),
    Indicator("resolved", _("Matters resolved"), "count", _count(Part.RESOLVED), Part.RESOLVED),
    Indicator(
        "on_time_rate",
        _("On-time rate"),
        "rate",
        on_time_rate,
        Part.ON_TIME,
        _("Resolved without a missed deadline / resolved"),
    ),
    Indicator(
        "average_days",
        _("Average days to resolve"),
        "days",
        average_days_to_resolve,
        Part.RESOLVED,
    ),
    Indicator(
        "rework_rate",
        _("Rework rate"),
        "rate",
        rework_rate,
        Part.REWORKED,
        _("Answers sent back for review / answers"),
    ),
    Indicator("overdue", _("Went overdue"), "count", _count(Part.OVERDUE), Part.OVERDUE),
    Indicator("supervised", _("Supervised"), "count", _count(Part.SUPERVISED), Part.SUPERVISED),
    Indicator("repeat", _("Repeat visits"), "count", _count(Part.REPEAT), Part.REPEAT),
    Indicator("skip_level", _("Skip-level"), "count", _count(Part.SKIP_LEVEL), Part.SKIP_LEVEL),
    Indicator(
        "multi_department",
        _("Multi-department"),
        "count",
        _count(Part.MULTI_DEPARTMENT),
        Part.MULTI_DEPARTMENT,
    ),
]
BY_KEY = {indicator.key: indicator for indicator in MATTER_INDICATORS}
# The figures of the children table and the rankings (the rest is on the dashboard's headline).
TABLE_KEYS = [
    "registered",
    "follow_ups",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "composite",
    "on_time_rate",
    "overdue",
    "supervised",
]


def display(kind: str, value: float | int | None) -> str:
    """A figure as the pages, exports and reports show it: a rate as a percentage with one
    decimal, days and hours with one decimal, counts with thousands separators, "—" undefined."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind in {"days", "hours"}:
        return f"{float(value):.1f}"
    return f"{int(value):,}"


def evaluate(parts: Parts) -> dict[str, float | int | None]:
    return {indicator.key: indicator.compute(parts) for indicator in MATTER_INDICATORS}


class RankClass:
    ADVANCED = "advanced"
    IMPROVING = "improving"
    RECTIFICATION = "rectification"
    GOVERNANCE = "governance"


RANK_CLASS_LABELS = {
    RankClass.ADVANCED: _("Advanced"),
    RankClass.IMPROVING: _("Improving"),
    RankClass.RECTIFICATION: _("Needs rectification"),
    RankClass.GOVERNANCE: _("Needs governance"),
}


def rank_class(score: float | None, previous: float | None) -> str:
    """Beijing's four monthly classes, by configurable thresholds; "" for none of them."""
    return classifier()(score, previous)


def classifier() -> Callable[[float | None, float | None], str]:
    """`rank_class` with the thresholds read once (for a whole ranking)."""
    rules = ranking_rules()
    advanced, governance = rules["advanced"], rules["governance"]
    rectification, improving = rules["rectification"], rules["improving"]

    def classify(score: float | None, previous: float | None) -> str:
        if score is None:
            return ""
        if score >= advanced:
            return RankClass.ADVANCED
        if score < governance:
            return RankClass.GOVERNANCE
        if score < rectification:
            return RankClass.RECTIFICATION
        if previous is not None and score - previous >= improving:
            return RankClass.IMPROVING
        return ""

    return classify
