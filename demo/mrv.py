"""Demo monthly MRV of the steel enterprise: measured coal and gas properties with evidence, process inputs
(flux, electrodes) of the rolling mill, the data-quality control plan; reviewed months confirmed, the last two left
checked and entered so the review page has work to show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from carbon.models import (
    DataQualityPlanItem,
    MeasuredFuelProperty,
    MrvEvidence,
    ProcessActivity,
    ProcessFactor,
    ReviewStatus,
)
from plants.models import Enterprise, Site

PLAN = [
    ("原煤 raw coal", "consumption 消耗量", "weighbridge at receipt, daily 汽车衡", "daily 每日", "energy manager",
     "weighbridge"),
    ("原煤 raw coal", "NCV 低位发热量", "GB/T 213, monthly composite sample 月度缩分样", "monthly 每月",
     "third-party laboratory", "lab_report"),
    ("原煤 raw coal", "carbon content 元素碳含量", "GB/T 476, monthly composite sample", "monthly 每月",
     "third-party laboratory", "lab_report"),
    ("天然气 natural gas", "consumption 消耗量", "custody-transfer meter, supplier invoice 结算表与发票",
     "monthly 每月", "energy manager", "invoice"),
    ("天然气 natural gas", "NCV and composition 发热量与组分", "GB/T 13610 / GB/T 11062, supplier analysis",
     "monthly 每月", "supplier", "lab_report"),
    ("石灰石 limestone", "consumption 消耗量", "weighbridge 汽车衡", "per delivery 每批", "energy manager",
     "weighbridge"),
    ("电极 electrodes", "consumption 消耗量", "stock change and invoices 库存与发票", "monthly 每月",
     "energy manager", "invoice"),
]


def demo_mrv(*, enterprise: Enterprise, site: Site, months: list[dt.date]) -> int:
    """Returns the number of MRV records created. `months`: the demo's months (the last may be in progress)."""
    User = get_user_model()
    manager, admin = User.objects.get(username="manager"), User.objects.get(username="admin")
    for subject, parameter, method, frequency, responsible, evidence in PLAN:
        DataQualityPlanItem.objects.create(enterprise=enterprise, subject=subject, parameter=parameter,
                                           method=method, frequency=frequency, responsible=responsible,
                                           evidence_kind=evidence)
    limestone = ProcessFactor.objects.get(sector="steel", code="limestone", gas="CO2")
    electrode = ProcessFactor.objects.get(sector="steel", code="electrode", gas="CO2")
    complete = months[:-1] if len(months) > 1 else months
    count = 0
    for i, month in enumerate(complete):
        # The last complete month waits for confirmation, the one before is confirmed unless it is the only one.
        status = (ReviewStatus.ENTERED if i == len(complete) - 1 else
                  ReviewStatus.CHECKED if i == len(complete) - 2 else ReviewStatus.CONFIRMED)
        at = timezone.make_aware(dt.datetime.combine(month, dt.time(10)) + dt.timedelta(days=40))
        review = {"review_status": status, "created_by": manager}
        if status in (ReviewStatus.CHECKED, ReviewStatus.CONFIRMED):
            review.update(checked_by=manager, checked_at=at)
        if status == ReviewStatus.CONFIRMED:
            review.update(confirmed_by=admin, confirmed_at=at + dt.timedelta(days=2))
        tag = f"{month:%Y%m}"
        coal = MeasuredFuelProperty.objects.create(
            enterprise=enterprise, carrier="raw_coal", month=month, activity_unit="t",
            ncv_gj_per_unit=Decimal("21.40") + Decimal(i % 4) * Decimal("0.15"),
            carbon_content_tc_per_tj=Decimal("26.05") + Decimal(i % 3) * Decimal("0.04"),
            consumption=Decimal(540 + 6 * (i % 5)), lab_report_number=f"CMA-TS-{tag}-C",
            laboratory="唐山市煤炭质量检测中心 (demo)", **review)
        gas = MeasuredFuelProperty.objects.create(
            enterprise=enterprise, carrier="natural_gas", month=month, activity_unit="10^4 m3",
            ncv_gj_per_unit=Decimal("388.60") + Decimal(i % 3) * Decimal("0.70"),
            carbon_content_tc_per_tj=Decimal("15.28"), consumption=Decimal(156 + i % 4),
            lab_report_number=f"GAS-{tag}", laboratory="中石油华北天然气销售 supplier analysis (demo)", **review)
        MrvEvidence.objects.create(enterprise=enterprise, fuel_property=coal, kind="weighbridge",
                                   reference=f"WB-{tag}")
        MrvEvidence.objects.create(enterprise=enterprise, fuel_property=coal, kind="invoice", reference=f"FP-{tag}-01")
        MrvEvidence.objects.create(enterprise=enterprise, fuel_property=gas, kind="invoice", reference=f"FP-{tag}-02")
        for factor, amount, kind in ((limestone, Decimal(120 + 4 * (i % 3)), "weighbridge"),
                                     (electrode, Decimal("8.5") + Decimal(i % 2), "invoice")):
            act = ProcessActivity.objects.create(site=site, month=month, factor=factor, amount=amount, **review)
            MrvEvidence.objects.create(enterprise=enterprise, process_activity=act, kind=kind,
                                       reference=f"{'WB' if kind == 'weighbridge' else 'FP'}-{tag}-{factor.code}")
        count += 4
    return count
