"""Green-factory self-evaluation (GB/T 36132) of one factory site: edition, basic-requirement gate, indicator values
(computed from the platform or entered with evidence), linear scores and the verdict.

Score of one indicator (the platform's documented rule, baseline 基准值 and leading 引领值 per indicator as data):
- at or beyond the leading value: 100 %; worse than the baseline value: 0 %;
- between them: linear from 60 % at the baseline to 100 % at the leading value,
  higher-is-better: 60 + 40 × (v − baseline) / (leading − baseline),
  lower-is-better:  60 + 40 × (baseline − v) / (baseline − leading).
Points = weight × score / 100; a missing value scores 0 points and is listed as missing. An indicator per unit of
product is scored for every product of the site and gets weight × mean score / 100.
Gate: every basic requirement must be entered as met; one failed or unanswered requirement gives "does not meet the
basic requirements" and no grade.
Edition: assessment year ≥ 2026 → GB/T 36132-2025, earlier → GB/T 36132-2018.

Computed values come from `carbon.kpis` (the same figures as every other report, intensities over the complete
months of a year in progress) and the product footprint (`reports.builders.footprint.site_product_footprints`,
allocation by output share).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from carbon.kpis import site_figures, site_kpis
from carbon.periods import Coverage, Period, period_coverage
from energy_platform.errors import ApplicationError
from meters.models import Carrier
from plants.models import Site

from .formatting import FixedDecimal
from .models import Indicator, IndicatorEntry, IndicatorSet, RequirementEntry

Q2 = Decimal("0.01")
#: decimals a value is shown with, by the indicator's unit
PLACES = {"kgce/t": 2, "kgCO₂/t": 2, "%": 2, "t/t": 3, "tce/万元": 4, "tCO₂/万元": 4, "万元/亩": 1, "kg/t": 3,
          "m³/t": 3, "": 2}
PER_PRODUCT = {"energy_per_unit_product", "carbon_per_unit_product"}


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


def factory_sites(*, enterprise) -> list[Site]:
    return list(enterprise.sites.filter(kind=Site.Kind.FACTORY).order_by("code"))


def indicator_score(*, value: Decimal, baseline: Decimal, leading: Decimal, direction: str) -> Decimal:
    value, baseline, leading = Decimal(value), Decimal(baseline), Decimal(leading)
    if direction == Indicator.Direction.LOWER:
        value, baseline, leading = -value, -baseline, -leading
    if value >= leading:
        return Decimal(100)
    if value < baseline:
        return Decimal(0)
    return (60 + 40 * (value - baseline) / (leading - baseline)).quantize(Q2)


def value_for_unit(value, unit: str) -> Decimal | None:
    """The value rounded to the places of its unit, shown with exactly those places."""
    if value is None:
        return None
    return FixedDecimal(Decimal(value).quantize(Decimal(1).scaleb(-PLACES.get(unit, 4))))


def computed_metrics(*, site: Site, year: int) -> dict:
    """{metric key: value | {product code: value}} of a factory site for a year, in the indicator units (% for
    shares, kgce/t, kgCO₂/t, t/t, tce/万元, tCO₂/万元), with `products` {code: name} and `basis` notes."""
    from .builders.footprint import site_product_footprints

    k = site_kpis(site=site, period=Period.year(year), with_yoy=False)
    share = k["renewable_share"]["value"]
    out: dict = {
        "energy_per_value_added": k["energy_per_value_added"]["value"],
        "carbon_per_value_added": k["carbon_intensity"]["value"],
        "renewable_share": None if share is None else Decimal(share) * 100,
        "energy_per_unit_product": {p["product"]: p["energy_per_unit"]["value"] for p in k["per_product"]},
        "energy_allocation": {p["product"]: p["allocation"] for p in k["per_product"]},
        "products": {p["product"]: p["name"] for p in k["per_product"]},
        "carbon_per_unit_product": {}, "water_per_unit_product": None, "kpis": k,
    }
    complete = Coverage(period_coverage(period=Period.year(year)).period).complete
    if complete is not None:
        rows, _versions = site_product_footprints(site=site, year=year, period=complete, rule="mass")
        out["carbon_per_unit_product"] = {r[1]: r[9] for r in rows}
        fig = site_figures(site=site, period=complete)
        water = sum((c["quantity"] for c in fig["energy"]["by_carrier"] if c["carrier"] == Carrier.WATER),
                    Decimal(0))
        outputs = [p["output"] for p in fig["products"].values() if p["output"]]
        if water and outputs:
            out["water_per_unit_product"] = Decimal(water) / sum(outputs, Decimal(0))
    return out


def _entries(model, *, site: Site, year: int, field: str) -> dict:
    """{indicator or requirement id: entry}: the site's own entry, else the enterprise-wide one (no site)."""
    rows = model.objects.filter(Q(site=site) | Q(site__isnull=True, enterprise_id=site.enterprise_id), year=year)
    out: dict = {}
    for e in sorted(rows, key=lambda e: e.site_id is not None):  # the site's own entry wins
        out[getattr(e, field)] = e
    return out


