"""Energy-efficiency benchmarking (能效对标): a site's indicators against reference values, its own best period and
the other sites of the same kind in the enterprise, as a gap and a ranking per period.

Every indicator here is "lower is better" (energy per unit of product, energy per 10⁴ CNY value added, PUE).
gap = value − comparison value (positive: worse than the comparison); gap % = gap / comparison × 100;
a reference is met when value ≤ reference value.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from accounts.tenancy import scope
from carbon.models import ConversionMethod
from carbon.periods import Period
from plants.models import Product, Site

from .measures import data_months, periods_between, site_indicators
from .models import BenchmarkReference, Indicator, ProductCategory

Q4 = Decimal("0.0001")
Q2 = Decimal("0.01")


def _gap(value, other) -> dict:
    if value is None or other is None:
        return {"gap": None, "gap_pct": None}
    gap = Decimal(value) - Decimal(other)
    return {"gap": gap.quantize(Q4), "gap_pct": (gap / Decimal(other) * 100).quantize(Q2) if other else None}


def references_for(*, site: Site, indicator: str, period: Period, unit: str, category: str | None = None):
    """National references and the site's enterprise's own, valid in the period, for the site's kind (or any kind)
    and, per unit of product, the product's category; only rows in the indicator's unit are comparable."""
    qs = BenchmarkReference.objects.filter(
        Q(enterprise__isnull=True) | Q(enterprise=site.enterprise_id), indicator=indicator, unit=unit,
    ).filter(Q(site_kind="") | Q(site_kind=site.kind)).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lt=period.end_month),
        Q(valid_to__isnull=True) | Q(valid_to__gte=period.first))
    if indicator == Indicator.ENERGY_PER_UNIT:
        if not category:
            return BenchmarkReference.objects.none()
        qs = qs.filter(product_category=category)
    return qs.order_by("value", "kind")


def _categories(products) -> dict[int, str]:
    return dict(ProductCategory.objects.filter(product__in=products).values_list("product_id", "category"))


def site_benchmark(*, site: Site, period: Period, user, method: str = ConversionMethod.EQUIVALENT) -> dict:
    """Each indicator of `site` in `period` with its reference values, the site's own history and best period of the
    same length, and the ranking among the enterprise's sites of the same kind that `user` may see."""
    current = site_indicators(site=site, period=period, method=method)
    products = {p.code: p for p in Product.objects.filter(site=site)}
    categories = _categories(products.values())

    # Own history: every period of the same length from the first month with data to the requested one.
    span = data_months(site=site)
    own_periods = periods_between(span[0], min(span[1], period.months()[-1]), period.n_months) if span else []
    history = [(p, current if str(p) == str(period) else site_indicators(site=site, period=p, method=method))
               for p in own_periods]

    siblings = [s for s in scope(Site.objects.filter(enterprise=site.enterprise, kind=site.kind), user)
                .exclude(pk=site.pk).order_by("code")]
    sibling_values = {s.code: site_indicators(site=s, period=period, method=method) for s in siblings}
    sibling_categories = _categories(Product.objects.filter(site__in=siblings))
    sibling_products = {(p.site_id, p.code): p for p in Product.objects.filter(site__in=siblings)}

    rows = []
    for key, ind in current.items():
        product = products.get(ind.get("product")) if ind.get("product") else None
        category = categories.get(product.pk) if product else None
        refs = [{"id": r.pk, "kind": r.kind, "kind_label": r.get_kind_display(), "label": r.label,
                 "value": r.value, "unit": r.unit, "source": r.source, "edition": r.edition,
                 "provisional": r.provisional, "own": r.enterprise_id is not None,
                 "meets": None if ind["value"] is None else ind["value"] <= r.value, **_gap(ind["value"], r.value)}
                for r in references_for(site=site, indicator=ind["indicator"], period=period, unit=ind["unit"],
                                        category=category)]
        series = [{"period": str(p), "value": values.get(key, {}).get("value")} for p, values in history]
        best = None
        for p, values in history:
            v = values.get(key, {}).get("value")
            if v is not None and (best is None or v < best["value"]):
                best = {"period": str(p), "value": v}
        if best is not None:
            best.update(_gap(ind["value"], best["value"]))

        ranking = [{"site": site.code, "value": ind["value"], "current": True}]
        for s in siblings:
            other = None
            if product is None:
                other = sibling_values[s.code].get(key)
            else:
                # The same product category, or the same product code when the product has no category.
                for (site_id, code), sp in sibling_products.items():
                    if site_id != s.pk:
                        continue
                    if (category and sibling_categories.get(sp.pk) == category) or \
                            (not category and code == product.code and sp.unit == product.unit):
                        other = sibling_values[s.code].get(f"energy_per_unit:{code}")
                        break
            if other is not None:
                ranking.append({"site": s.code, "value": other["value"], "current": False})
        ranked = sorted([r for r in ranking if r["value"] is not None], key=lambda r: (r["value"], r["site"]))
        for i, r in enumerate(ranked, start=1):
            r["rank"] = i
        unranked = [dict(r, rank=None) for r in ranking if r["value"] is None]
        ranking = ranked + unranked
        leader = ranked[0] if ranked else None
        rows.append({
            "key": key, "indicator": ind["indicator"], "product": ind.get("product"),
            "product_name": ind.get("product_name"), "category": category, "allocation": ind.get("allocation"),
            "value": ind["value"], "unit": ind["unit"], "references": refs, "own_best": best,
            "history": series,
            "ranking": ranking, "rank": next((r["rank"] for r in ranking if r["current"]), None),
            "of": len(ranked),
            "leader_gap": _gap(ind["value"], leader["value"]) if leader else _gap(None, None),
        })
    return {"site": site.code, "site_id": site.pk, "kind": site.kind, "period": str(period),
            "electricity_method": method, "indicators": rows}
