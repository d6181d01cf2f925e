"""Product carbon footprint per declared unit (ISO 14067 / GB/T 24067-2024), with its boundary stated truthfully.

One computation (`site_product_footprints`), shared by the footprint report, the CBAM export and the green-factory
self-evaluation:

1. **Gate-to-gate** (always): a site's scope 1 and scope 2 emissions of the complete months
   (`carbon.kpis.site_figures`, closed months as recorded at close), attributed to its products in two steps:
   a. *metered production units first*: for each carrier metered on the production unit of a product, the unit's
      share of the site's consumption of that carrier (electricity: of the electricity consumed, purchased plus
      self-generated) times the site's emissions of that carrier; products of one unit share it by output;
   b. *the chosen rule* (`options["allocation"]`) for the rest (fuels and process emissions not metered per unit,
      unmetered electricity): `mass` (output share, one unit of output), `economic` (output × unit price of the year,
      `reports.ProductPrice`) or `energy` (metered energy, tce, of each product's production unit).
2. **Cradle-to-gate** only where upstream data exists: purchased materials and precursors consumed for a product
   (`reports.MaterialPurchase`) times their cradle-to-gate factors (`reports.UpstreamFactor`, supplier-specific or
   default, with source and provisional flag); purchases entered for the site's products together are shared by the
   rule. A product without any is reported gate-to-gate, and the report says so.

Emissions of sites without products (a data centre) or with no output are listed as unallocated, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from carbon.energy import meter_quantities
from carbon.kpis import site_figures, unit_kpis
from carbon.periods import Coverage, Period, period_coverage
from energy_platform.errors import ApplicationError
from meters.models import Carrier
from meters.units import unit_scale
from plants.models import Product

from ..models import MaterialPurchase, ProductPrice, UpstreamFactor
from . import Chart, Column, Document, Section, Table, coverage_notes, subject_meta

Q6 = Decimal("0.000001")
ALLOCATIONS = ("mass", "economic", "energy")
ZERO = Decimal(0)


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


def _check_units(site, products) -> dict:
    """{unit id: unit} of the products' production units, refused when one lies inside another (a unit's meters
    include its sub-units')."""
    units = {p.unit_of_production_id: p.unit_of_production for p, _out in products if p.unit_of_production_id}
    for u in units.values():
        node = u.parent
        while node is not None:
            if node.pk in units:
                raise ApplicationError("footprint_nested_units", f"Site {site.code}: production unit {u.code} lies "
                                       f"inside {node.code}; attach products to units that do not nest.",
                                       status_code=400)
            node = node.parent
    for uid in units:
        if len({p.unit for p, _o in products if p.unit_of_production_id == uid}) > 1:
            raise ApplicationError("footprint_mixed_units", f"Site {site.code}: products of one production unit "
                                   "in different units cannot share its emissions by output.", status_code=400)
    return units


def _energy(site, products, year, period):
    without = [p.code for p, _out in products if p.unit_of_production_id is None]
    if without:
        raise ApplicationError("footprint_product_without_unit", f"Site {site.code}: {', '.join(without)} has no "
                               "production unit, so metered-energy allocation is not possible.", status_code=400)
    units = _check_units(site, products)
    unit_tce = {uid: unit_kpis(unit=u, period=period)["energy_tce"]["value"] for uid, u in units.items()}
    basis = {}
    for uid in units:
        members = [(p, out) for p, out in products if p.unit_of_production_id == uid]
        unit_out = sum((out for _p, out in members), ZERO)
        for p, out in members:
            basis[p.pk] = (unit_tce[uid] * out / unit_out, "tce")
    return basis


RULES = {"mass": _mass, "economic": _economic, "energy": _energy}


@dataclass
class ProductFootprint:
    """One product's footprint of a period; tCO2e unrounded until `row` (rounded once, at 6 decimals)."""

    site: str
    product: Product
    output: Decimal
    basis: Decimal
    basis_unit: str
    share: Decimal  # the rule's share of the site's emissions not attributed through metered units
    metered_tco2: Decimal = ZERO
    rule_tco2: Decimal = ZERO
    scope1_tco2: Decimal = ZERO
    scope2_tco2: Decimal = ZERO
    electricity_kwh: Decimal = ZERO
    upstream: list[dict] = field(default_factory=list)

    @property
    def gate_tco2(self) -> Decimal:
        return self.metered_tco2 + self.rule_tco2

    @property
    def upstream_tco2(self) -> Decimal:
        return sum((u["tco2e"] for u in self.upstream), ZERO)

    @property
    def total_tco2(self) -> Decimal:
        return self.gate_tco2 + self.upstream_tco2

    @property
    def boundary(self) -> str:
        return "cradle-to-gate" if self.upstream else "gate-to-gate"

    def per_unit_kg(self, tco2: Decimal) -> Decimal:
        return (tco2.quantize(Q6) * 1000 / self.output).quantize(Q6)


