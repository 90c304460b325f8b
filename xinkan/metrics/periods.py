"""Periods: a day, an ISO week, a month, a quarter, a year, or custom dates (both ends included)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KINDS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "custom": _("Custom"),
}


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        if kind == "day":
            return cls(kind, day, day)
        if kind == "week":
            start = day - dt.timedelta(days=day.weekday())
            return cls(kind, start, start + dt.timedelta(days=6))
        if kind == "month":
            return cls(kind, day.replace(day=1), _month_end(day))
        if kind == "quarter":
            start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
            return cls(kind, start, _month_end(add_months(start, 2)))
        if kind == "year":
            return cls(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
        raise ValueError(kind)

    @classmethod
    def from_query(cls, params: Mapping[str, str], today: dt.date | None = None) -> Period:
        """From ?period=month&on=2026-03-05, or ?period=custom&from=…&to=…; this month otherwise."""
        today = today or timezone.localdate()
        kind = params.get("period", "month")

        def date(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        if kind == "custom":
            start, end = date("from"), date("to")
            if start and end and start <= end and (end - start).days <= 3660:
                return cls("custom", start, end)
            kind = "month"
        if kind not in KINDS:
            kind = "month"
        return cls.containing(kind, date("on") or today)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        if self.kind == "custom":
            end = self.start - dt.timedelta(days=1)
            return Period("custom", end - dt.timedelta(days=self.days - 1), end)
        return Period.containing(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        if self.kind == "custom":
            start = self.end + dt.timedelta(days=1)
            return Period("custom", start, start + dt.timedelta(days=self.days - 1))
        return Period.containing(self.kind, self.end + dt.timedelta(days=1))

    def split(self) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
        """The whole months inside the period (first days), and the day ranges left over."""
        months: list[dt.date] = []
        ranges: list[tuple[dt.date, dt.date]] = []
        cursor = self.start
        while cursor <= self.end:
            month_end = _month_end(cursor)
            if cursor.day == 1 and month_end <= self.end:
                months.append(cursor)
            else:
                ranges.append((cursor, min(month_end, self.end)))
            cursor = month_end + dt.timedelta(days=1)
        merged: list[tuple[dt.date, dt.date]] = []
        for start, end in ranges:
            if merged and merged[-1][1] + dt.timedelta(days=1) == start:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return months, merged

    def query(self) -> dict[str, str]:
        if self.kind == "custom":
            return {"period": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"period": self.kind, "on": self.start.isoformat()}

    def __str__(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "quarter":
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"
