"""GHG emissions report of an enterprise or one site per GB/T 32150-2015 and the sector guideline (GB/T 32151
series): boundary and facilities, emission sources, combustion by fuel with its parameters, process emissions,
purchased and exported electricity and heat, gases and GWP, biomass, monthly MRV status, data quality and
uncertainty, ledger status. Figures from `carbon.kpis` (closed months as recorded at close), `carbon.emissions`,
`carbon.process`, `carbon.mrv` and the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carbon.closed import period_status
from carbon.emissions import FUEL_CARRIERS, SCOPE2_CARRIERS, enterprise_heating_values, substitution_text
from carbon.energy import _sign, meter_quantities
from carbon.kpis import site_emissions_frozen
from carbon.ledger import GENESIS, ledger_head
from carbon.models import EmissionFactor, GhgSector, ProcessFactor
from carbon.mrv import mrv_status, plan_items
from carbon.periods import Period, period_coverage
from carbon.process import SECTOR_GASES, ghg_sector, process_lines
from carbon.reference_data import GWP, GWP_SOURCE_EN, GWP_SOURCE_ZH
from energy_platform.numbers import exact
from meters.models import Carrier, Meter
from meters.units import unit_scale
from plants.models import ProductionUnit

from ..formatting import excluded_note
from ..labels import carrier_name, localized, province_name, published_factor_source, source_name
from . import Chart, Column, Document, Section, Table, coverage_notes, subject_meta
from .heating import heating_values_section

SECTOR_STANDARD = {GhgSector.STEEL: "GB/T 32151.5-2015", GhgSector.CEMENT: "GB/T 32151.8-2015",
                   GhgSector.ALUMINIUM: "GB/T 32151.4-2015", GhgSector.GENERAL: ""}


def _site_kind(kind: str) -> str:
    return {"factory": _("factory"), "data_center": _("data center"), "base_station_fleet": _("base-station fleet"),
            "industrial_park": _("industrial park")}.get(kind, kind)


def _sector_name(sector: str) -> str:
    return {GhgSector.STEEL: _("iron and steel production (GB/T 32151.5-2015)"),
            GhgSector.CEMENT: _("cement production (GB/T 32151.8-2015)"),
            GhgSector.ALUMINIUM: _("aluminium smelting (GB/T 32151.4-2015)"),
            GhgSector.GENERAL: _("general method (GB/T 32150-2015)")}[sector]


def _lines_table(lines: list[dict], name, source) -> Table:
    return Table(
        [Column("site", _("Site")), Column("source", _("Source code")), Column("source_name", _("Source")),
         Column("activity_amount", _("Activity data")), Column("activity_unit", _("Unit")),
         Column("factor_value", _("Emission factor")), Column("factor_unit", _("Factor unit")),
         Column("factor_version", _("Factor version")), Column("factor_source", _("Published source")),
         Column("tco2", _("Emissions"), "tCO2")],
        [[ln["site"], ln["source"], name(ln), ln["activity_amount"], ln["activity_unit"],
          ln["factor_value"], ln["factor_unit"], ln["factor_version"], source(ln), ln["tco2"]]
         for ln in lines],
    )


def _by_source(lines: list[dict], name) -> list[tuple[str, object]]:
    totals: dict[str, object] = {}
    for ln in lines:
        totals[name(ln)] = totals.get(name(ln), 0) + ln["tco2"]
    return list(totals.items())


def _is_process(ln: dict) -> bool:
    return ln["source"].startswith("process: ")


def _factor_source(ln: dict, factors: dict[int, EmissionFactor]) -> str:
    if ln.get("measured"):
        return published_factor_source(kind="fuel", carrier=ln["source"], geography="", data_year=None,
                                       set_name=ln["measured"].get("lab_report_number", ""), publisher="",
                                       purpose="", measured=True)
    f = factors.get(ln.get("factor_id") or 0)
    if f is None:
        return ln.get("factor_source", "")
    return published_factor_source(kind=f.kind, carrier=f.carrier, geography=f.geography,
                                   data_year=f.factor_set.data_year, set_name=f.factor_set.name,
                                   publisher=f.factor_set.publisher, purpose=f.factor_set.purpose)


def _split_supply(sites: list, period: Period, lines: list[dict]) -> dict[tuple[str, str], Decimal]:
    """Exported (supplied to others) electricity and heat per (site, carrier), in the factor's activity unit."""
    out: dict[tuple[str, str], Decimal] = {}
    units = {(ln["site"], ln["source"]): ln["activity_unit"] for ln in lines if ln["scope"] == "scope2"}
    for s in sites:
        for m in meter_quantities(site=s, period=period):
            if m.carrier in SCOPE2_CARRIERS and _sign(m) < 0 and (s.code, m.carrier) in units:
                scale = unit_scale(from_unit=m.unit, to_unit=units[(s.code, m.carrier)]) or Decimal(0)
                key = (s.code, m.carrier)
                out[key] = out.get(key, Decimal(0)) + exact(m.quantity) * scale
    return out


