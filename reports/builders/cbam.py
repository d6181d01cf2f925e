"""EU CBAM communication of an installation for a reporting period (Regulation (EU) 2023/956, Implementing
Regulation (EU) 2023/1773): the data of the Commission's "communication template for installations", one section
per sheet of that workbook (A_InstData, B_EmInst, C_Emissions&Energy, D_Processes, E_PurchPrec, Summary_Products).

An installation is a site with `reports.CbamInstallation` data; its goods are the site's products with a CN code and
output in the period. Figures come from the product footprint (`reports.builders.footprint.site_footprint`): direct
= the scope 1 emissions attributed to the good, indirect = its scope 2 (electricity consumed × factor), precursors =
purchased precursors (`MaterialPurchase.role == precursor`) × their embedded emissions. Specific embedded emissions
(SEE) are per tonne of good: SEE_direct = (attributed direct + precursors' direct) / quantity, likewise indirect.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from carbon.kpis import site_figures
from carbon.periods import Coverage, Period, period_coverage
from energy_platform.errors import ApplicationError

from ..labels import source_name
from ..models import CarbonPricePaid, CbamInstallation, MaterialPurchase, UpstreamFactor
from . import Column, Document, Section, Table, coverage_notes, subject_meta
from .footprint import Q6, ZERO, ProductFootprint, SiteFootprint, site_footprint

Q4 = Decimal("0.0001")
SHEETS = ("A_InstData", "B_EmInst", "C_Emissions&Energy", "D_Processes", "E_PurchPrec", "Summary_Products")


def _precursors(fp: ProductFootprint) -> list[dict]:
    return [u for u in fp.upstream if u["role"] == MaterialPurchase.Role.PRECURSOR]


def _per_t(value: Decimal, output: Decimal) -> Decimal:
    return (value / output).quantize(Q6) if output else ZERO


def cbam_goods(*, fp: SiteFootprint) -> list[dict]:
    """The CBAM figures of each good (product with a CN code) of a site's footprint, unrounded totals and SEE per
    tonne (6 decimals)."""
    out = []
    for f in fp.products:
        if not f.product.cn_code:
            continue
        prec = _precursors(f)
        prec_direct = sum((u["tco2e"] - u["indirect_tco2e"] for u in prec), ZERO)
        prec_indirect = sum((u["indirect_tco2e"] for u in prec), ZERO)
        mwh = f.electricity_kwh / 1000
        out.append({
            "footprint": f, "cn_code": f.product.cn_code, "quantity_t": f.output,
            "attributed_direct_tco2e": f.scope1_tco2, "attributed_indirect_tco2e": f.scope2_tco2,
            "precursor_direct_tco2e": prec_direct, "precursor_indirect_tco2e": prec_indirect,
            "electricity_mwh": mwh,
            "see_direct": _per_t(f.scope1_tco2 + prec_direct, f.output),
            "see_indirect": _per_t(f.scope2_tco2 + prec_indirect, f.output),
            "see_precursors": _per_t(prec_direct + prec_indirect, f.output),
            "electricity_mwh_per_t": _per_t(mwh, f.output),
            "electricity_factor": (f.scope2_tco2 / mwh).quantize(Q6) if mwh else None,
        })
    for g in out:
        g["see_total"] = g["see_direct"] + g["see_indirect"]
    return out


def _kv(rows: list[tuple]) -> Table:
    return Table([Column("field", _("Field")), Column("value", _("Value"))], [list(r) for r in rows])


def build_cbam(*, enterprise, year: int, site=None, options=None) -> Document:
    installations = CbamInstallation.objects.filter(site__enterprise=enterprise).select_related("site")
    if site is not None:
        installations = installations.filter(site=site)
    installations = list(installations.order_by("site__code"))
    if not installations:
        raise ApplicationError("cbam_no_installation", "No CBAM installation data for "
                               f"{site.code if site else enterprise.credit_code}: enter it under Reports › CBAM "
                               "installations.", status_code=400)
    cut = period_coverage(period=Period.year(year)).period
    period = Coverage(cut).complete
    if period is None:
        raise ApplicationError("cbam_no_complete_month", f"{year} has no complete month yet.", status_code=400)
    inst_rows, routes, processes, sources, energy, prec_rows, summary = [], [], [], [], [], [], []
    versions: set = set()
    summary_notes: list[str] = []
    for inst in installations:
        fp = site_footprint(site=inst.site, year=year, period=period, rule="mass")
        versions |= fp.factor_versions
        goods = cbam_goods(fp=fp)
        name = inst.name
        inst_rows += [
            (_("Reporting period start"), period.first.isoformat()),
            (_("Reporting period end"), period.months()[-1].replace(day=_last_day(period.months()[-1])).isoformat()),
            (_("Installation name"), name), (_("Operator"), inst.operator_name),
            (_("Street and number"), inst.street), (_("City"), inst.city), (_("Post code"), inst.postcode),
            (_("Country"), inst.country), (_("UN/LOCODE"), inst.unlocode),
            (_("Latitude"), inst.latitude), (_("Longitude"), inst.longitude),
            (_("Contact e-mail"), inst.contact_email),
        ]
        routes += [[name, r.get("category", ""), r.get("route", ""), ", ".join(r.get("products", []))]
                   for r in inst.production_routes]
        figures = site_figures(site=inst.site, period=period)
        em = figures["emissions"]
        sources += [[name, source_name(ln["source"]), ln["activity_amount"], ln["activity_unit"], ln["factor_value"],
                     ln["factor_unit"], ln["factor_source"], ln["tco2"]]
                    for ln in em["lines"] if ln["scope"] == "scope1"]
        consumed_mwh = Decimal(figures["electricity_kwh"]) / 1000
        elec = fp.electricity_factor or {"value": None, "source": "", "grid_mwh": ZERO}
        own_mwh = consumed_mwh - elec["grid_mwh"]
        if own_mwh > 0 and consumed_mwh:
            pct = (own_mwh * 100 / consumed_mwh).quantize(Decimal("0.01"))
            summary_notes.append(f"{name}: " + _("%(pct)s %% of the electricity consumed is generated on site "
                                                 "(0 tCO2/MWh): the good's factor is the consumption-weighted "
                                                 "mean") % {"pct": pct})
        energy += [[name, em["scope1_tco2"].quantize(Q6), consumed_mwh.quantize(Q4), elec["grid_mwh"].quantize(Q4),
                    own_mwh.quantize(Q4), None if elec["value"] is None else elec["value"].quantize(Q6),
                    elec["source"], em["scope2_tco2"].quantize(Q6)]]
        for g in goods:
            f = g["footprint"]
            processes.append([name, f.product.code, f.product.name, g["cn_code"], g["quantity_t"],
                              g["attributed_direct_tco2e"].quantize(Q6), g["electricity_mwh"].quantize(Q4),
                              g["electricity_factor"], g["attributed_indirect_tco2e"].quantize(Q6),
                              g["precursor_direct_tco2e"].quantize(Q6), g["precursor_indirect_tco2e"].quantize(Q6)])
            prec_rows.extend([name, f.product.code, u["code"], u["name"], u["cn_code"], u["supplier"],
                              u["quantity"].quantize(Q4), u["factor"] - u["factor_indirect"], u["factor_indirect"],
                              str(UpstreamFactor.Kind(u["kind"]).label), u["source"],
                              _("yes") if u["provisional"] else _("no")] for u in _precursors(f))
            prices = list(CarbonPricePaid.objects.filter(product=f.product, year=year).order_by("instrument"))
            price_text = "; ".join(f"{p.instrument}: {p.price_per_tco2e} {p.currency}/tCO2e × ("
                                   f"{p.covered_tco2e_per_unit} − {p.free_allocation_tco2e_per_unit}) tCO2e/t"
                                   f"{' (' + _('provisional') + ')' if p.provisional else ''}" for p in prices)
            currencies = {p.currency for p in prices}
            amount = sum((p.amount_per_unit for p in prices), ZERO) if len(currencies) == 1 else None
            summary.append([name, f.product.code, f.product.name, g["cn_code"], g["quantity_t"], g["see_direct"],
                            g["electricity_mwh_per_t"], g["electricity_factor"], elec["source"], g["see_indirect"],
                            g["see_precursors"], g["see_total"],
                            None if amount is None else amount.quantize(Q4),
                            next(iter(currencies)) if len(currencies) == 1 else "", price_text or _("none")])
    t = "tCO2e"
    sections = [
        Section("A_InstData", _("A_InstData: installation, production routes and processes"), [
            _kv(inst_rows),
            Table([Column("installation", _("Installation")), Column("category", _("Aggregated goods category")),
                   Column("route", _("Production route")), Column("products", _("Products"))], routes),
        ], [*coverage_notes(cut),
            _("Reporting period: the complete months of %(y)s (CBAM reports a calendar year).") % {"y": year}]),
        Section("B_EmInst", _("B_EmInst: emission sources of the installation (fuels and processes)"), [
            Table([Column("installation", _("Installation")), Column("source", _("Source")),
                   Column("activity", _("Activity data")), Column("activity_unit", _("Unit")),
                   Column("factor", _("Emission factor")), Column("factor_unit", _("Factor unit")),
                   Column("factor_source", _("Factor source")), Column("tco2", _("Emissions"), t)], sources)],
            [_("Electricity is not a source here; it is in C_Emissions&Energy.")]),
        Section("C_Emissions&Energy", _("C_Emissions&Energy: installation totals"), [
            Table([Column("installation", _("Installation")), Column("direct_tco2", _("Direct emissions"), t),
                   Column("electricity_mwh", _("Electricity consumed"), "MWh"),
                   Column("grid_mwh", _("of which from the grid"), "MWh"),
                   Column("own_mwh", _("of which generated on site"), "MWh"),
                   Column("electricity_factor", _("Emission factor of grid electricity"), "tCO2/MWh"),
                   Column("electricity_factor_source", _("Source of the emission factor")),
                   Column("indirect_tco2", _("Indirect emissions"), t)], energy)],
            [_("Indirect emissions = electricity from the grid × its emission factor; electricity generated on "
               "site (PV) carries no emissions.")]),
        Section("D_Processes", _("D_Processes: production processes (one per good)"), [
            Table([Column("installation", _("Installation")), Column("product", _("Product")),
                   Column("name", _("Name")), Column("cn_code", _("CN code")),
                   Column("quantity", _("Production"), "t"),
                   Column("direct_tco2", _("Directly attributable emissions"), t),
                   Column("electricity_mwh", _("Electricity consumed"), "MWh"),
                   Column("electricity_factor", _("Emission factor of electricity"), "tCO2/MWh"),
                   Column("indirect_tco2", _("Indirect emissions"), t),
                   Column("precursor_direct", _("Precursors' direct embedded emissions"), t),
                   Column("precursor_indirect", _("Precursors' indirect embedded emissions"), t)], processes)],
            [_("Attribution to goods as in the product footprint: metered production units first, then output "
               "share (mass).")]),
        Section("E_PurchPrec", _("E_PurchPrec: purchased precursors"), [
            Table([Column("installation", _("Installation")), Column("product", _("Used for")),
                   Column("precursor", _("Precursor")), Column("name", _("Name")), Column("cn_code", _("CN code")),
                   Column("supplier", _("Supplier")), Column("quantity", _("Quantity"), "t"),
                   Column("see_direct", _("Specific direct embedded emissions"), "tCO2e/t"),
                   Column("see_indirect", _("Specific indirect embedded emissions"), "tCO2e/t"),
                   Column("kind", _("Data")), Column("source", _("Source")),
                   Column("provisional", _("Provisional"))], prec_rows)],
            [_("Default values are allowed only where actual data of the precursor's installation is not "
               "available; provisional values are to be replaced by the supplier's communication.")]),
        Section("Summary_Products", _("Summary_Products: specific embedded emissions per good"), [
            Table([Column("installation", _("Installation")), Column("product", _("Product")),
                   Column("name", _("Name")), Column("cn_code", _("CN code")),
                   Column("quantity", _("Production"), "t"),
                   Column("see_direct", _("Specific direct embedded emissions"), "tCO2e/t"),
                   Column("electricity_per_t", _("Electricity consumption"), "MWh/t"),
                   Column("electricity_factor", _("Emission factor of electricity"), "tCO2/MWh"),
                   Column("electricity_factor_source", _("Source of the emission factor")),
                   Column("see_indirect", _("Specific indirect embedded emissions"), "tCO2e/t"),
                   Column("see_precursors", _("of which precursors (direct + indirect)"), "tCO2e/t"),
                   Column("see_total", _("Total specific embedded emissions"), "tCO2e/t"),
                   Column("carbon_price", _("Carbon price due per tonne of good")),
                   Column("currency", _("Currency")), Column("carbon_price_detail", _("Carbon price paid"))],
                  summary)],
            [*summary_notes, _("SEE direct = (attributed direct emissions + precursors' direct embedded emissions) / "
                               "production; SEE indirect likewise with electricity emissions. GWP100, tCO2e.")]),
    ]
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=cut)
    meta.update(standard="Regulation (EU) 2023/956, Implementing Regulation (EU) 2023/1773", gwp="GWP100")
    return Document(kind="cbam", title=_("EU CBAM communication for installations %(year)s") % {"year": year},
                    meta=meta, sections=sections, factor_versions=sorted(versions))


def _last_day(month) -> int:
    import calendar

    return calendar.monthrange(month.year, month.month)[1]
