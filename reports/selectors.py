"""Reads of the regulator portal: a regulator's jurisdiction (region-code prefixes), its enterprises' KPIs and
reports, and the long-format KPI rows of the bulk export."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import RegulatorJurisdiction
from carbon.kpis import enterprise_kpis, site_kpis
from carbon.periods import Period
from energy_platform.numbers import present_in
from plants.models import Enterprise, Site

from .models import ReportSnapshot

#: (KPI key, unit) of the portal table and the bulk export, in order.
KPI_COLUMNS = [("energy_tce", "tce"), ("value_added_10k_cny", "10^4 CNY"),
               ("energy_per_value_added", "tce/10^4 CNY"), ("scope1_tco2", "tCO2"), ("scope2_tco2", "tCO2"),
               ("total_tco2", "tCO2"), ("carbon_intensity", "tCO2/10^4 CNY"), ("renewable_share", "ratio"),
               ("data_completeness", "ratio")]


def jurisdiction_prefixes(user) -> list[str]:
    if user is None or not user.is_authenticated:
        return []
    return list(RegulatorJurisdiction.objects.filter(user=user).values_list("region_prefix", flat=True))


def jurisdiction_enterprises(user) -> QuerySet[Enterprise]:
    """Enterprises whose GB/T 2260 region code starts with one of the regulator's prefixes (none for others)."""
    prefixes = jurisdiction_prefixes(user)
    if not prefixes:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(reduce(or_, (Q(region_code__startswith=p) for p in prefixes))).order_by(
        "region_code", "credit_code")


PK_MAX = 2**63 - 1


def jurisdiction_enterprise(user, pk: int) -> Enterprise:
    enterprise = jurisdiction_enterprises(user).filter(pk=pk).first() if pk <= PK_MAX else None
    if enterprise is None:
        raise Http404
    return enterprise


def jurisdiction_snapshot(user, pk: int) -> ReportSnapshot:
    if pk > PK_MAX:
        raise Http404
    snap = (ReportSnapshot.objects.filter(pk=pk, status=ReportSnapshot.Status.DONE,
                                          enterprise__in=jurisdiction_enterprises(user))
            .select_related("enterprise", "site").first())
    if snap is None:
        raise Http404
    return snap


def _kpi_values(k: dict) -> dict:
    return {key: k[key]["value"] for key, _unit in KPI_COLUMNS}


def _kpi_reasons(k: dict) -> dict:
    """Why an indicator has no value (the KPI answer's `reason`, e.g. "month_in_progress"), by key."""
    return {key: k[key]["reason"] for key, _unit in KPI_COLUMNS if k[key].get("reason")}


def _kpi_row(k: dict) -> dict:
    return {"kpis": _kpi_values(k), "reasons": _kpi_reasons(k)}


def enterprise_rows(*, user, period: Period) -> list[dict]:
    return [{"enterprise": e, "sites": e.sites.count(),
             **_kpi_row(enterprise_kpis(enterprise=e, period=period, with_yoy=False))}
            for e in jurisdiction_enterprises(user)]


def site_rows(*, enterprise: Enterprise, period: Period) -> list[dict]:
    return [{"site": s, **_kpi_row(site_kpis(site=s, period=period, with_yoy=False))}
            for s in Site.objects.filter(enterprise=enterprise).order_by("code")]


def enterprise_snapshots(*, enterprise: Enterprise) -> QuerySet[ReportSnapshot]:
    return (ReportSnapshot.objects.filter(enterprise=enterprise, status=ReportSnapshot.Status.DONE)
            .select_related("site").prefetch_related("files").order_by("-year", "kind", "site__code", "-version"))


def kpi_export_rows(*, user, period: Period):
    """Long format, one row per (enterprise or site, indicator): the unit in its own column, the period's start and
    end (local dates, end exclusive)."""
    start, end = period.first.isoformat(), period.end_month.isoformat()
    for e in jurisdiction_enterprises(user):
        subjects = [("enterprise", e, None, enterprise_kpis(enterprise=e, period=period, with_yoy=False))]
        subjects += [("site", e, s, site_kpis(site=s, period=period, with_yoy=False))
                     for s in Site.objects.filter(enterprise=e).order_by("code")]
        for level, ent, site, k in subjects:
            for key, unit in KPI_COLUMNS:
                yield [level, ent.credit_code, ent.name, site.code if site else "", ent.region_code if site is None
                       else site.region_code, str(period), start, end, key, present_in(k[key]["value"], unit), unit]


KPI_EXPORT_HEADER = ["level", "credit_code", "enterprise", "site", "region_code", "period", "start", "end",
                     "indicator", "value", "unit"]
