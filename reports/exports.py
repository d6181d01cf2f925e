"""Regulator exports: aggregated annual figures of every enterprise a user may see (jurisdiction-scoped)."""

from __future__ import annotations

from accounts import tenancy
from carbon.emissions import enterprise_emissions
from carbon.kpis import enterprise_kpis
from carbon.periods import Period

from .builders import Column, Document, Section, Table


def regulator_export(*, user, year: int, kind: str) -> Document:
    """One row per visible enterprise: energy (kind=energy) or emissions (kind=ghg) for the year."""
    period = Period.year(year)
    enterprises = tenancy.visible_enterprises(user).order_by("region_code", "credit_code")
    if kind == "energy":
        cols = [Column("credit_code", "credit_code"), Column("name", "name"), Column("region_code", "region_code"),
                Column("energy_tce", "energy", "tce"), Column("value_added", "value added", "10^4 CNY"),
                Column("energy_per_value_added", "energy per value added", "tce/10^4 CNY")]
        rows = []
        for e in enterprises:
            k = enterprise_kpis(enterprise=e, period=period, with_yoy=False)
            rows.append([e.credit_code, e.name, e.region_code, k["energy_tce"]["value"],
                         k["value_added_10k_cny"]["value"], k["energy_per_value_added"]["value"]])
    else:
        cols = [Column("credit_code", "credit_code"), Column("name", "name"), Column("region_code", "region_code"),
                Column("scope1_tco2", "scope 1", "tCO2"), Column("scope2_tco2", "scope 2", "tCO2"),
                Column("total_tco2", "total", "tCO2")]
        rows = []
        for e in enterprises:
            m = enterprise_emissions(enterprise=e, period=period)
            rows.append([e.credit_code, e.name, e.region_code, m["scope1_tco2"], m["scope2_tco2"], m["total_tco2"]])
    return Document(kind=f"regulator_{kind}", title=f"{kind} {year}", meta={"year": year, "kind": kind},
                    sections=[Section("enterprises", "enterprises", [Table(cols, rows)])])
