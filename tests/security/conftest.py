"""Two fully populated enterprises and one logged-in client per role, for the authorization matrix and the fuzzer.

Every name and code of enterprise A carries the marker ``ZQALPHA`` and of enterprise B ``ZQBRAVO`` (credit codes are
markers too), so a response body that contains the other side's marker has leaked a foreign object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.audit import audit_record
from accounts.models import Role
from alerts.models import Alert, AlertRule, CarbonAllowance, EnergyQuota
from alerts.services import alert_rule_evaluate
from carbon.ledger import period_close
from carbon.models import (
    AccountingPeriod,
    DataQualityPlanItem,
    LedgerEntry,
    MeasuredFuelProperty,
    MrvEvidence,
    ProcessActivity,
    ProcessFactor,
    Target,
)
from insights.models import BenchmarkReference, Indicator, MonthlyWeather, SavingsProject
from meters.models import Carrier, Meter, RejectedRow
from meters.models_gateways import GatewayTag
from meters.rollup import rollup_sweep
from meters.services.gateways import gateway_provision
from meters.services.imports import import_job_create, import_job_validate, import_preset_save
from meters.services.ingest import RawRow, readings_ingest
from meters.tasks import import_job_validate_task
from plants.models import Enterprise, Site
from reports.services import report_generate
from tests.factories import (
    EconomicDataFactory,
    MeterFactory,
    ProductFactory,
    ProductionDataFactory,
    ProductionUnitFactory,
    UserFactory,
    member,
)

MARKERS = {"a": "ZQALPHA", "b": "ZQBRAVO"}

#: The roles of the matrix. Objects under test belong to enterprise A; "other_admin" administers B, "regulator_in"
#: supervises A's province (31), "regulator_out" B's (13), "staff_manager" is an energy manager of A with admin
#: access (view/add/change on plants, meters, carbon and reports, like the demo's manager), "superuser" is platform
#: staff.
ROLES = ["anonymous", "gateway", "viewer", "manager", "other_admin", "regulator_in", "regulator_out", "staff_manager",
         "superuser"]

#: Which enterprises ("a", "b") each role may see; everything else is foreign to it.
VISIBLE = {"anonymous": set(), "gateway": {"a"}, "viewer": {"a"}, "manager": {"a"}, "other_admin": {"b"},
           "regulator_in": {"a"}, "regulator_out": {"b"}, "staff_manager": {"a"}, "superuser": {"a", "b"}}


@dataclass
class Tenant:
    key: str
    enterprise: Enterprise
    site: Site
    objects: dict = field(default_factory=dict)

    @property
    def markers(self) -> list[str]:
        return [MARKERS[self.key], self.enterprise.credit_code]


def _populate(key: str, enterprise: Enterprise, site: Site, manager) -> Tenant:
    """Rename the tenant's objects with its marker and give it one object of every API-visible kind."""
    m = MARKERS[key]
    Enterprise.objects.filter(pk=enterprise.pk).update(name=f"{enterprise.name} {m}")
    Site.objects.filter(pk=site.pk).update(code=f"{m}-S1", name=f"{m} works")
    enterprise.refresh_from_db()
    site.refresh_from_db()
    unit = ProductionUnitFactory(site=site, code=f"{m}-U1", name=f"{m} kiln line")
    product = ProductFactory(site=site, code=f"{m}-P1", name=f"{m} clinker", unit_of_production=unit)
    meter = MeterFactory(site=site, code=f"{m}-E1", name=f"{m} main incomer", carrier=Carrier.ELECTRICITY,
                         unit="kWh", interval_minutes=43200, production_unit=unit)
    MeterFactory(site=site, code=f"{m}-E2", name=f"{m} sub meter", parent=meter, level=Meter.Level.SUB_UNIT,
                 role=Meter.Role.SUB, interval_minutes=43200, production_unit=unit)
    econ = EconomicDataFactory(site=site, month=dt.date(2025, 3, 1), note=f"{m} value added")
    prod = ProductionDataFactory(product=product, month=dt.date(2025, 3, 1), note=f"{m} output")
    target = Target.objects.create(enterprise=enterprise, site=site, indicator=Target.Indicator.ENERGY_TCE,
                                   baseline_year=2024, baseline_value=100, target_year=2026, reduction_pct=5,
                                   note=f"{m} target")
    readings_ingest(site=site, rows=[RawRow(0, meter.code, "2025-03-01T00:00:00+08:00", 10_000)],
                    batch_key=f"{m}-batch-1")
    # A rejected row (unknown meter) gives the data-quality pages something of this tenant to show.
    readings_ingest(site=site, rows=[RawRow(0, f"{m}-GHOST", "2025-03-01T00:00:00+08:00", 1)],
                    batch_key=f"{m}-batch-2")
    rollup_sweep()
    period_close(enterprise=enterprise, month=dt.date(2025, 3, 1), actor=manager)
    gateway, token = gateway_provision(site=site, name=f"{m}-gw", meter_codes=[meter.code])
    gateway_tag = GatewayTag.objects.create(gateway=gateway, tag=f"{m}-tag", meter=meter)
    job = import_job_create(site=site, kind="readings", user=manager, enqueue=import_job_validate_task.delay,
                            uploaded_file=SimpleUploadedFile(
        f"{m}-readings.csv", f"meter,ts,value\n{meter.code},2025-04-01T00:00:00+08:00,5\n".encode()))
    job = import_job_validate(job_id=job.pk)  # the task that on_commit would run: the job awaits its commit
    preset = import_preset_save(enterprise=enterprise, name=f"{m} vendor export", kind="readings", user=manager,
                                mapping={"timestamp_column": "Time", "timestamp_format": "%d/%m/%Y %H:%M",
                                         "timestamp_label": "end", "meter_column": "Meter", "value_column": "kWh"})
    report = report_generate(kind="ghg", enterprise=enterprise, year=2025, fmt="csv", lang="en")
    audit = audit_record(actor=manager, action="meter.update", obj=meter, detail={"note": f"{m} audited"})
    quota = EnergyQuota.objects.create(enterprise=enterprise, site=site, year=2025, energy_tce=100, source=f"{m} quota")
    allowance = CarbonAllowance.objects.create(enterprise=enterprise, year=2025, allowance_tco2=100,
                                               source=f"{m} allowance")
    rule = AlertRule.objects.create(enterprise=enterprise, site=site, name=f"{m} rule", kind=AlertRule.Kind.THRESHOLD,
                                    metric=AlertRule.Metric.ENERGY_TCE, threshold=1)
    # March 2025: 10,000 kWh = 1.229 tce > 1 tce, so the rule raises an alert.
    alert_rule_evaluate(rule=rule, now=dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC))
    alert = Alert.objects.get(rule=rule)
    weather = MonthlyWeather.objects.create(site=site, month=dt.date(2025, 3, 1), hdd=100, cdd=0)
    reference = BenchmarkReference.objects.create(enterprise=enterprise, indicator=Indicator.choices[0][0],
                                                  kind=BenchmarkReference.Kind.ADVANCED, value=1, unit="x",
                                                  source=f"{m} reference")
    project = SavingsProject.objects.create(site=site, name=f"{m} heat recovery",
                                            kind=SavingsProject.Kind.ENERGY_SAVING,
                                            commissioned_on=dt.date(2025, 1, 1), expected_savings_tce_per_year=10)
    measured = MeasuredFuelProperty.objects.create(
        enterprise=enterprise, carrier=Carrier.RAW_COAL, month=dt.date(2025, 2, 1), ncv_gj_per_unit=21,
        activity_unit="t", carbon_content_tc_per_tj=26, lab_report_number=f"{m} lab report")
    process_activity = ProcessActivity.objects.create(
        site=site, month=dt.date(2025, 2, 1), factor=ProcessFactor.objects.get(sector="steel", code="limestone"),
        amount=100, note=f"{m} limestone", review_status="checked")
    evidence = MrvEvidence.objects.create(enterprise=enterprise, process_activity=process_activity,
                                          kind="weighbridge", reference=f"{m} weighbridge")
    plan_item = DataQualityPlanItem.objects.create(enterprise=enterprise, subject=f"{m} coal", parameter="NCV",
                                                   method="GB/T 213", frequency="per batch", responsible="lab",
                                                   evidence_kind="lab_report")
    from reports.models import CarbonPricePaid, CbamInstallation, MaterialPurchase, UpstreamFactor

    upstream_factor = UpstreamFactor.objects.create(enterprise=enterprise, code=f"{m}-SLAB", name=f"{m} slab",
                                                    value_tco2e_per_unit=2, source=f"{m} factor source")
    material_purchase = MaterialPurchase.objects.create(site=site, product=product, factor=upstream_factor,
                                                        month=dt.date(2025, 3, 1), quantity=10, note=f"{m} slab")
    cbam_installation = CbamInstallation.objects.create(site=site, name=f"{m} works", operator_name=f"{m} operator",
                                                        city="Shanghai", unlocode="CNSHA", latitude=31, longitude=121)
    carbon_price = CarbonPricePaid.objects.create(product=product, year=2025, instrument=f"{m} ETS", price_per_tco2e=1,
                                                  covered_tco2e_per_unit=1)
    # a second site without CBAM data, for creating one through the API
    site2 = Site.objects.create(enterprise=enterprise, code=f"{m}-S3", name=f"{m} annex", kind=Site.Kind.FACTORY,
                                region_code=site.region_code)
    objects = {
        "measured": measured, "process_activity": process_activity, "evidence": evidence, "plan_item": plan_item,
        # Global reference data: it has no foreign counterpart, so B's is "missing" (the foreign-object walk asks
        # for an id that does not exist, like for any object B lacks).
        "process_factor": process_activity.factor if key == "a" else None,
        "upstream_factor": upstream_factor, "material_purchase": material_purchase,
        "cbam_installation": cbam_installation, "carbon_price": carbon_price, "site2": site2,
        "quota": quota, "allowance": allowance, "rule": rule, "alert": alert, "weather": weather,
        "reference": reference, "project": project,
        "baseline": None,  # a fitted baseline needs a year of monthly data: its URLs are asked with a missing id
        "enterprise": enterprise, "site": site, "unit": unit, "product": product, "meter": meter, "econ": econ,
        "prod": prod, "target": target, "gateway": gateway, "gateway_token": token, "gateway_tag": gateway_tag,
        "import": job, "import_preset": preset,
        "report": report, "report_file": report.files.first(), "audit": audit,
        "ledger": LedgerEntry.objects.filter(enterprise=enterprise).order_by("seq").first(),
        "period": AccountingPeriod.objects.get(enterprise=enterprise, month=dt.date(2025, 3, 1)),
        "rejected": RejectedRow.objects.filter(batch__site=site).first(),
    }
    return Tenant(key=key, enterprise=enterprise, site=site, objects=objects)