def green_factory_evaluation(*, site: Site, year: int, indicator_set: IndicatorSet | None = None) -> dict:
    """The self-evaluation of one factory site: requirements with the gate, rows per indicator (per product where
    the indicator is per unit of product), group subtotals, total and verdict."""
    iset = indicator_set or indicator_set_for(enterprise=site.enterprise, year=year)
    metrics = computed_metrics(site=site, year=year)
    ientries = _entries(IndicatorEntry, site=site, year=year, field="indicator_id")
    rentries = _entries(RequirementEntry, site=site, year=year, field="requirement_id")
    requirements = []
    for r in iset.requirements.all():
        e = rentries.get(r.pk)
        requirements.append({"requirement": r, "passed": None if e is None else e.passed, "entry": e})
    gate = all(r["passed"] is True for r in requirements)
    rows, total = [], Decimal(0)
    groups: dict[str, Decimal] = {}
    for ind in iset.indicators.filter(weight__gt=0):
        if ind.source == Indicator.Source.COMPUTED:
            value = metrics.get(ind.metric_key)
            entry = None
            if ind.metric_key in PER_PRODUCT:
                values = [(code, metrics["products"][code], value.get(code)) for code in metrics["products"]]
            else:
                values = [(None, None, value)]
        else:
            entry = ientries.get(ind.pk)
            values = [(None, None, None if entry is None else entry.value)]
        scores = []
        for code, name, v in values:
            v = value_for_unit(v, ind.unit)
            score = None if v is None else FixedDecimal(indicator_score(value=v, baseline=ind.baseline_value,
                                                           leading=ind.leading_value,
                                                           direction=ind.direction).quantize(Q2))
            scores.append(score or Decimal(0))
            rows.append({"indicator": ind, "product": code, "product_name": name, "value": v, "score": score,
                         "entry": entry, "allocation": metrics["energy_allocation"].get(code) if code else None})
        mean = sum(scores, Decimal(0)) / len(scores) if scores else Decimal(0)
        points = FixedDecimal((ind.weight * mean / 100).quantize(Q2))
        for r in rows[len(rows) - len(values):]:
            r["points"] = points if r is rows[-len(values)] else None  # points once per indicator
        total += points
        groups[ind.group] = groups.get(ind.group, Decimal(0)) + points
    thresholds = {k: Decimal(str(v)) for k, v in (iset.thresholds or {}).items()}
    grade = None
    if gate:
        reached = [k for k, v in sorted(thresholds.items(), key=lambda kv: kv[1]) if total >= v]
        grade = reached[-1] if reached else "below"
    total = FixedDecimal(total.quantize(Q2))
    groups = {g: FixedDecimal(v.quantize(Q2)) for g, v in groups.items()}
    return {"site": site, "year": year, "indicator_set": iset, "requirements": requirements, "gate": gate,
            "rows": rows, "groups": groups, "total": total, "grade": grade, "thresholds": thresholds,
            "metrics": metrics}


def green_factory_scores(*, enterprise, year: int, indicator_set: IndicatorSet, site=None) -> dict:
    """Total points of a factory site (or, without one, of each factory site: {site code: total})."""
    sites = [site] if site is not None else factory_sites(enterprise=enterprise)
    ev = {s.code: green_factory_evaluation(site=s, year=year, indicator_set=indicator_set) for s in sites}
    return {"year": year, "sites": {c: e["total"] for c, e in ev.items()},
            "evaluations": ev, "total": ev[sites[0].code]["total"] if len(sites) == 1 else None}