def _pv_mwh(sites: list, period: Period) -> Decimal:
    total = Decimal(0)
    for s in sites:
        for m in meter_quantities(site=s, period=period):
            if m.carrier == Carrier.PV_GENERATION and m.parent_id is None:
                total += exact(m.quantity) * (unit_scale(from_unit=m.unit, to_unit="kWh") or Decimal(0)) / 1000
    return total


def build_ghg(*, enterprise, year: int, site=None, options=None) -> Document:
    period = period_coverage(period=Period.year(year)).period  # cut at today when in progress, like every report
    sites = [site] if site is not None else list(enterprise.sites.all())
    # Closed months as recorded at close (carbon.kpis), open months from the rollups.
    per_site = [site_emissions_frozen(site=s, period=period) for s in sites]
    e = {k: sum((s[k] for s in per_site), Decimal(0)) for k in ("scope1_tco2", "scope2_tco2", "total_tco2")}
    e.update(sites=per_site, factor_versions=sorted({v for s in per_site for v in s["factor_versions"]}))
    e["excluded_meters"] = [x for s in per_site for x in s.get("excluded_meters", [])]
    lines = [{**ln, "site": s["site"]} for s in e["sites"] for ln in s["lines"]]
    scope1 = [ln for ln in lines if ln["scope"] == "scope1"]
    scope2 = [ln for ln in lines if ln["scope"] == "scope2"]
    combustion = [ln for ln in scope1 if not _is_process(ln)]
    process = [ln for ln in scope1 if _is_process(ln)]
    factors = EmissionFactor.objects.select_related("factor_set").in_bulk(
        {ln["factor_id"] for ln in lines if ln.get("factor_id")})
    months = [m for m in period.months() if period.until is None or m < period.until]
    sector = ghg_sector(enterprise=enterprise, site=site)
    # The ledger is kept per enterprise: a site report names the enterprise's chain head it was built against.
    head = ledger_head(enterprise=enterprise)
    status = period_status(enterprise_id=enterprise.pk, period=period)

    # -- summary: scope totals (first table, as every export reads it) and the GB/T 32150 breakdown ---------------
    summary = Table(
        [Column("indicator", _("Indicator")), Column("value", _("Value")), Column("unit", _("Unit"))],
        [[_("Scope 1 (direct)"), e["scope1_tco2"], "tCO2"], [_("Scope 2 (purchased energy)"), e["scope2_tco2"], "tCO2"],
         [_("Total"), e["total_tco2"], "tCO2"]],
    )
    exported = _split_supply(sites, period, lines)
    e_comb = sum((ln["tco2"] for ln in combustion), Decimal(0))
    e_proc = sum((ln["tco2"] for ln in process), Decimal(0))
    supply: dict[str, Decimal] = {"electricity": Decimal(0), "heat": Decimal(0)}
    net: dict[str, Decimal] = {"electricity": Decimal(0), "heat": Decimal(0)}
    for ln in scope2:
        group = "electricity" if ln["source"] == Carrier.ELECTRICITY else "heat"
        net[group] += ln["tco2"]
        supply[group] += (exported.get((ln["site"], ln["source"]), Decimal(0)) * ln["factor_value"]).quantize(
            Decimal("0.000001"))
    biomass = [{**b, "site": s.code} for s in sites for b in process_lines(site=s, months=months)[1]]
    pfactors = ProcessFactor.objects.in_bulk({ln["process_factor_id"] for ln in process + biomass
                                              if ln.get("process_factor_id")})
    breakdown = Table(
        [Column("item", _("Item (GB/T 32150-2015)")), Column("value", _("Emissions"), "tCO2")],
        [[_("Fuel combustion"), e_comb], [_("Industrial processes"), e_proc],
         [_("Purchased electricity"), net["electricity"] + supply["electricity"]],
         [_("Purchased heat"), net["heat"] + supply["heat"]],
         [_("Electricity supplied to others (subtracted)"), -supply["electricity"]],
         [_("Heat supplied to others (subtracted)"), -supply["heat"]],
         [_("Total"), e["total_tco2"]],
         [_("Biomass CO2 (memo item, not in the total)"), sum((b["tco2"] for b in biomass), Decimal(0))]])
    ledger_note = (_("Closed months %(months)s; hash-chain head %(h)s.") % {
        "months": ", ".join(status["closed_months"]), "h": head} if status["closed_months"] else "")
    provisional = not status["closed"]
    ledger_text = (_("Provisional: periods open (%(n)s of %(m)s months closed); the figures may still change.")
                   % {"n": len(status["closed_months"]), "m": len(months)} if provisional
                   else _("Final: every month of the period is closed."))

    # -- boundary and facilities ----------------------------------------------------------------------------------
    facilities = Table(
        [Column("site", _("Site")), Column("name", _("Facility")), Column("kind", _("Kind")),
         Column("province", _("Province")), Column("sector", _("Sector guideline")),
         Column("units", _("Production units"))],
        [[s.code, s.name, _site_kind(s.kind), province_name(s.region_code),
          _sector_name(ghg_sector(enterprise=enterprise, site=s)),
          ", ".join(u.name for u in ProductionUnit.objects.filter(site=s, parent__isnull=True))] for s in sites])
    # -- emission sources -----------------------------------------------------------------------------------------
    source_rows = []
    for s in sites:
        for carrier in sorted(set(s.meters.filter(parent__isnull=True).values_list("carrier", flat=True))):
            if carrier in FUEL_CARRIERS:
                source_rows.append([s.code, _("Fuel combustion"), carrier_name(carrier), "CO2"])
            elif carrier in SCOPE2_CARRIERS:
                source_rows.append([s.code, _("Purchased electricity and heat"), carrier_name(carrier), "CO2"])
    source_rows += [[ln["site"], _("Industrial processes"), _process_name(ln, pfactors), ln.get("gas", "CO2")]
                    for ln in process]
    source_rows += [[b["site"], _("Biomass (memo item)"), _process_name(b, pfactors), "CO2"] for b in biomass]
    sources = Table([Column("site", _("Site")), Column("category", _("Category")), Column("source", _("Source")),
                     Column("gas", _("Gas"))], source_rows)
    measured_fuels = {(ln["site"], ln["source"]) for ln in combustion if ln.get("measured")}
    # -- combustion by fuel -----------------------------------------------------------------------------------------
    comb_table = Table(
        [Column("site", _("Site")), Column("fuel", _("Fuel")), Column("month", _("Month")),
         Column("activity", _("Activity data")), Column("unit", _("Unit")),
         Column("ncv", _("Net calorific value (GJ per unit)")), Column("cc", _("Carbon content (tC/TJ)")),
         Column("of", _("Oxidation rate")), Column("parameters", _("Parameters")),
         Column("source", _("Published source")), Column("tco2", _("Emissions"), "tCO2")],
        [[ln["site"], carrier_name(ln["source"]), ln.get("month") or (
            _("months without confirmed values") if (ln["site"], ln["source"]) in measured_fuels
            else _("whole period")), ln["activity_amount"],
          ln["activity_unit"], ln.get("ncv_gj_per_unit"), ln.get("carbon_content_tc_per_tj"), ln.get("oxidation_rate"),
          _("measured") if ln.get("measured") else _("default"), _factor_source(ln, factors), ln["tco2"]]
         for ln in combustion])
    # -- process ----------------------------------------------------------------------------------------------------
    proc_table = Table(
        [Column("site", _("Site")), Column("material", _("Material or product")), Column("role", _("Role")),
         Column("activity", _("Activity data")), Column("unit", _("Unit")), Column("gas", _("Gas")),
         Column("factor", _("Factor (t gas per unit)")), Column("gwp", _("GWP")),
         Column("source", _("Published source")), Column("provisional", _("Provisional")),
         Column("tco2", _("Emissions"), "tCO2e")],
        [_process_row(ln, pfactors) for ln in process])
    # -- electricity and heat ---------------------------------------------------------------------------------------
    ehrows = []
    for ln in scope2:
        out_qty = exported.get((ln["site"], ln["source"]), Decimal(0))
        src = _factor_source(ln, factors)
        ehrows.append([ln["site"], _("purchased %(c)s") % {"c": carrier_name(ln["source"])},
                       ln["activity_amount"] + out_qty, ln["activity_unit"], ln["factor_value"], src,
                       ((ln["activity_amount"] + out_qty) * ln["factor_value"]).quantize(Decimal("0.000001"))])
        if out_qty:
            ehrows.append([ln["site"], _("%(c)s supplied to others") % {"c": carrier_name(ln["source"])}, -out_qty,
                           ln["activity_unit"], ln["factor_value"], src,
                           (-out_qty * ln["factor_value"]).quantize(Decimal("0.000001"))])
    eh_table = Table([Column("site", _("Site")), Column("item", _("Item")), Column("activity", _("Activity data")),
                      Column("unit", _("Unit")), Column("factor", _("Emission factor (tCO2 per unit)")),
                      Column("source", _("Published source")), Column("tco2", _("Emissions"), "tCO2")], ehrows)
    pv = _pv_mwh(sites, period)
    eh_notes = [_("Grid factor: the province's average where published, else its grid region's (precedence: "
                  "enterprise, province, grid region, national).")]
    eh_notes.append(_("On-site PV generation: %(mwh)s MWh, consumed inside the boundary: no emissions and no "
                      "purchase, so not in scope 2.") % {"mwh": f"{pv:,.0f}"} if pv
                    else _("On-site PV generation: none metered."))
    # -- gases and GWP ------------------------------------------------------------------------------------------------
    gases = SECTOR_GASES[sector]
    gwp_table = Table([Column("gas", _("Gas")), Column("gwp", _("GWP (100-year)")), Column("source", _("Source"))],
                      [[g, Decimal(GWP[g]), localized(GWP_SOURCE_ZH, GWP_SOURCE_EN)] for g in
                       ("CO2", "CH4", "N2O", "CF4", "C2F6")])
    gas_notes = [_("The guideline (%(g)s) accounts: %(gases)s.") % {"g": _sector_name(sector),
                                                                      "gases": ", ".join(gases)}]
    if sector != GhgSector.GENERAL:
        gas_notes.append(_("CH4 and N2O from fuel combustion are not required by this guideline and are not "
                           "reported."))
    else:
        gas_notes.append(_("CH4 and N2O: no source of these gases was identified in the boundary; none reported."))
    # -- biomass --------------------------------------------------------------------------------------------------
    bio_table = Table([Column("site", _("Site")), Column("source", _("Source")), Column("activity", _("Activity data")),
                       Column("unit", _("Unit")), Column("tco2", _("Biogenic CO2"), "tCO2")],
                      [[b["site"], _process_name(b, pfactors), b["activity_amount"], b["activity_unit"], b["tco2"]]
                       for b in biomass])
    # -- MRV --------------------------------------------------------------------------------------------------------
    mrv = mrv_status(enterprise=enterprise, months=months)
    confirmed = set(mrv["confirmed_months"])
    unconfirmed = set(mrv["unconfirmed_months"])
    mrv_table = Table([Column("month", _("Month")), Column("status", _("Monthly MRV status"))],
                      [[f"{m:%Y-%m}", _("confirmed") if m in confirmed else (
                          _("not confirmed") if m in unconfirmed else _("no records"))] for m in months])
    mrv_notes = [_("The annual figures use the confirmed measured values; months not confirmed use the guideline "
                   "defaults for their fuels.")]
    if mrv["unconfirmed"]:
        materials = {f.code: localized(f.name_zh, f.name_en) for f in ProcessFactor.objects.all()}
        mrv_notes.append(_("Not yet confirmed: %(items)s.") % {"items": "; ".join(
            f"{m:%Y-%m} {carrier_name(c) if c in Carrier.values else materials.get(c, c)} ({_status(s)})"
            for m, c, s in mrv["unconfirmed"])})
    plan = Table([Column("subject", _("Fuel or material")), Column("parameter", _("Parameter")),
                  Column("method", _("Method and standard")), Column("frequency", _("Frequency")),
                  Column("responsible", _("Responsible")), Column("evidence", _("Evidence"))],
                 [[p.subject, p.parameter, p.method, p.frequency, p.responsible, p.get_evidence_kind_display()]
                  for p in plan_items(enterprise=enterprise)])
    # -- data quality and uncertainty ---------------------------------------------------------------------------------
    dq_rows = []
    meters = Meter.objects.filter(site__in=sites, parent__isnull=True)
    for carrier in sorted({ln["source"] for ln in combustion + scope2}):
        classes = sorted({c or "—" for c in meters.filter(carrier=carrier).values_list("accuracy_class", flat=True)})
        measured_n = len({ln.get("month") for ln in combustion if ln["source"] == carrier and ln.get("measured")})
        provisional_f = any(ln.get("provisional") for ln in lines if ln["source"] == carrier)
        dq_rows.append([carrier_name(carrier), _("boundary meters, accuracy class %(c)s") % {"c": ", ".join(classes)},
                        ngettext("measured in %(n)s month, default otherwise", "measured in %(n)s months, default "
                                 "otherwise", measured_n) % {"n": measured_n} if measured_n else _("default"),
                        _("yes") if provisional_f else _("no")])
    dq_rows += [[_process_name(ln, pfactors), _("monthly entry with evidence (weighbridge, invoice)"), _("default"),
                 _("yes") if ln.get("provisional") else _("no")] for ln in process]
    dq_table = Table([Column("source", _("Source")), Column("activity", _("Activity data")),
                      Column("parameters", _("Parameters")), Column("provisional", _("Provisional reference value"))],
                     dq_rows)
    dq_notes = [_("Data-quality management: activity data from the boundary meters' readings (quality-checked, gaps "
                  "listed) and from monthly entries with evidence; measured parameters from accredited laboratory "
                  "reports; each monthly record is entered, checked and confirmed by different roles."),
                _("Uncertainty (qualitative, GB/T 32150-2015): lowest where metered activity data and measured "
                  "parameters are used; higher where guideline defaults or provisional reference values stand in. "
                  "No quantitative uncertainty is computed.")]

    def name(ln: dict) -> str:
        return _process_name(ln, pfactors) if _is_process(ln) else source_name(ln["source"])

    def source(ln: dict) -> str:
        f = pfactors.get(ln.get("process_factor_id") or 0)
        return localized(f.source_zh, f.source_en) if f is not None else _factor_source(ln, factors)

    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=period)
    meta.update(standard="GB/T 32150-2015" + (f"; {SECTOR_STANDARD[sector]}" if SECTOR_STANDARD[sector] else ""),
                sector=_sector_name(sector), ledger_status=ledger_text, ledger_head=head)
    return Document(
        kind="ghg", title=_("Greenhouse gas emissions report %(year)s") % {"year": year},
        meta=meta,
        sections=[
            Section("summary", _("Summary"), [summary, breakdown],
                    [ledger_text, *coverage_notes(period), *excluded_note(e["excluded_meters"])],
                    charts=[Chart(_("Emissions by scope"), "tCO2", [(_("Scope 1 (direct)"), e["scope1_tco2"]),
                                                                     (_("Scope 2 (purchased energy)"),
                                                                      e["scope2_tco2"])])]),
            Section("boundary", _("Boundary and facilities"), [facilities],
                    [_("Boundary: the enterprise's main, auxiliary and ancillary production systems at the sites "
                       "listed; sector guideline: %(s)s.") % {"s": _sector_name(sector)}]),
            Section("sources", _("Emission sources"), [sources]),
            Section("combustion", _("Fuel combustion by fuel"), [comb_table],
                    [_("E = activity × NCV × carbon content × oxidation rate × 44/12; measured values of confirmed "
                       "months take precedence over the defaults.")]),
            Section("process", _("Industrial process emissions"), [proc_table],
                    [_("Process emissions per the sector guideline; carbon fixed in products is subtracted. Factors "
                       "marked provisional are defaults not yet verified against the guideline text.")]
                    if process else [_("No process activity data entered for the period.")]),
            Section("electricity_heat", _("Purchased and supplied electricity and heat"), [eh_table], eh_notes),
            Section("gases", _("Greenhouse gases and GWP values"), [gwp_table], gas_notes),
            Section("biomass", _("Biomass (reported separately)"), [bio_table],
                    [_("Biogenic CO2 from biomass is reported separately and is not in the total.")]),
            Section("scope1", _("Scope 1 by source"), [_lines_table(scope1, name, source)],
                    charts=[Chart(_("Scope 1 by source"), "tCO2", _by_source(scope1, name))] if scope1 else []),
            Section("scope2", _("Scope 2 by carrier"), [_lines_table(scope2, name, source)],
                    charts=[Chart(_("Scope 2 by carrier"), "tCO2", _by_source(scope2, name))] if scope2 else []),
            heating_values_section(enterprise_heating_values(enterprise=enterprise, period=period, site=site),
                                   sorted({f"{ln['source']}: {substitution_text(ln)}" for ln in lines
                                           if ln.get("factor_substituted")})),
            Section("mrv", _("Monthly MRV and data-quality control plan"), [mrv_table, plan], mrv_notes),
            Section("data_quality", _("Data quality and uncertainty"), [dq_table], dq_notes),
            Section("green_electricity", _("Green electricity (reported separately, not netted)"), [green_table(e)]),
            Section("ledger", _("Ledger"), [], [ledger_text, *([ledger_note] if ledger_note else []),
                                                _("Hash-chain head: %(h)s") % {"h": head}]
                    + ([_("No month is closed: the hash-chain head is the genesis value.")] if head == GENESIS
                       else [])),
        ],
        factor_versions=e["factor_versions"], ledger_head=head,
    )