@dataclass
class SiteFootprint:
    site: str
    total_tco2: Decimal
    products: list[ProductFootprint]
    factor_versions: set
    #: emissions of the site no product takes, with the reason (no products / no output)
    unallocated: list[dict]
    #: the site's electricity factor (tCO2/MWh, unrounded: emissions / MWh purchased) and its source text
    electricity_factor: dict | None
    completeness: Decimal | None
    notes: list[str]


def _unit_shares(site, products, units, period, figures) -> tuple[dict, dict, list[str]]:
    """({unit id: {carrier: share of the site's consumption}}, {unit id: kWh}, notes) of the products' units."""
    if not units:
        return {}, {}, []
    quantities = meter_quantities(site=site, period=period, meter_filter=Q(production_unit_id__in=list(units)))
    site_qty = {c["carrier"]: (Decimal(c["quantity"]), c["unit"]) for c in figures["energy"]["by_carrier"]}
    site_qty[Carrier.ELECTRICITY] = (Decimal(figures["electricity_kwh"]), "kWh")  # consumed: purchased + own PV
    shares: dict = {uid: {} for uid in units}
    kwh: dict = dict.fromkeys(units, ZERO)
    for m in quantities:
        if m.production_unit_id not in units or m.carrier not in site_qty or m.carrier == Carrier.GREEN_ELECTRICITY:
            continue
        total, total_unit = site_qty[m.carrier]
        scale = unit_scale(from_unit=m.unit, to_unit=total_unit)
        if not total or scale is None:
            continue
        qty = Decimal(str(m.quantity)) * scale
        shares[m.production_unit_id][m.carrier] = shares[m.production_unit_id].get(m.carrier, ZERO) + qty / total
        if m.carrier == Carrier.ELECTRICITY:
            kwh[m.production_unit_id] += qty
    notes = []
    for carrier in {c for s in shares.values() for c in s}:
        metered = sum((s.get(carrier, ZERO) for s in shares.values()), ZERO)
        if metered > 1:  # sub-meters above their site's total: scale down to the site's figure, and say so
            for s in shares.values():
                if carrier in s:
                    s[carrier] /= metered
            notes.append(_("Site %(site)s: the production units' %(carrier)s meters add up to more than the site's "
                           "consumption (%(pct)s %%); their shares were scaled to the site's total.")
                         % {"site": site.code, "carrier": carrier, "pct": (metered * 100).quantize(Decimal("0.1"))})
    return shares, kwh, notes


def _upstream(site, period: Period) -> dict:
    """{product id or None: [purchase dicts]} of the period's months, summed in SQL per product and factor."""
    rows = (MaterialPurchase.objects.filter(site=site, month__in=period.months())
            .values("product_id", "factor_id", "role", "cn_code").annotate(quantity=Sum("quantity")).order_by())
    factors = {f.pk: f for f in UpstreamFactor.objects.filter(pk__in={r["factor_id"] for r in rows})}
    out: dict = {}
    for r in rows:
        f = factors[r["factor_id"]]
        q = r["quantity"]
        out.setdefault(r["product_id"], []).append({
            "code": f.code, "name": f.name, "role": r["role"], "cn_code": r["cn_code"], "quantity": q,
            "unit": f.unit, "factor": f.value_tco2e_per_unit, "factor_indirect": f.indirect_tco2e_per_unit,
            "kind": f.kind, "supplier": f.supplier, "source": f.source, "provisional": f.provisional,
            "gwp": f.gwp_basis, "tco2e": q * f.value_tco2e_per_unit,
            "indirect_tco2e": q * f.indirect_tco2e_per_unit})
    return out


def _scaled(item: dict, share: Decimal) -> dict:
    return {**item, "quantity": item["quantity"] * share, "tco2e": item["tco2e"] * share,
            "indirect_tco2e": item["indirect_tco2e"] * share, "shared": True}


