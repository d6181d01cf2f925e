"""Demo data of the energy-carbon centre on top of demo.loader: synthetic degree days, product categories, two
baselines and a project. Nothing here is a reference value: DOMAIN.md has none for steel, so none is invented."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.db import transaction

from carbon.periods import month_add
from energy_platform.errors import ApplicationError
from insights.baselines import last_complete_month
from insights.models import EnergyBaseline, MonthlyWeather, ProductCategory, SavingsProject
from insights.services import baseline_create
from plants.models import Enterprise, Product

from .loader import DEMO_CODE


def _degree_days(month: dt.date) -> tuple[Decimal, Decimal]:
    """Synthetic HDD/CDD (base 18 °C) of a North China month: a cosine with its minimum in mid-January."""
    mean_c = 12.5 - 16.5 * math.cos(2 * math.pi * (month.month - 1.5) / 12)
    days = 30.4
    return (Decimal(str(round(max(0.0, 18 - mean_c) * days, 1))),
            Decimal(str(round(max(0.0, mean_c - 18) * days, 1))))


@transaction.atomic
def insights_demo_load(*, log=print) -> bool:
    enterprise = Enterprise.objects.filter(credit_code=DEMO_CODE).first()
    if enterprise is None:
        log("no demo enterprise: run load_demo first")
        return False
    if EnergyBaseline.objects.filter(site__enterprise=enterprise).exists():
        log("centre demo data already present")
        return False
    sites = {s.code: s for s in enterprise.sites.all()}
    last = last_complete_month(sites["RM1"])
    for code in ("RM1", "DC1"):
        month = dt.date(2025, 1, 1)
        while month <= last:
            hdd, cdd = _degree_days(month)
            MonthlyWeather.objects.get_or_create(site=sites[code], month=month, defaults={
                "hdd": hdd, "cdd": cdd, "source": "demo: synthetic degree days, not observed weather"})
            month = month_add(month, 1)
    for code, category in (("HRC", "hot-rolled coil"), ("REBAR", "rebar")):
        product = Product.objects.filter(site=sites["RM1"], code=code).first()
        if product:
            ProductCategory.objects.get_or_create(product=product, defaults={"category": category})
    fitted = []
    for site, measure, variables in ((sites["RM1"], "energy_tce", ["product:HRC", "product:REBAR"]),
                                     (sites["DC1"], "electricity_kwh", ["cdd"])):
        try:
            fitted.append(baseline_create(site=site, name="2025 基准 baseline", measure=measure,
                                          start_month=dt.date(2025, 1, 1), variables=variables))
        except ApplicationError as exc:
            log(f"baseline of {site.code} not fitted: {exc.detail}")
    SavingsProject.objects.create(
        site=sites["RM1"], name="加热炉余热回收 Furnace waste-heat recovery (demo)", kind="energy_saving",
        commissioned_on=dt.date(2026, 1, 15), expected_savings_tce_per_year=Decimal("800"),
        expected_reduction_tco2_per_year=Decimal("2100"), investment_10k_cny=Decimal("1200"),
        description="Demo project: expected savings are illustrative.")
    log(f"centre demo: weather, product categories, {len(fitted)} baselines, 1 project")
    return True
