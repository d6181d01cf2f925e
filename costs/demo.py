"""Demo tariffs: called by the demo loader after its sites and meters exist (provisional, illustrative prices)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.apps import apps as global_apps

from meters.models import Carrier
from plants.models import Enterprise

from .models import CarrierPrice, ElectricityTariff, PowerFactorTable, TouCalendar
from .reference_data import load_reference
from .services import costs_recompute

DEMO_SOURCE = "demo: illustrative prices in the shape of a Hebei two-part tariff, not a published price [check]"


def costs_demo_load(*, enterprise: Enterprise, compute: bool = True) -> int:
    """Give the demo enterprise's sites a provisional tariff of their province's calendar and gas and water prices;
    compute their cost. Returns the number of tariffs created."""
    load_reference(global_apps)  # a flushed test database has lost the migration's rows
    created = 0
    valid_from = dt.date(2024, 1, 1)
    pf = PowerFactorTable.objects.filter(enterprise__isnull=True, standard=Decimal("0.90")).first()
    flat = Decimal("0.620000")
    for site in enterprise.sites.all():
        calendar = TouCalendar.objects.filter(enterprise__isnull=True, province_code=site.region_code[:2]).first()
        if calendar is None:
            continue
        two_part = site.kind != "base_station_fleet"
        ElectricityTariff.objects.create(
            site=site, name=f"{site.code} 两部制 1-10 kV" if two_part else f"{site.code} 单一制 不满1 kV",
            kind="two_part" if two_part else "single_part", calendar=calendar, valid_from=valid_from,
            source=DEMO_SOURCE, provisional=True,
            price_flat=flat, price_peak=flat * Decimal("1.6"), price_valley=flat * Decimal("0.4"),
            price_critical_peak=flat * Decimal("1.6") * Decimal("1.2"), price_deep_valley=flat * Decimal("0.3"),
            funds_cny_per_kwh=Decimal("0.026200"),
            capacity_basis=("kw" if site.kind == "factory" else "kva") if two_part else "none",
            capacity_price_cny=(Decimal("38.0") if site.kind == "factory" else Decimal("25.0")) if two_part else None,
            transformer_kva=Decimal("2000") if site.kind == "data_center" else None, pf_table=pf)
        created += 1
        carriers = set(site.meters.values_list("carrier", flat=True))
        for carrier, price in ((Carrier.NATURAL_GAS, "3.650000"), (Carrier.WATER, "5.800000"),
                               (Carrier.RAW_COAL, "950.000000"), (Carrier.DIESEL, "7900.000000")):
            if carrier in carriers:
                CarrierPrice.objects.create(site=site, carrier=carrier, price_cny=Decimal(price),
                                            valid_from=valid_from, source=DEMO_SOURCE, provisional=True)
    if compute:
        costs_recompute(meter_ids=list(enterprise.sites.values_list("meters__pk", flat=True).exclude(
            meters__pk=None)))
    return created