def site_footprint(*, site, year: int, period: Period, rule: str = "mass") -> SiteFootprint:
    """The footprint of each product of a site with output in `period` (complete months), with what is left
    unallocated."""
    figures = site_figures(site=site, period=period)
    em = figures["emissions"]
    total = em["total_tco2"]
    products = [(p, (figures["products"].get(p.code) or {}).get("output") or ZERO)
                for p in Product.objects.filter(site=site).select_related("unit_of_production").order_by("code")]
    products = [(p, out) for p, out in products if out > 0]
    upstream = _upstream(site, period)
    elec_lines = [ln for ln in em["lines"] if ln["source"] == Carrier.ELECTRICITY]
    elec_mwh = sum((Decimal(ln["activity_amount"]) * (unit_scale(from_unit=ln["activity_unit"], to_unit="MWh")
                                                      or ZERO) for ln in elec_lines), ZERO)
    elec_t = sum((ln["tco2"] for ln in elec_lines), ZERO)
    elec_factor = None
    if elec_mwh:
        sources = sorted({f"{ln['factor_value']} {ln['factor_unit']}, {ln['factor_source']}"
                          f"{' (' + _('provisional') + ')' if ln.get('provisional') else ''}" for ln in elec_lines})
        elec_factor = {"value": elec_t / elec_mwh, "source": "; ".join(sources), "grid_mwh": elec_mwh}
    completeness = figures["energy"].get("completeness")
    result = SiteFootprint(site.code, total, [], set(em["factor_versions"]), [], elec_factor,
                           None if completeness is None else Decimal(str(completeness)), [])
    if not products:
        if total:
            result.unallocated.append({"site": site.code, "tco2": total, "reason": "no_products"})
        for items in upstream.values():
            for u in items:
                result.unallocated.append({"site": site.code, "tco2": u["tco2e"], "reason": "upstream_no_output",
                                           "material": u["code"]})
        return result
    basis = ({products[0][0].pk: (products[0][1], products[0][0].unit)} if len(products) == 1
             else RULES[rule](site, products, year, period))
    total_basis = sum((b for b, _u in basis.values()), ZERO)
    units = _check_units(site, products)
    shares, unit_kwh, notes = _unit_shares(site, products, units, period, figures)
    result.notes += notes
    unit_out = {uid: sum((out for p, out in products if p.unit_of_production_id == uid), ZERO) for uid in units}
    # Emissions by source (carrier or process) and scope; what the units' meters take of each source.
    by_source: dict[tuple[str, str], Decimal] = {}
    for ln in em["lines"]:
        key = (ln["scope"], ln["source"])
        by_source[key] = by_source.get(key, ZERO) + ln["tco2"]
    consumed_kwh = Decimal(figures["electricity_kwh"])
    rest_kwh = consumed_kwh - sum(unit_kwh.values(), ZERO)
    for p, out in products:
        b, b_unit = basis[p.pk]
        r = b / total_basis if total_basis else ZERO
        fp = ProductFootprint(site.code, p, out, b, b_unit, r)
        uid = p.unit_of_production_id
        frac = out / unit_out[uid] if uid in units else ZERO  # the product's part of its unit
        for (scope, source), t in by_source.items():
            metered_all = sum((s.get(source, ZERO) for s in shares.values()), ZERO)
            mine = t * shares.get(uid, {}).get(source, ZERO) * frac
            ruled = t * (1 - metered_all) * r
            fp.metered_tco2 += mine
            fp.rule_tco2 += ruled
            if scope == "scope1":
                fp.scope1_tco2 += mine + ruled
            else:
                fp.scope2_tco2 += mine + ruled
        fp.electricity_kwh = unit_kwh.get(uid, ZERO) * frac + rest_kwh * r
        fp.upstream = list(upstream.get(p.pk, [])) + [_scaled(u, r) for u in upstream.get(None, [])]
        result.products.append(fp)
    return result


def site_product_footprints(*, site, year: int, period: Period, rule: str = "mass") -> tuple[list[list], set]:
    """Rows [site, product, name, output, unit, basis, basis unit, share, gate-to-gate tCO2, kgCO2 per unit]
    (the green-factory self-evaluation's carbon per unit product: gate-to-gate, the factory's own emissions)."""
    fp = site_footprint(site=site, year=year, period=period, rule=rule)
    return [[f.site, f.product.code, f.product.name, f.output, f.product.unit, f.basis.quantize(Q6), f.basis_unit,
             f.share.quantize(Q6), f.gate_tco2.quantize(Q6), f.per_unit_kg(f.gate_tco2)] for f in fp.products], \
        fp.factor_versions