def green_table(e: dict) -> Table:
    return Table(
        [Column("site", _("Site")), Column("metered_green_power_mwh", _("Metered green power"), "MWh"),
         Column("certificates_mwh", _("Green certificates"), "MWh")],
        [[s["site"], s["green_electricity"]["metered_green_power_mwh"], s["green_electricity"]["certificates_mwh"]]
         for s in e["sites"]],
    )


def _status(code: str) -> str:
    return {"entered": _("entered"), "checked": _("checked"), "confirmed": _("confirmed")}.get(code, code)


def _process_name(ln: dict, pfactors: dict[int, ProcessFactor]) -> str:
    f = pfactors.get(ln.get("process_factor_id") or 0)
    if f is None:
        return source_name(ln["source"])
    return localized(f.name_zh, f.name_en)


def _process_row(ln: dict, pfactors: dict[int, ProcessFactor]) -> list:
    f = pfactors.get(ln.get("process_factor_id") or 0)
    if f is None:  # entered as a finished line (ProcessEmission)
        return [ln["site"], source_name(ln["source"]), _("emission"), ln["activity_amount"], ln["activity_unit"],
                "CO2", ln["factor_value"], Decimal(1), ln["factor_source"], _("no"), ln["tco2"]]
    role = {"add": _("emission"), "subtract": _("carbon fixed (subtracted)")}.get(f.direction, f.direction)
    return [ln["site"], localized(f.name_zh, f.name_en), role, ln["activity_amount"], ln["activity_unit"], f.gas,
            f.value, f.gwp, localized(f.source_zh, f.source_en), _("yes") if f.provisional else _("no"), ln["tco2"]]
