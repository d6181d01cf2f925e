"""Report builders: turn the accounting backends' figures into a neutral `Document` (title, sections, tables, charts).

Every number comes from `carbon.kpis` / `carbon.emissions` / `carbon.ledger`; builders only arrange them.
`builders()[kind](enterprise=..., year=..., site=None, options={}) -> Document`; with `site` the report covers that
site only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass
class Column:
    key: str
    label: str
    unit: str = ""


@dataclass
class Table:
    columns: list[Column]
    rows: list[list]


@dataclass
class Chart:
    """A horizontal bar chart of `(label, value)` bars, drawn as inline SVG in the PDF (figures also in a table)."""

    title: str
    unit: str
    bars: list[tuple[str, object]]
    #: reference lines `(label, value)`, e.g. score thresholds
    lines: list[tuple[str, object]] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Document:
    kind: str
    title: str
    meta: dict
    sections: list[Section] = field(default_factory=list)
    factor_versions: list[str] = field(default_factory=list)
    ledger_head: str = ""


#: Printed labels of `Document.meta` keys (the keys themselves stay English in JSON/CSV/XLSX).
META_LABELS = {
    "enterprise": _("Enterprise"), "credit_code": _("Unified social credit code"), "site": _("Site"),
    "year": _("Year"), "period": _("Period"), "electricity_method": _("Electricity conversion method"),
    "standard": _("Standard"), "ledger_head": _("Ledger hash-chain head"), "allocation": _("Allocation rule"),
    "edition": _("Edition"), "provisional": _("Provisional reference values"), "scope": _("Scope"),
    "through": _("To date, through"), "complete_months": _("Intensities over the complete months"),
    "verdict": _("Conclusion"), "total_score": _("Total points"), "sector": _("Sector guideline"),
    "ledger_status": _("Ledger status"),
    "boundary": _("System boundary"), "gwp": _("Characterisation"),
}


def subject_meta(*, enterprise, site, year: int, period) -> dict:
    """`period` as cut by `carbon.periods.period_coverage`: a period in progress names the day it runs through."""
    from carbon.periods import Coverage

    meta = {"enterprise": enterprise.name, "credit_code": enterprise.credit_code}
    if site is not None:
        meta["site"] = f"{site.code} {site.name}"
    meta.update(year=year, period=str(period))
    cov = Coverage(period)
    if cov.in_progress:
        meta["through"] = cov.through.isoformat() if cov.through else ""
        meta["complete_months"] = (f"{cov.complete_months[0]}..{cov.complete_months[-1]}" if cov.complete_months
                                   else str(_("none (month in progress)")))
    return meta


def coverage_notes(period) -> list[str]:
    """The sentence every document of a period in progress carries (the same cut in all four reports)."""
    from carbon.periods import Coverage

    cov = Coverage(period)
    if not cov.in_progress:
        return []
    text = str(_("Period in progress: figures to date, through %(d)s.")) % {"d": cov.through}
    if cov.complete_months:
        text += " " + str(_("Intensities over the complete months %(a)s to %(b)s, numerator and denominator "
                            "alike.")) % {"a": cov.complete_months[0], "b": cov.complete_months[-1]}
    else:
        text += " " + str(_("No intensity: month in progress."))
    return [text]


def builders() -> dict:
    from .cbam import build_cbam
    from .energy import build_energy
    from .footprint import build_footprint
    from .ghg import build_ghg
    from .green_factory import build_green_factory

    return {"energy": build_energy, "ghg": build_ghg, "footprint": build_footprint,
            "green_factory": build_green_factory, "cbam": build_cbam}


NOT_BUILT: dict = {}