def allocation_method_text(rule: str) -> str:
    return {
        "mass": _("Allocation by output share (mass): share = product output / total output of the site's products."),
        "economic": _("Allocation by economic value: share = output × unit price of the year / sum over the site's "
                      "products."),
        "energy": _("Allocation by metered energy of production units: share = energy (tce) metered on the "
                    "product's production unit / sum over the units of the site's products; products of one unit "
                    "share it by output."),
    }[rule]


def metered_first_text() -> str:
    return _("Metered production units first: each carrier metered on a product's production unit takes the "
             "unit's share of the site's consumption of that carrier (electricity: of the electricity consumed, "
             "purchased plus self-generated) times the site's emissions of that carrier; products of one unit "
             "share it by output. The rest of the site's emissions (fuels and process emissions not metered per "
             "unit, unmetered electricity) follow the rule below.")


def _dq_rows(fp: ProductFootprint, completeness) -> list:
    up = fp.upstream_tco2
    supplier = sum((u["tco2e"] for u in fp.upstream if u["kind"] == UpstreamFactor.Kind.SUPPLIER), ZERO)
    provisional = sum((u["tco2e"] for u in fp.upstream if u["provisional"]), ZERO)
    total = fp.total_tco2

    def ratio(a, b):
        return (a / b).quantize(Q6) if b else None

    return [fp.site, fp.product.code, ratio(fp.gate_tco2, total), ratio(fp.metered_tco2, fp.gate_tco2),
            ratio(supplier, up), ratio(provisional, up),
            None if completeness is None else completeness.quantize(Q6)]


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
    footprints = [site_footprint(site=s, year=year, period=period, rule=rule) for s in sites] if period else []
    fps = [f for s in footprints for f in s.products]
    versions = sorted({v for s in footprints for v in s.factor_versions})
    q = Decimal.quantize
    products = Table(
        [Column("site", _("Site")), Column("product", _("Product")), Column("name", _("Name")),
         Column("declared_unit", _("Declared unit")), Column("output", _("Output")), Column("unit", _("Unit")),
         Column("boundary", _("System boundary")),
         Column("gate_tco2", _("Gate-to-gate emissions"), "tCO2e"),
         Column("upstream_tco2", _("Upstream (purchased materials)"), "tCO2e"),
         Column("tco2", _("Footprint, total"), "tCO2e"),
         Column("gate_kg_per_unit", _("Gate-to-gate per unit"), "kgCO2e/unit"),
         Column("upstream_kg_per_unit", _("Upstream per unit"), "kgCO2e/unit"),
         Column("kgco2_per_unit", _("Footprint per declared unit"), "kgCO2e/unit")],
        [[f.site, f.product.code, f.product.name, f"1 {f.product.unit}", f.output, f.product.unit,
          _("cradle-to-gate") if f.upstream else _("gate-to-gate"), q(f.gate_tco2, Q6), q(f.upstream_tco2, Q6),
          q(f.total_tco2, Q6), f.per_unit_kg(f.gate_tco2), f.per_unit_kg(f.upstream_tco2),
          f.per_unit_kg(f.total_tco2)] for f in fps])
    allocation = Table(
        [Column("site", _("Site")), Column("product", _("Product")),
         Column("unit_of_production", _("Production unit")),
         Column("metered_tco2", _("Through metered production units"), "tCO2e"),
         Column("basis", _("Rule basis")), Column("basis_unit", _("Basis unit")),
         Column("share", _("Rule share"), "ratio"), Column("rule_tco2", _("By the rule"), "tCO2e"),
         Column("scope1_tco2", _("of which scope 1"), "tCO2e"), Column("scope2_tco2", _("of which scope 2"), "tCO2e"),
         Column("gate_tco2", _("Gate-to-gate emissions"), "tCO2e")],
        [[f.site, f.product.code, f.product.unit_of_production.code if f.product.unit_of_production else "",
          q(f.metered_tco2, Q6), q(f.basis, Q6), f.basis_unit, q(f.share, Q6), q(f.rule_tco2, Q6),
          q(f.scope1_tco2, Q6), q(f.scope2_tco2, Q6), q(f.gate_tco2, Q6)] for f in fps])
    upstream = Table(
        [Column("site", _("Site")), Column("product", _("Product")), Column("material", _("Material")),
         Column("material_name", _("Name")), Column("role", _("Role")), Column("quantity", _("Quantity")),
         Column("unit", _("Unit")), Column("factor", _("Factor"), "tCO2e/unit"),
         Column("factor_kind", _("Factor kind")), Column("supplier", _("Supplier")),
         Column("source", _("Source")), Column("provisional", _("Provisional")),
         Column("tco2", _("Embedded emissions"), "tCO2e")],
        [[f.site, f.product.code, u["code"], u["name"], str(MaterialPurchase.Role(u["role"]).label)
          + (" " + _("(shared by the rule)") if u.get("shared") else ""), q(u["quantity"], Decimal("0.0001")),
          u["unit"], u["factor"], str(UpstreamFactor.Kind(u["kind"]).label), u["supplier"], u["source"],
          _("yes") if u["provisional"] else _("no"), q(u["tco2e"], Q6)] for f in fps for u in f.upstream])
    unalloc_rows = [[u["site"], u.get("material", ""), {"no_products": _("no product with output: the site's own "
                                                                          "emissions (e.g. a data centre)"),
                                                         "upstream_no_output": _("purchased material of a site "
                                                                                 "without output")}[u["reason"]],
                     q(u["tco2"], Q6)] for s in footprints for u in s.unallocated]
    unallocated = Table([Column("site", _("Site")), Column("material", _("Material")), Column("reason", _("Reason")),
                         Column("tco2", _("Unallocated emissions"), "tCO2e")], unalloc_rows)
    completeness = {s.site: s.completeness for s in footprints}
    quality = Table(
        [Column("site", _("Site")), Column("product", _("Product")),
         Column("primary_share", _("Site-specific (primary) share of the footprint"), "ratio"),
         Column("metered_share", _("Gate-to-gate share attributed through metered units"), "ratio"),
         Column("supplier_share", _("Upstream share with supplier-specific factors"), "ratio"),
         Column("provisional_share", _("Upstream share with provisional factors"), "ratio"),
         Column("meter_completeness", _("Meter data completeness of the site"), "ratio")],
        [_dq_rows(f, completeness[f.site]) for f in fps])
    gate_only = [f.product.code for f in fps if not f.upstream]
    boundary_notes = [
        _("Gate-to-gate: the site's scope 1 (fuel combustion, process) and scope 2 (purchased electricity and heat, "
          "location-based) emissions of the complete months, attributed to the products as stated under Allocation."),
        _("Cradle-to-gate where upstream data exists: purchased materials and precursors consumed for the product, "
          "times their cradle-to-gate emission factors (supplier-specific or default, with source); see Upstream."),
    ]
    if gate_only:
        boundary_notes.append(_("No upstream data for %(p)s: reported gate-to-gate only (a partial footprint, not "
                                "cradle-to-gate).") % {"p": ", ".join(gate_only)})
    boundary_notes.append(_("Characterisation: GWP100 (tCO2e). Site emissions as accounted in the GHG report; "
                            "upstream factors in tCO2e as given by their sources. Transport of purchased materials, "
                            "capital goods and end-of-life are outside the boundary."))
    boundary_notes += [n for s in footprints for n in s.notes]
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=cut)
    meta.update(standard="ISO 14067:2018 / GB/T 24067-2024", allocation=rule,
                boundary="cradle-to-gate" if fps and not gate_only else
                ("gate-to-gate" if not any(f.upstream for f in fps) else "mixed"),
                gwp="GWP100")
    unalloc_total = sum((u["tco2"] for s in footprints for u in s.unallocated), ZERO)
    return Document(
        kind="footprint", title=_("Product carbon footprint %(year)s") % {"year": year},
        meta=meta,
        sections=[
            Section("products", _("Footprint per declared unit"), [products],
                    [*coverage_notes(cut), *boundary_notes],
                    charts=[Chart(_("Footprint per declared unit"), "kgCO2e/unit",
                                  [(f"{f.site} {f.product.code}", f.per_unit_kg(f.total_tco2)) for f in fps])]),
            Section("allocation", _("Allocation"), [allocation],
                    [metered_first_text(), allocation_method_text(rule),
                     _("A site with a single product gives it all the site's emissions.")]),
            Section("upstream", _("Upstream: purchased materials and precursors"), [upstream],
                    [_("Embedded emissions = quantity consumed × cradle-to-gate factor. Provisional factors are "
                       "values not yet confirmed by the enterprise or its suppliers.")]),
            Section("unallocated", _("Unallocated emissions"), [unallocated],
                    [_("Emissions within the enterprise that no product takes are listed here, not dropped: "
                       "%(t)s tCO2e.") % {"t": q(unalloc_total, Q6)}]),
            Section("data_quality", _("Data quality"), [quality],
                    [_("Primary share: gate-to-gate emissions (measured at the site) / total footprint. Metered "
                       "share: the part attributed through production-unit meters rather than by the rule.")]),
        ],
        factor_versions=versions,
    )
