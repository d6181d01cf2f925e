"""The authorization matrix as data: for every URL name (glob) the object it addresses, and for every method the
status codes each role may get. Objects addressed are enterprise A's (see conftest.py for the roles).

A new URL pattern or OpenAPI operation without a row here fails `test_every_endpoint_has_an_expectation`; add a row
(usually one of the profiles below) rather than loosening the test.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.factories import make_credit_code

from .conftest import ROLES

Statuses = dict[str, frozenset[int]]


def profile(default: int | set[int] | None = None, **by_role: int | set[int]) -> Statuses:
    """Status codes per role; `staff_manager` defaults to what `manager` gets, unset roles to `default`."""
    out: dict[str, frozenset[int]] = {}
    for role in ROLES:
        value = by_role.get(role)
        if value is None and role == "staff_manager":
            value = by_role.get("manager")
        if value is None:
            value = default
        if value is None:
            raise ValueError(f"profile has no status for {role}")
        out[role] = frozenset({value} if isinstance(value, int) else value)
    return out


def _api(**kw) -> Statuses:
    """API endpoints: no session and a gateway token are both 401 (the gateway token opens only /readings/)."""
    return profile(**{"anonymous": 401, "gateway": 401, **kw})


# -- API profiles, addressed object belongs to A ---------------------------------------------------------------
LIST = _api(default=200)
READ = _api(default=200, other_admin=404, regulator_out=404)
# Writes to an object of A: members without the role get 403, readers of A without a membership (regulator) 403,
# users who cannot see A 404 (indistinguishable from a missing object).
WRITE_MANAGER = _api(viewer=403, manager=200, other_admin=404, regulator_in=403, regulator_out=404, superuser=200)
WRITE_ADMIN = _api(viewer=403, manager=403, other_admin=404, regulator_in=403, regulator_out=404, superuser=200)
DELETE_ADMIN = _api(viewer=403, manager=403, other_admin=404, regulator_in=403, regulator_out=404,
                    superuser={204, 409})
# Creates naming A in the body: a foreign enterprise/site in a related field is "invalid pk" (400), like a missing one.
CREATE_MANAGER = _api(viewer=403, manager=201, other_admin=400, regulator_in=403, regulator_out=400, superuser=201)
CREATE_ADMIN = _api(viewer=403, manager=403, other_admin=400, regulator_in=403, regulator_out=400, superuser=201)
NO_METHOD = _api(default=405)

# -- UI pages (login required: anonymous and the gateway token, which the UI ignores, are sent to the login page) --
UI_PAGE = profile(anonymous=302, gateway=302, default=200)
UI_OBJECT = profile(anonymous=302, gateway=302, default=200, other_admin=404, regulator_out=404)
UI_POST = profile(anonymous=302, gateway=302, viewer=403, manager=302, other_admin=404, regulator_in=403,
                  regulator_out=404, superuser=302)
UI_FORM_POST = UI_POST | {"manager": frozenset({200, 302}), "staff_manager": frozenset({200, 302}),
                          "superuser": frozenset({200, 302})}  # 200: the page again, with the form's errors
PUBLIC = profile(default=200)

# -- Django admin: staff only (everyone else is redirected to the admin login). The staff manager has
# view/add/change permissions on plants, meters, carbon and reports models and none elsewhere; what a permitted page
# answers depends on the model (403 for read-only models' add pages, 302 for a missing object), so it is a set there.
ADMIN_STAFF = profile(default=302, staff_manager=200, superuser=200)
ADMIN_PERMITTED = profile(default=302, staff_manager={200, 302, 403}, superuser={200, 302, 403})
ADMIN_NO_PERMS = profile(default=302, staff_manager={302, 403}, superuser={200, 302, 403})  # 302: missing object


@dataclass(frozen=True)
class Row:
    pattern: str  # fnmatch glob over the namespaced URL name (or the route for unnamed patterns)
    methods: dict[str, Statuses]
    target: str | None = None  # key of an object of tenant A in World.objects, for the URL arguments
    body: Callable | None = None  # (world) -> dict: request data for POST/PUT/PATCH
    multipart: bool = False
    lists: bool = False  # probe ?enterprise=, ?site=, ?search=, ?q= with foreign values
    query: str = ""  # query string to add to every request
    extra: dict = field(default_factory=dict)

    def matches(self, label: str) -> bool:
        return fnmatch.fnmatchcase(label, self.pattern)


def _a(world, key):
    return world.a.objects[key].pk


def _entered_indicator() -> int:
    from reports.models import Indicator

    return Indicator.objects.filter(source=Indicator.Source.ENTERED).order_by("pk").first().pk


def _csv(name: str, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


#: Writes through the admin, for every registered model: the status of an empty POST to its add view, a POST to the
#: change view of enterprise A's object, and a confirmed POST to that object's delete view, as the staff energy
#: manager of A (view/add/change permissions on plants, meters, carbon and reports, no delete permission). 200 is the
#: form again with its errors (the role rules let the user in); 403 is the role rules or the model permissions
#: refusing; 302 is a missing object (no row of A) or a saved change. A model registered in the admin without an
#: entry here fails `test_every_admin_model_has_write_expectations`, so a new admin model states its rules.
_P, _N = 200, 403  # permitted (form errors), refused
ADMIN_WRITES: dict[str, tuple[int, int, int]] = {
    # add, change, delete
    "auth.Group": (_N, _N, _N),
    "auth.User": (_N, _N, _N),
    "axes.AccessAttempt": (_N, _N, _N),
    "axes.AccessLog": (_N, _N, _N),
    "axes.AccessFailureLog": (_N, _N, _N),
    "accounts.Membership": (_N, _N, _N),
    "accounts.RegulatorJurisdiction": (_N, _N, _N),
    "accounts.ApiToken": (_N, _N, _N),
    "accounts.AuditEvent": (_N, _N, _N),
    # The API refuses an energy manager a new enterprise or site, and so does the admin.
    "plants.Enterprise": (_N, _N, _N),
    "plants.Site": (_N, _N, _N),
    "plants.ProductionUnit": (_P, _P, _N),
    "plants.Product": (_P, _P, _N),
    "plants.EconomicData": (_P, _N, _N),  # versions are immutable
    "plants.ProductionData": (_P, _N, _N),
    "meters.Meter": (_P, _P, _N),
    "meters.Gateway": (_P, _P, _N),  # energy managers onboard gateways (GATEWAY_MANAGE_ROLE)
    "meters.GatewayToken": (_N, 302, _N),  # issued on the gateways page only; the change view may revoke
    "meters.MeterRollup": (_N, _N, _N),
    "meters.IngestBatch": (_N, 302, _N),
    "meters.RejectedRow": (_N, 302, _N),
    "meters.ReadingConflict": (_N, 302, _N),
    "meters.RegisterEvent": (_N, 302, _N),
    "meters.ImportJob": (_N, 302, _N),
    "meters.ImportPreset": (_P, _P, _N),
    "meters.Bill": (_P, 302, _N),
    "meters.GatewayTag": (_N, _N, _N),
    "meters.ModbusDevice": (_P, 302, _N),  # no device of A in the matrix data: the change view redirects
    "meters.ModbusPoint": (_P, 302, _N),
    "meters.MeasurementUnit": (_N, _N, _N),
    "meters.CarrierUnit": (_N, _N, _N),
    "carbon.MeasuredFuelProperty": (_P, _P, _N),
    "costs.TouCalendar": (_N, _N, _N),
    "costs.PowerFactorTable": (_N, _N, _N),
    "costs.ElectricityTariff": (_N, _N, _N),
    "costs.CarrierPrice": (_N, _N, _N),
    "costs.MeterCostMonth": (_N, _N, _N),
    # Reference data: the global rows only platform staff write; an enterprise's own rows only its admins.
    "carbon.EnergyCoefficient": (_N, 302, _N),
    "carbon.FactorSet": (_N, _N, _N),
    "carbon.EmissionFactor": (_N, _N, _N),
    "carbon.Target": (_P, _P, _N),
    "carbon.ProcessEmission": (_P, 302, _N),
    "carbon.GreenCertificate": (_P, 302, _N),
    "carbon.ProcessFactor": (_N, _N, _N),
    "carbon.ProcessActivity": (_P, _P, _N),
    "carbon.MrvEvidence": (_P, _P, _N),
    "carbon.DataQualityPlanItem": (_P, _P, _N),
    "carbon.GhgSectorSetting": (_P, 302, _N),
    "carbon.AccountingPeriod": (_N, _N, _N),
    "carbon.LedgerEntry": (_N, _N, _N),
    "reports.ReportSnapshot": (_N, _N, _N),
    "reports.ReportFile": (_N, _N, _N),
    "reports.IndicatorSet": (_N, _N, _N),
    "reports.ProductPrice": (_P, 302, _N),
    "reports.IndicatorEntry": (_P, 302, _N),
    "reports.RequirementEntry": (_P, 302, _N),
    "reports.GreenFactoryProfile": (_P, 302, _N),
    "reports.UpstreamFactor": (_P, _P, _N),  # 200: the change form again (an empty POST lacks required fields)
    "reports.MaterialPurchase": (_P, _P, _N),
    "reports.CbamInstallation": (_P, _P, _N),
    "reports.CarbonPricePaid": (_P, _P, _N),
    "reports.LimitStandard": (_N, _N, _N),  # global reference data: platform staff only
    "reports.ProductLimit": (_P, 302, _N),
    "reports.MainEquipment": (_P, 302, _N),
    "reports.CarrierYear": (_P, 302, _N),
    "reports.MeteringPoints": (_P, 302, _N),
    "alerts.EnergyQuota": (_N, _N, _N),
    "alerts.CarbonAllowance": (_N, _N, _N),
    "alerts.AlertRule": (_N, _N, _N),
    "alerts.Alert": (_N, _N, _N),
    "insights.BenchmarkReference": (_N, _N, _N),
    "insights.QualityCriterion": (_N, _N, _N),
    "insights.ProductCategory": (_N, _N, _N),
    "insights.MonthlyWeather": (_N, _N, _N),
    "insights.DailyTemperature": (_N, _N, _N),
    "insights.EnergyBaseline": (_N, _N, _N),
    "insights.SavingsProject": (_N, _N, _N),
}
_STAFF_APPS = {"plants", "meters", "carbon", "reports"}
ADMIN_SUPERUSER = frozenset({200, 302, 403})


def _admin_write_rows() -> list[Row]:
    rows = []
    for label, statuses in ADMIN_WRITES.items():
        app, model = label.split(".")
        get = ADMIN_PERMITTED if app in _STAFF_APPS else ADMIN_NO_PERMS
        for view, status in zip(("add", "change", "delete"), statuses, strict=True):
            post = profile(default=302, staff_manager=status, superuser=set(ADMIN_SUPERUSER))
            rows.append(Row(f"admin:{app}_{model.lower()}_{view}", {"GET": get, "POST": post}, target="admin",
                            body=(lambda w: {"post": "yes"}) if view == "delete" else None))
    return rows


MATRIX: list[Row] = [
    # --- platform plumbing ---
    Row("healthz", {"GET": PUBLIC}),
    Row("set_language", {"POST": profile(default=302)}, body=lambda w: {"language": "en", "next": "/"}),
    Row("schema", {"GET": PUBLIC}),
    Row("api-docs", {"GET": PUBLIC}),
    Row("api-redoc", {"GET": PUBLIC}),
    Row("api-root", {"GET": LIST}),
    # --- plants ---
    Row("enterprise-list", {"GET": LIST, "POST": _api(default=403, other_admin=403, regulator_out=403, superuser=201)},
        lists=True, body=lambda w: {"name": "New ZQALPHA", "credit_code": make_credit_code(999_999),
                                    "industry_code": "C3120", "region_code": "310115"}),
    Row("enterprise-detail", {"GET": READ, "PUT": WRITE_ADMIN, "PATCH": WRITE_ADMIN, "DELETE": DELETE_ADMIN},
        target="enterprise"),
    Row("site-list", {"GET": LIST, "POST": CREATE_ADMIN}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "code": "ZQALPHA-S2", "name": "ZQALPHA annex",
                        "kind": "factory", "region_code": "310115", "timezone": "Asia/Shanghai"}),
    Row("site-detail", {"GET": READ, "PUT": WRITE_ADMIN, "PATCH": WRITE_ADMIN, "DELETE": DELETE_ADMIN}, target="site"),
    Row("productionunit-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "code": "ZQALPHA-U2", "name": "ZQALPHA mill", "kind": "workshop"}),
    Row("productionunit-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="unit"),
    Row("product-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "code": "ZQALPHA-P2", "name": "ZQALPHA slag", "unit": "t"}),
    Row("product-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="product"),
    # --- meters and ingestion ---
    Row("meter-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "code": "ZQALPHA-E9", "carrier": "electricity", "unit": "kWh",
                        "reading_kind": "interval", "level": "enterprise", "role": "purchase",
                        "interval_minutes": 15, "active_from": "2024-01-01T00:00:00Z"}),
    Row("meter-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="meter"),
    # Energy managers onboard gateways (meters.services.gateways.GATEWAY_MANAGE_ROLE), as they onboard meters.
    Row("gateway-list", {"GET": LIST, "POST": _api(viewer=403, manager=201, other_admin=404, regulator_in=403,
                                                   regulator_out=404, superuser=201)},
        lists=True, body=lambda w: {"site": _a(w, "site"), "name": "gw-new"}),
    Row("gateway-detail", {"GET": READ}, target="gateway"),
    Row("gateway-new-token", {"POST": WRITE_MANAGER | {"manager": frozenset({201}), "staff_manager": frozenset({201}),
                                                       "superuser": frozenset({201})}}, target="gateway"),
    Row("gateway-revoke-tokens", {"POST": WRITE_MANAGER}, target="gateway"),
    Row("gatewaytag-list", {"GET": LIST, "POST": CREATE_ADMIN}, lists=True,
        body=lambda w: {"gateway": _a(w, "gateway"), "tag": "ZQALPHA-tag-2", "meter": _a(w, "meter")}),
    Row("gatewaytag-detail", {"GET": READ, "PUT": WRITE_ADMIN, "PATCH": WRITE_ADMIN, "DELETE": DELETE_ADMIN},
        target="gateway_tag",
        body=lambda w: {"gateway": _a(w, "gateway"), "tag": "ZQALPHA-tag-3", "meter": _a(w, "meter")}),
    Row("readings-ingest", {"POST": profile(default=401, gateway=200)},
        body=lambda w: {"batch_id": "matrix-1", "readings": [
            {"meter": w.a.objects["meter"].code, "ts": "2025-04-01T00:00:00+08:00", "value": 1.5}]}),
    Row("importjob-list", {"GET": LIST, "POST": _api(viewer=403, manager=201, other_admin=404, regulator_in=403,
                                                     regulator_out=404, superuser=201)},
        lists=True, multipart=True, body=lambda w: {
            "site": _a(w, "site"), "kind": "readings",
            "file": _csv("ZQALPHA-up.csv",
                         f"meter,ts,value\n{w.a.objects['meter'].code},2025-05-01T00:00:00+08:00,2\n")}),
    Row("importjob-detail", {"GET": READ}, target="import"),
    # Import presets name their enterprise in the body: one the caller cannot see is not found (404).
    Row("importpreset-list", {"GET": LIST, "POST": _api(viewer=403, manager=201, other_admin=404, regulator_in=403,
                                                        regulator_out=404, superuser=201)},
        lists=True, body=lambda w: {"enterprise": w.a.enterprise.pk, "name": "ZQALPHA-preset-2", "mapping": {
            "timestamp_column": "Time", "meter_column": "Meter", "value_column": "kWh"}}),
    Row("importpreset-detail", {"GET": READ, "DELETE": _api(viewer=403, manager=204, other_admin=404,
                                                            regulator_in=403, regulator_out=404, superuser=204)},
        target="import_preset"),
    Row("importjob-commit", {"POST": WRITE_MANAGER | {"manager": frozenset({202}), "staff_manager": frozenset({202}),
                                                      "superuser": frozenset({202})}}, target="import"),
    # --- accounting ---
    Row("economicdata-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "month": "2025-04-01", "value_added_10k_cny": "10"}),
    Row("economicdata-detail", {"GET": READ}, target="econ"),
    Row("productiondata-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"product": _a(w, "product"), "month": "2025-04-01", "quantity": "5"}),
    Row("productiondata-detail", {"GET": READ}, target="prod"),
    # Uploads preview by default (nothing written); rows of sites the caller may not enter data for are rejected.
    Row("economicdata-upload", {"POST": _api(default=200)}, multipart=True,
        body=lambda w: {"file": _csv("m.csv", f"site,month,value_added_10k_cny\n{w.a.site.code},2025-05,7\n")}),
    Row("productiondata-upload", {"POST": _api(default=200)}, multipart=True,
        body=lambda w: {"file": _csv("p.csv", f"site,product,month,quantity\n{w.a.site.code},"
                                              f"{w.a.objects['product'].code},2025-05,7\n")}),
    Row("target-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "indicator": "energy_tce", "baseline_year": 2024,
                        "target_year": 2027, "reduction_pct": "3"}),
    Row("target-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="target"),
    Row("measuredfuelproperty-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "carrier": "diesel", "month": "2025-04-01",
                        "ncv_gj_per_unit": "43", "activity_unit": "t", "carbon_content_tc_per_tj": "20",
                        "lab_report_number": "L-1"}),
    Row("measuredfuelproperty-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                        "DELETE": DELETE_ADMIN}, target="measured"),
    # --- monthly MRV: "measured" is entered, "process_activity" checked (an out-of-order step answers 409) ---
    Row("measuredfuelproperty-check", {"POST": WRITE_MANAGER}, target="measured"),
    Row("measuredfuelproperty-confirm", {"POST": WRITE_ADMIN | {"superuser": frozenset({409})}}, target="measured"),
    Row("processactivity-check", {"POST": WRITE_MANAGER | {r: frozenset({409}) for r in
                                                           ("manager", "staff_manager", "superuser")}},
        target="process_activity"),
    Row("processactivity-confirm", {"POST": WRITE_ADMIN}, target="process_activity"),
    Row("processfactor-list", {"GET": LIST}, lists=True),
    Row("processfactor-detail", {"GET": LIST}, target="process_factor"),
    Row("processactivity-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "month": "2025-04-01", "factor": _a(w, "process_factor"),
                        "amount": "5"}),
    Row("processactivity-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                   "DELETE": DELETE_ADMIN}, target="process_activity"),
    Row("mrvevidence-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"process_activity": _a(w, "process_activity"), "kind": "invoice", "reference": "INV-1"}),
    Row("mrvevidence-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="evidence"),
    Row("dataqualityplanitem-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "subject": "coke", "parameter": "carbon content",
                        "method": "GB/T 476", "frequency": "monthly", "responsible": "lab",
                        "evidence_kind": "lab_report"}),
    Row("dataqualityplanitem-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                       "DELETE": DELETE_ADMIN}, target="plan_item"),
    Row("enterprise-mrv-export", {"GET": READ}, target="enterprise", query="period=2025"),
    # --- footprint upstream data and CBAM installation data (reports) ---
    Row("upstreamfactor-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "code": "ZQALPHA-ORE", "name": "ZQALPHA ore",
                        "unit": "t", "value_tco2e_per_unit": "0.05", "source": "test"}),
    Row("upstreamfactor-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="upstream_factor"),
    Row("materialpurchase-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "product": _a(w, "product"), "factor": _a(w, "upstream_factor"),
                        "month": "2025-04-01", "quantity": "5"}),
    Row("materialpurchase-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                    "DELETE": DELETE_ADMIN}, target="material_purchase"),
    Row("cbaminstallation-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site2"), "name": "ZQALPHA annex", "operator_name": "ZQALPHA",
                        "city": "Shanghai", "unlocode": "CNSHA", "latitude": "31.2", "longitude": "121.5"}),
    Row("cbaminstallation-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                    "DELETE": DELETE_ADMIN}, target="cbam_installation"),
    Row("carbonpricepaid-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"product": _a(w, "product"), "year": 2026, "instrument": "ZQALPHA ETS",
                        "price_per_tco2e": "90", "covered_tco2e_per_unit": "0.1"}),
    Row("carbonpricepaid-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                   "DELETE": DELETE_ADMIN}, target="carbon_price"),
    Row("period-list", {"GET": LIST}, lists=True),
    Row("period-detail", {"GET": READ}, target="period"),
    Row("site-kpis", {"GET": READ}, target="site", query="period=2025-03"),
    Row("enterprise-kpis", {"GET": READ}, target="enterprise", query="period=2025"),
    Row("unit-kpis", {"GET": READ}, target="unit", query="period=2025-Q1"),
    Row("meter-kpis", {"GET": READ}, target="meter", query="period=2025-03"),
    Row("site-compare", {"GET": READ}, target="site", query="period=2025-03&against=previous"),
    Row("enterprise-compare", {"GET": READ}, target="enterprise", query="period=2025"),
    Row("unit-compare", {"GET": READ}, target="unit", query="period=2025-Q1&against=custom&other=2024-Q4"),
    Row("meter-compare", {"GET": READ}, target="meter", query="period=2025-03"),
    # The world's meters are read monthly: a gap fill is refused (400 meter_not_fillable) for those who may ask.
    Row("meter-gap-fill", {"POST": _api(viewer=403, manager=400, other_admin=404, regulator_in=403,
                                        regulator_out=404, superuser=400)}, target="meter",
        body=lambda w: {"start": "2025-05-01T00:00:00+08:00", "end": "2025-05-01T12:00:00+08:00",
                        "reason": "matrix"}),
    Row("enterprise-gaps", {"GET": READ}, target="enterprise"),
    Row("enterprise-ledger", {"GET": READ}, target="enterprise"),
    Row("enterprise-ledger-verify", {"GET": READ}, target="enterprise"),
    Row("ledger-reverse", {"POST": WRITE_ADMIN | {"superuser": frozenset({201})}}, target="enterprise",
        body=lambda w: {"reason": "matrix"}),
    Row("period-close", {"POST": WRITE_ADMIN | {"superuser": frozenset({201})}}, target="enterprise",
        extra={"month": "2025-04"}),
    Row("period-restate", {"POST": WRITE_ADMIN | {"superuser": frozenset({201})}}, target="enterprise",
        extra={"month": "2025-03"}, body=lambda w: {"reason": "matrix"}),
    # --- reports ---
    Row("report-list", {"GET": LIST, "POST": _api(viewer=403, manager=202, other_admin=404, regulator_in=403,
                                                  regulator_out=404, superuser=202)},
        lists=True, body=lambda w: {"kind": "ghg", "enterprise": _a(w, "enterprise"), "year": 2025,
                                    "format": "json"}),
    Row("report-detail", {"GET": READ}, target="report"),
    Row("site-green-factory-entries", {"GET": READ, "POST": _api(viewer=403, manager=201, other_admin=404,
                                                                 regulator_in=403, regulator_out=404,
                                                                 superuser=201)},
        target="site", body=lambda w: {"indicator": _entered_indicator(), "year": 2026, "value": "80"}),
    Row("report-download", {"GET": READ}, target="report"),
    Row("regulator-export", {"GET": _api(default=403, regulator_in=200, regulator_out=200, superuser=200)},
        query="year=2025&kind=ghg&format=csv"),
    # --- audit log: enterprise admins (of A: none of the matrix roles but the superuser) ---
    Row("auditevent-list", {"GET": LIST}, lists=True),
    Row("auditevent-detail", {"GET": _api(default=404, superuser=200)}, target="audit"),
    # --- alerts: quotas, allowances, rules (energy managers), alerts (acknowledged by energy managers) ---
    Row("energyquota-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "year": 2026, "energy_tce": "50"}),
    Row("energyquota-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="quota"),
    Row("carbonallowance-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "year": 2026, "allowance_tco2": "50"}),
    Row("carbonallowance-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                   "DELETE": DELETE_ADMIN}, target="allowance"),
    Row("alertrule-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"enterprise": _a(w, "enterprise"), "name": "ZQALPHA peak", "kind": "threshold",
                        "metric": "energy_tce", "threshold": "5"}),
    Row("alertrule-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="rule"),
    Row("alert-list", {"GET": LIST}, lists=True),
    Row("alert-detail", {"GET": READ}, target="alert"),
    Row("alert-acknowledge", {"POST": WRITE_MANAGER}, target="alert", body=lambda w: {"note": "matrix"}),
    Row("site-forecast", {"GET": READ}, target="site", query="period=2025"),
    Row("enterprise-forecast", {"GET": READ}, target="enterprise", query="period=2025"),
    Row("alerts-page", {"GET": UI_OBJECT}, lists=True, query="enterprise={enterprise}"),
    # --- insights: benchmarks, weather, baselines, savings projects ---
    Row("site-benchmark", {"GET": READ}, target="site", query="period=2025"),
    Row("site-energy-flow", {"GET": READ}, target="site", query="period=2025-03"),
    Row("benchmarkreference-list", {"GET": LIST}, lists=True),
    Row("benchmarkreference-detail", {"GET": READ}, target="reference"),
    Row("monthlyweather-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "month": "2025-04-01", "hdd": "80", "cdd": "0"}),
    Row("monthlyweather-daily", {"POST": _api(default=400)}, body=lambda w: {}),
    Row("monthlyweather-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER, "DELETE": DELETE_ADMIN},
        target="weather"),
    Row("energybaseline-list", {"GET": LIST, "POST": _api(default=400)}, lists=True, body=lambda w: {}),
    Row("energybaseline-*", {"GET": _api(default=404)}, target="baseline"),
    Row("savingsproject-list", {"GET": LIST, "POST": CREATE_MANAGER}, lists=True,
        body=lambda w: {"site": _a(w, "site"), "name": "ZQALPHA LED", "kind": "energy_saving",
                        "commissioned_on": "2025-02-01", "expected_savings_tce_per_year": "3"}),
    Row("savingsproject-detail", {"GET": READ, "PUT": WRITE_MANAGER, "PATCH": WRITE_MANAGER,
                                  "DELETE": DELETE_ADMIN}, target="project"),
    Row("savingsproject-assessment", {"GET": READ}, target="project"),
    Row("insights-*", {"GET": UI_OBJECT}, lists=True, query="enterprise={enterprise}"),
    # --- costs ---
    Row("site-costs", {"GET": READ}, target="site", query="period=2025-03"),
    Row("enterprise-costs", {"GET": READ}, target="enterprise", query="period=2025"),
    Row("site-costs-export", {"GET": READ}, target="site", query="period=2025"),
    Row("unit-costs", {"GET": READ}, target="unit", query="period=2025-Q1"),
    Row("costs-page", {"GET": UI_OBJECT}, lists=True, query="enterprise={enterprise}"),
    Row("costs-site", {"GET": UI_OBJECT}, target="site", query="period=2025-03"),
    # --- exports ---
    Row("rollups-export", {"GET": READ}, query="site={site}&granularity=day&start=2025-03-01&end=2025-04-01"),
    # Regulator pages are for regulators only (platform staff use the admin).
    Row("regulator-kpi-export", {"GET": profile(anonymous=302, gateway=302, default=403, regulator_in=200,
                                                regulator_out=200)}, query="year=2025"),
    Row("api-site-kpi-trend", {"GET": READ}, target="site"),
    # --- regulator portal (regulators only; an out-of-region regulator does not find A) ---
    Row("regulator-portal", {"GET": profile(anonymous=302, gateway=302, default=403, regulator_in=200,
                                            regulator_out=200)}),
    Row("regulator-enterprise", {"GET": profile(anonymous=302, gateway=302, default=403, regulator_in=200,
                                                regulator_out=404)}, target="enterprise"),
    Row("regulator-download", {"GET": profile(anonymous=302, gateway=302, default=403, regulator_in=200,
                                              regulator_out=404)}, target="report"),
    # --- UI ---
    Row("ui-upload", {"GET": UI_OBJECT}, target="import", extra={"source": "meters"}),
    # 302 back to the entry page, or 200 with the progress panel for htmx.
    Row("ui-upload-commit", {"POST": profile(anonymous=302, gateway=302, viewer=403, manager={200, 302},
                                             other_admin=404, regulator_in=403, regulator_out=404,
                                             superuser={200, 302})},
        target="import", extra={"source": "meters"}),
    Row("ui-targets", {"GET": UI_OBJECT}, lists=True, query="enterprise={enterprise}"),
    Row("ui-target-edit", {"GET": profile(anonymous=302, gateway=302, viewer=403, manager=200, other_admin=404,
                                          regulator_in=403, regulator_out=404, superuser=200)}, target="target"),
    Row("ui-gateways", {"GET": profile(anonymous=302, gateway=302, default=200, other_admin=404, regulator_in=403,
                                       regulator_out=404),
                        "POST": UI_POST}, lists=True, query="enterprise={enterprise}",
        body=lambda w: {"action": "revoke", "gateway": _a(w, "gateway")}),
    Row("ui-audit", {"GET": profile(anonymous=302, gateway=302, default=403, other_admin=404, regulator_out=404,
                                    superuser=200)}, lists=True, query="enterprise={enterprise}"),
    Row("ui-mrv", {"GET": UI_OBJECT, "POST": UI_POST}, lists=True, query="enterprise={enterprise}",
        body=lambda w: {"record": "fuel", "pk": _a(w, "measured"), "step": "check"}),
    Row("login", {"GET": PUBLIC}),
    Row("logout", {"POST": profile(default=302)}),
    Row("ui-overview", {"GET": UI_PAGE}, lists=True),
    Row("ui-quality", {"GET": UI_OBJECT, "POST": UI_POST}, lists=True, query="enterprise={enterprise}",
        body=lambda w: {"action": "acknowledge", "row": w.a.objects["rejected"].pk}),
    Row("ui-entry", {"GET": UI_OBJECT, "POST": UI_FORM_POST}, lists=True, query="enterprise={enterprise}",
        body=lambda w: {"form": "monthly", "kind": "economic", "target": f"site-{_a(w, 'site')}",
                        "month": "2025-06",
                        "value": "3"}),
    Row("ui-reports", {"GET": UI_OBJECT}, lists=True, query="enterprise={enterprise}"),
    Row("ui-compare", {"GET": UI_OBJECT}, lists=True, query="enterprise={enterprise}&period=2025-03"),
    Row("ui-site", {"GET": UI_OBJECT}, target="site"),
    Row("ui-meters", {"GET": UI_OBJECT}, target="site"),
    Row("api-site-monthly", {"GET": READ}, target="site"),
    Row("api-site-load", {"GET": READ}, target="site", query="day=2025-03-01"),
    Row("api-meter-series", {"GET": READ}, target="meter"),
    # --- Django admin ---
    Row("admin:login", {"GET": profile(default=200, staff_manager=302, superuser=302)}),
    Row("admin:logout", {"POST": profile(default=302)}),
    Row("admin:index", {"GET": ADMIN_STAFF}),
    Row("admin:password_change*", {"GET": ADMIN_STAFF}),
    Row("admin:jsi18n", {"GET": ADMIN_STAFF}),
    Row("admin:autocomplete", {"GET": profile(default=302, staff_manager=403, superuser=403)}),
    Row("admin:view_on_site", {"GET": profile(default=302, staff_manager=404, superuser=404)}, target="site"),
    Row("admin:app_list", {"GET": ADMIN_STAFF}),
    *_admin_write_rows(),
    Row("admin:plants_*", {"GET": ADMIN_PERMITTED}, target="admin"),
    Row("admin:meters_*", {"GET": ADMIN_PERMITTED}, target="admin"),
    Row("admin:carbon_*", {"GET": ADMIN_PERMITTED}, target="admin"),
    Row("admin:reports_*", {"GET": ADMIN_PERMITTED}, target="admin"),
    Row("admin:costs_*", {"GET": ADMIN_PERMITTED}, target="admin"),
    Row("admin:*", {"GET": ADMIN_NO_PERMS}, target="admin"),
    Row("admin/(?P<url>.*)$", {"GET": profile(default=302, staff_manager=404, superuser=404)}),
    Row("admin/*", {"GET": profile(default=302)}, target="admin"),  # <object_id>/ redirects to the change page
]


def row_for(label: str) -> Row | None:
    for row in MATRIX:
        if row.matches(label):
            return row
    return None
