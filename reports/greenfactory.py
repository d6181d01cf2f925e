"""Green-factory scoring (GB/T 36132): edition choice, indicator values from the platform or entries, linear score.

Score of one indicator (documented rule; DOMAIN.md §4 gives baseline 基准值 and leading 引领值 per indicator):
- at or beyond the leading value: 100 %; worse than the baseline value: 0 %;
- between them: linear from 60 % at the baseline to 100 % at the leading value,
  higher-is-better: 60 + 40 × (v − baseline) / (leading − baseline),
  lower-is-better:  60 + 40 × (baseline − v) / (baseline − leading).
Points = weight × score / 100; a missing value scores 0 points and is listed as missing.
Edition: assessment year ≥ 2026 → GB/T 36132-2025, earlier → GB/T 36132-2018 (DOMAIN.md §4).
"""

from __future__ import annotations

from decimal import Decimal

from carbon.kpis import enterprise_kpis, site_kpis
from carbon.periods import Period
from energy_platform.errors import ApplicationError

from .models import Indicator, IndicatorEntry, IndicatorSet

Q2 = Decimal("0.01")


def edition_for(year: int) -> str:
    return IndicatorSet.Edition.E2025 if year >= 2026 else IndicatorSet.Edition.E2018


def indicator_set_for(*, enterprise, year: int) -> IndicatorSet:
    """The set of the year's edition with the longest industry prefix matching the enterprise ('' matches all)."""
    sets = [s for s in IndicatorSet.objects.filter(edition=edition_for(year))
            if enterprise.industry_code.startswith(s.industry_prefix)]
    if not sets:
        raise ApplicationError("no_indicator_set", f"No {edition_for(year)} indicator set is loaded.",
                               status_code=400)
    return max(sets, key=lambda s: (len(s.industry_prefix), s.pk))


def indicator_score(*, value: Decimal, baseline: Decimal, leading: Decimal, direction: str) -> Decimal:
    value, baseline, leading = Decimal(value), Decimal(baseline), Decimal(leading)
    if direction == Indicator.Direction.LOWER:
        value, baseline, leading = -value, -baseline, -leading
    if value >= leading:
        return Decimal(100)
    if value < baseline:
        return Decimal(0)
    return (60 + 40 * (value - baseline) / (leading - baseline)).quantize(Q2)


def computed_metrics(*, enterprise, year: int, site=None) -> dict:
    """Indicator values computed from platform data: of the whole enterprise, or of one site (factory)."""
    if site is not None:
        k = site_kpis(site=site, period=Period.year(year), with_yoy=False)
    else:
        k = enterprise_kpis(enterprise=enterprise, period=Period.year(year), with_yoy=False)
    return {"energy_per_value_added": k["energy_per_value_added"]["value"],
            "carbon_per_value_added": k["carbon_intensity"]["value"],
            "renewable_share": k["renewable_share"]["value"]}


def green_factory_scores(*, enterprise, year: int, indicator_set: IndicatorSet, site=None) -> dict:
    metrics = computed_metrics(enterprise=enterprise, year=year, site=site)
    entries = {e.indicator_id: e for e in IndicatorEntry.objects.filter(enterprise=enterprise, year=year)}
    rows, total = [], Decimal(0)
    for ind in indicator_set.indicators.all():
        if ind.source == Indicator.Source.COMPUTED:
            value = metrics.get(ind.metric_key)
            evidence = "computed"
        else:
            entry = entries.get(ind.pk)
            value, evidence = (entry.value, entry.evidence) if entry else (None, "")
        score = None if value is None else indicator_score(value=value, baseline=ind.baseline_value,
                                                           leading=ind.leading_value, direction=ind.direction)
        points = Decimal(0) if score is None else (ind.weight * score / 100).quantize(Q2)
        total += points
        rows.append({"indicator": ind, "value": value, "score": score, "points": points, "evidence": evidence})
    return {"year": year, "rows": rows, "total": total}