@dataclass
class World:
    a: Tenant
    b: Tenant
    users: dict
    clients: dict

    def foreign_markers(self, role: str) -> list[str]:
        return [mk for key in ("a", "b") if key not in VISIBLE[role] for mk in getattr(self, key).markers]

    def visible_enterprise_ids(self, role: str) -> set[int]:
        return {getattr(self, key).enterprise.pk for key in VISIBLE[role]}

    def visible_site_ids(self, role: str) -> set[int]:
        return {getattr(self, key).site.pk for key in VISIBLE[role]}


@pytest.fixture
def world(tenants, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True
    staff_manager = UserFactory(username="staff_manager_a", is_staff=True)
    member(staff_manager, tenants["a"], Role.ENERGY_MANAGER)
    staff_manager.user_permissions.set(Permission.objects.filter(
        content_type__app_label__in=["plants", "meters", "carbon", "reports"], codename__regex=r"^(view|add|change)_"))
    a = _populate("a", tenants["a"], tenants["site_a"], tenants["manager_a"])
    b = _populate("b", tenants["b"], tenants["site_b"], tenants["admin_b"])
    users = {"viewer": tenants["viewer_a"], "manager": tenants["manager_a"], "other_admin": tenants["admin_b"],
             "regulator_in": tenants["regulator_sh"], "regulator_out": tenants["regulator_hb"],
             "staff_manager": staff_manager, "superuser": tenants["staff"]}
    # A server error must show up as a 500 in the matrix, not abort it.
    clients = {"anonymous": Client(raise_request_exception=False),
               "gateway": Client(raise_request_exception=False,
                                 HTTP_AUTHORIZATION=f"Bearer {a.objects['gateway_token']}")}
    for role, user in users.items():
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    return World(a=a, b=b, users=users, clients=clients)
