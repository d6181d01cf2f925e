"""Reporting periods: a month ("2025-03"), a quarter ("2025-Q1") or a year ("2025"), in a site's local time."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.utils.translation import gettext as _

from energy_platform.errors import ApplicationError

_RE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])))?$")


def month_add(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


@dataclass(frozen=True)
class Period:
    """A calendar period; `first` is its first month and `n_months` its length (1, 3 or 12)."""

    first: dt.date
    n_months: int
    #: For a period in progress: the local day (exclusive) up to which figures are counted, so that year-on-year
    #: comparisons set equal spans side by side. None for whole periods.
    until: dt.date | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _RE.match((text or "").strip())
        if not match:
            raise ApplicationError("invalid_period", _("%(text)s is not a period: use 2025-03, 2025-Q1 or 2025.")
                                   % {"text": repr(text)})
        year = int(match["y"])
        if match["m"]:
            return cls(dt.date(year, int(match["m"]), 1), 1)
        if match["q"]:
            return cls(dt.date(year, 3 * int(match["q"]) - 2, 1), 3)
        return cls(dt.date(year, 1, 1), 12)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(dt.date(year, month, 1), 1)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), 12)

    @property
    def granularity(self) -> str:
        return {1: "month", 3: "quarter", 12: "year"}.get(self.n_months, "months")

    @property
    def end_month(self) -> dt.date:
        """The first day after the period (exclusive bound)."""
        return month_add(self.first, self.n_months)

    def months(self) -> list[dt.date]:
        return [month_add(self.first, i) for i in range(self.n_months)]

    def start(self, tz: str = "Asia/Shanghai") -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), zoneinfo.ZoneInfo(tz))

    def end(self, tz: str = "Asia/Shanghai") -> dt.datetime:
        return dt.datetime.combine(self.end_month, dt.time(), zoneinfo.ZoneInfo(tz))

    def previous_year(self) -> Period:
        until = None
        if self.until is not None:
            until = self.until.replace(year=self.until.year - 1, day=min(self.until.day, 28)) \
                if (self.until.month, self.until.day) == (2, 29) else self.until.replace(year=self.until.year - 1)
        return Period(dt.date(self.first.year - 1, self.first.month, 1), self.n_months, until)

    def to_date(self, today: dt.date) -> Period:
        """This period cut at `today` (exclusive) when it is in progress; itself otherwise."""
        if self.first <= today < self.end_month:
            return Period(self.first, self.n_months, today)
        return self

    def __str__(self) -> str:
        if self.n_months == 1:
            return f"{self.first:%Y-%m}"
        if self.n_months == 3 and self.first.month % 3 == 1:
            return f"{self.first.year}-Q{(self.first.month + 2) // 3}"
        if self.n_months == 12 and self.first.month == 1:
            return str(self.first.year)
        return f"{self.first:%Y-%m}..{month_add(self.first, self.n_months - 1):%Y-%m}"


#: Why an intensity of a period in progress has no value.
MONTH_IN_PROGRESS = "month_in_progress"


@dataclass(frozen=True)
class Coverage:
    """What a period's figures cover: the one definition used by the KPIs, the UI, forecasts, alerts and reports.

    - `period`: the period whose totals are reported, cut at the start of today when it is in progress (figures
      "to date, through <through>");
    - `complete`: the span of its complete months (every month ended before the cut), over which intensities divide
      numerator and denominator alike; None when no month of the period is complete (a month in progress has no
      per-value-added or per-product intensity).
    """

    period: Period

    @property
    def in_progress(self) -> bool:
        return self.period.until is not None

    @property
    def through(self) -> dt.date | None:
        """The last day counted (inclusive) of a period in progress."""
        return self.period.until - dt.timedelta(days=1) if self.period.until is not None else None

    @property
    def complete(self) -> Period | None:
        if self.period.until is None:
            return self.period
        n = sum(1 for m in self.period.months() if month_add(m, 1) <= self.period.until)
        return Period(self.period.first, n) if n else None

    @property
    def complete_months(self) -> list[str]:
        return [f"{m:%Y-%m}" for m in self.complete.months()] if self.complete is not None else []

    @property
    def intensity_reason(self) -> str | None:
        """None when intensities have a value (whole months); otherwise why not."""
        return MONTH_IN_PROGRESS if self.complete is None else None

    def as_dict(self) -> dict[str, object]:
        return {"in_progress": self.in_progress, "through": self.through,
                "complete_months": self.complete_months}


def period_coverage(*, period: Period, today: dt.date | None = None) -> Coverage:
    """The coverage of `period` on `today` (the local date; default now): cut at today when in progress (a period
    already cut keeps its cut)."""
    if period.until is not None:
        return Coverage(period)
    if today is None:
        from django.utils import timezone

        today = timezone.localdate()
    return Coverage(period.to_date(today))
