"""Add energy-use quotas, carbon allowances and alert rules to the demo enterprise (after `load_demo`), then evaluate
the rules once. Idempotent."""

from __future__ import annotations

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alerts.models import AlertRule, CarbonAllowance, EnergyQuota
from alerts.services import alert_rules_evaluate
from demo.loader import DEMO_CODE
from plants.models import Enterprise

#: Demo values (not official figures): the enterprise's yearly energy-use quota and carbon allowance.
QUOTA_TCE = Decimal("40000")
ALLOWANCE_TCO2 = Decimal("130000")


class Command(BaseCommand):
    help = "Demo quotas, allowances and alert rules for the demo enterprise (run after load_demo)."

    def handle(self, *args, **opts):
        enterprise = Enterprise.objects.filter(credit_code=DEMO_CODE).first()
        if enterprise is None:
            raise CommandError("Load the demo first: python manage.py load_demo")
        year = timezone.localdate().year
        EnergyQuota.objects.get_or_create(enterprise=enterprise, site=None, year=year, defaults={
            "energy_tce": QUOTA_TCE, "source": "demo value (用能权指标)"})
        CarbonAllowance.objects.get_or_create(enterprise=enterprise, site=None, year=year, defaults={
            "allowance_tco2": ALLOWANCE_TCO2, "source": "demo value (碳排放配额)"})
        sites = {s.code: s for s in enterprise.sites.all()}
        rules = [
            {"name": "年末预测超目标/指标 Year-end projection breaches a target or quota",
             "kind": AlertRule.Kind.PROJECTION},
            {"name": "数据中心 PUE 高于 1.5 PUE above 1.5", "kind": AlertRule.Kind.THRESHOLD, "site": sites.get("DC1"),
             "metric": AlertRule.Metric.PUE, "window": AlertRule.Window.MONTH, "threshold": Decimal("1.5")},
            {"name": "计量表 8 个周期无数据 Meter silent for 8 intervals", "kind": AlertRule.Kind.SILENT_METER,
             "intervals": 8},
            {"name": "轧钢厂负荷突变 ±40 % Rolling mill load change", "kind": AlertRule.Kind.LOAD_CHANGE,
             "site": sites.get("RM1"), "threshold": Decimal(40), "baseline_days": 7},
        ]
        for spec in rules:
            AlertRule.objects.get_or_create(enterprise=enterprise, name=spec.pop("name"), defaults=spec)
        result = alert_rules_evaluate(enterprise_id=enterprise.pk)
        self.stdout.write(f"Alert rules evaluated: {result['raised']} raised, {result['resolved']} resolved, "
                          f"{result['emailed']} e-mailed.")
