"""Product carbon footprint (cradle-to-gate, gate = the site's scope 1 + scope 2) per unit of product.

A site's annual emissions (`carbon.emissions.site_emissions`) are allocated to its products by one stated rule
(DOMAIN.md §8, ISO 14067 / GB/T 24067 style), chosen per report (`options["allocation"]`):

- `mass`: in proportion to output (physical allocation); all products of a site must share one unit;
- `economic`: in proportion to output × unit price of the year (`reports.ProductPrice`, entered per product);
- `energy`: in proportion to the metered energy (tce, `carbon.kpis.unit_kpis`) of each product's production unit;
  products of the same unit share their unit's part by output. Every product needs a production unit, and the
  units must not be nested (a unit's energy includes its sub-units').

A site with a single product gives it all the site's emissions under any rule. Upstream (purchased materials)
emissions are not included.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from carbon.kpis import site_figures, unit_kpis
from carbon.periods import Coverage, Period, period_coverage
from energy_platform.errors import ApplicationError
from plants.models import Product

from ..models import ProductPrice
from . import Chart, Column, Document, Section, Table, coverage_notes, subject_meta

Q6 = Decimal("0.000001")
ALLOCATIONS = ("mass", "economic", "energy")


def _mass(site, products, year, period):
    if len({p.unit for p, _out in products}) > 1:
        raise ApplicationError("footprint_mixed_units", f"Site {site.code}: products in different units cannot be "
                               "allocated by output share; choose economic or energy allocation.", status_code=400)
    return {p.pk: (out, p.unit) for p, out in products}


def _economic(site, products, year, period):
    prices = {pp.product_id: pp for pp in ProductPrice.objects.filter(product__in=[p for p, _o in products],
                                                                      year=year)}
    missing = [p.code for p, _out in products if p.pk not in prices]
    if missing:
        raise ApplicationError("footprint_missing_price", f"Site {site.code}: no {year} unit price for "
                               f"{', '.join(missing)} (enter it under Reports › Product prices).", status_code=400)
    return {p.pk: (out * prices[p.pk].price_cny_per_unit, "CNY") for p, out in products}


def _energy(site, products, year, period):
    without = [p.code for p, _out in products if p.unit_of_production_id is None]
    if without:
        raise ApplicationError("footprint_product_without_unit", f"Site {site.code}: {', '.join(without)} has no "
                               "production unit, so metered-energy allocation is not possible.", status_code=400)
    units = {p.unit_of_production_id: p.unit_of_production for p, _out in products}
    for u in units.values():
        node = u.parent
        while node is not None:
            if node.pk in units:
                raise ApplicationError("footprint_nested_units", f"Site {site.code}: production unit {u.code} lies "
                                       f"inside {node.code}; attach products to units that do not nest.",
                                       status_code=400)
            node = node.parent
    unit_tce = {uid: unit_kpis(unit=u, period=period)["energy_tce"]["value"] for uid, u in units.items()}
    basis = {}
    for uid in units:
        members = [(p, out) for p, out in products if p.unit_of_production_id == uid]
        if len({p.unit for p, _o in members}) > 1:
            raise ApplicationError("footprint_mixed_units", f"Site {site.code}: products of one production unit "
                                   "in different units cannot share its energy by output.", status_code=400)
        unit_out = sum((out for _p, out in members), Decimal(0))
        for p, out in members:
            basis[p.pk] = (unit_tce[uid] * out / unit_out, "tce")
    return basis


RULES = {"mass": _mass, "economic": _economic, "energy": _energy}


def site_product_footprints(*, site, year: int, period: Period, rule: str = "mass") -> tuple[list[list], set]:
    """Rows [site, product, name, output, unit, basis, basis unit, share, tCO2, kgCO2 per unit] of a site's products
    with output in `period` (complete months), and the factor versions used: the one footprint computation, shared
    by the footprint report and the green-factory self-evaluation."""
    rows: list[list] = []
    # Output and emissions of closed months as recorded at close (carbon.kpis.site_figures).
    figures = site_figures(site=site, period=period)
    products = [(p, (figures["products"].get(p.code) or {}).get("output") or Decimal(0))
                for p in Product.objects.filter(site=site).select_related("unit_of_production").order_by("code")]
    products = [(p, out) for p, out in products if out > 0]
    if not products:
        return rows, set()
    basis = ({products[0][0].pk: (products[0][1], products[0][0].unit)} if len(products) == 1
             else RULES[rule](site, products, year, period))
    em = figures["emissions"]
    total_basis = sum((b for b, _u in basis.values()), Decimal(0))
    for p, out in products:
        b, b_unit = basis[p.pk]
        share = b / total_basis if total_basis else Decimal(0)
        tco2 = (em["total_tco2"] * share).quantize(Q6)
        rows.append([site.code, p.code, p.name, out, p.unit, b.quantize(Q6), b_unit, share.quantize(Q6), tco2,
                     (tco2 * 1000 / out).quantize(Q6)])
    return rows, set(em["factor_versions"])


def allocation_method_text(rule: str) -> str:
    return {
        "mass": _("Allocation by output share (mass): share = product output / total output of the site's products."),
        "economic": _("Allocation by economic value: share = output × unit price of the year / sum over the site's "
                      "products."),
        "energy": _("Allocation by metered energy of production units: share = energy (tce) metered on the "
                    "product's production unit / sum over the units of the site's products; products of one unit "
                    "share it by output."),
    }[rule]


def build_footprint(*, enterprise, year: int, site=None, options=None) -> Document:
    rule = (options or {}).get("allocation", "mass")
    if rule not in RULES:
        raise ApplicationError("invalid_allocation", f"allocation must be one of {', '.join(ALLOCATIONS)}.",
                               status_code=400)
    cut = period_coverage(period=Period.year(year)).period  # cut at today when in progress, like every report
    # A footprint per unit is an intensity: emissions and output of the complete months alike (none in a first
    # month in progress).
    period = Coverage(cut).complete
    sites = [site] if site is not None else list(enterprise.sites.all().order_by("code"))
    rows, versions = [], set()
    for s in sites if period is not None else []:
        site_rows, site_versions = site_product_footprints(site=s, year=year, period=period, rule=rule)
        rows += site_rows
        versions.update(site_versions)
    table = Table(
        [Column("site", _("Site")), Column("product", _("Product")), Column("name", _("Name")),
         Column("output", _("Output")), Column("unit", _("Unit")), Column("basis", _("Allocation basis")),
         Column("basis_unit", _("Basis unit")), Column("share", _("Allocation share"), "ratio"),
         Column("tco2", _("Allocated emissions"), "tCO2"),
         Column("kgco2_per_unit", _("Footprint per unit"), "kgCO2/unit")],
        rows,
    )
    notes = [_("Cradle-to-gate: the site's scope 1 and scope 2 emissions of the year, allocated to its products. "
               "Upstream emissions of purchased materials are not included."),
             allocation_method_text(rule),
             _("A site with a single product gives it all the site's emissions.")]
    notes = coverage_notes(cut) + notes
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=cut)
    meta["allocation"] = rule
    return Document(
        kind="footprint", title=_("Product carbon footprint %(year)s") % {"year": year},
        meta=meta,
        sections=[Section("products", _("Footprint per product"), [table], notes,
                          charts=[Chart(_("Allocated emissions by product"), "tCO2",
                                        [(f"{r[0]} {r[1]}", r[8]) for r in rows])])],
        factor_versions=sorted(versions),
    )
