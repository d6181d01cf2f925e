"""Footprint allocation rules (mass, economic value, metered energy of production units) with hand-worked figures,
and reports of a single site (service, API, admin action on sites, command)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from energy_platform.errors import ApplicationError
from meters.models import Meter
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from reports.models import ProductPrice, ReportSnapshot
from reports.services import report_generate
from tests.factories import MeterFactory, ProductFactory, ProductionDataFactory, ProductionUnitFactory, SiteFactory

pytestmark = pytest.mark.django_db
MONTHLY = 43200


def _doc(snap) -> dict:
    with snap.files.get().file.open("rb") as fh:
        return json.loads(fh.read())


def _rows(snap) -> dict:
    doc = _doc(snap)
    return {r["product"]: r for r in doc["sections"][0]["tables"][0]["rows"]}


@pytest.fixture
def products(site):
    """BAR 600 t in workshop W2, WIRE 400 t in workshop W1 (March 2025); W1 meters 30,000 kWh (the existing
    sub-meter E-SUB), W2 a new sub-meter of 20,000 kWh; both are below the main meter, so the site's totals stay
    as in the GHG test: 201.819226 tCO2."""
    w1 = ProductionUnitFactory(site=site, code="W1")
    w2 = ProductionUnitFactory(site=site, code="W2")
    Meter.objects.filter(site=site, code="E-SUB").update(production_unit=w1)
    main = Meter.objects.get(site=site, code="E-MAIN")
    MeterFactory(site=site, code="E-SUB2", parent=main, role=Meter.Role.SUB, level=Meter.Level.SUB_UNIT,
                 interval_minutes=MONTHLY, production_unit=w2)
    assert readings_ingest(site=site, rows=[RawRow(0, "E-SUB2", "2025-03-01T00:00:00+08:00", 20_000)]).rejected == []
    rollup_sweep()
    bar = ProductFactory(site=site, code="BAR", unit="t", unit_of_production=w2)
    wire = ProductFactory(site=site, code="WIRE", unit="t", unit_of_production=w1)
    ProductionDataFactory(product=bar, month="2025-03-01", quantity=600)
    ProductionDataFactory(product=wire, month="2025-03-01", quantity=400)
    return {"bar": bar, "wire": wire, "w1": w1, "w2": w2}


def test_economic_allocation_uses_output_times_unit_price(site, products):
    ProductPrice.objects.create(product=products["bar"], year=2025, price_cny_per_unit=Decimal("4000"))
    ProductPrice.objects.create(product=products["wire"], year=2025, price_cny_per_unit=Decimal("9000"))
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="en",
                           options={"allocation": "economic"})
    rows = _rows(snap)
    # BAR 600 t × 4,000 = 2,400,000 CNY; WIRE 400 t × 9,000 = 3,600,000 CNY; shares 0.4 / 0.6 of 201.819226 tCO2:
    # BAR 80.7276904 → 80.727690 tCO2, per t 80,727.690 kg / 600 = 134.546150; WIRE 121.0915356 → 121.091536,
    # per t 121,091.536 / 400 = 302.728840 kgCO2/t
    assert (Decimal(rows["BAR"]["basis"]), rows["BAR"]["basis_unit"]) == (Decimal("2400000"), "CNY")
    assert [Decimal(rows["BAR"][k]) for k in ("share", "tco2", "kgco2_per_unit")] == [
        Decimal("0.4"), Decimal("80.727690"), Decimal("134.546150")]
    assert [Decimal(rows["WIRE"][k]) for k in ("share", "tco2", "kgco2_per_unit")] == [
        Decimal("0.6"), Decimal("121.091536"), Decimal("302.728840")]
    doc = _doc(snap)
    assert doc["meta"]["allocation"] == "economic" and snap.options == {"allocation": "economic"}
    assert any("economic value" in n for n in doc["sections"][0]["notes"])


def test_energy_allocation_follows_the_metered_energy_of_each_products_unit(site, products):
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="en",
                           options={"allocation": "energy"})
    rows = _rows(snap)
    # DOMAIN.md §1: W1 30,000 kWh × 0.1229 kgce/kWh = 3.687 tce (WIRE); W2 20,000 kWh × 0.1229 = 2.458 tce (BAR);
    # shares 3.687 / 6.145 = 0.6 and 2.458 / 6.145 = 0.4 — the same tCO2 as the economic example, by another rule
    assert (Decimal(rows["WIRE"]["basis"]), rows["WIRE"]["basis_unit"]) == (Decimal("3.687"), "tce")
    assert Decimal(rows["BAR"]["basis"]) == Decimal("2.458")
    assert [Decimal(rows["WIRE"][k]) for k in ("share", "tco2")] == [Decimal("0.6"), Decimal("121.091536")]
    assert [Decimal(rows["BAR"][k]) for k in ("share", "tco2")] == [Decimal("0.4"), Decimal("80.727690")]
    assert any("metered energy of production units" in n for n in _doc(snap)["sections"][0]["notes"])


def test_mass_allocation_is_the_default_and_is_stated(site, products):
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="zh-hans")
    rows = _rows(snap)
    # 600 / 1,000 = 0.6 → 121.091536 tCO2 for BAR (see test_reports)
    assert (Decimal(rows["BAR"]["share"]), Decimal(rows["BAR"]["tco2"])) == (Decimal("0.6"), Decimal("121.091536"))
    assert any("按产量（质量）比例分配" in n for n in _doc(snap)["sections"][0]["notes"])


def test_allocation_errors_are_4xx_with_codes(site, products):
    with pytest.raises(ApplicationError) as exc:
        report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json",
                        options={"allocation": "astrology"})
    assert (exc.value.code, exc.value.status_code) == ("invalid_allocation", 400)
    assert ReportSnapshot.objects.count() == 0
    with pytest.raises(ApplicationError) as exc:
        report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json",
                        options={"allocation": "economic"})
    assert exc.value.code == "footprint_missing_price" and "BAR" in exc.value.detail
    products["bar"].unit_of_production = None
    products["bar"].save()
    with pytest.raises(ApplicationError) as exc:
        report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json",
                        options={"allocation": "energy"})
    assert exc.value.code == "footprint_product_without_unit"
    with pytest.raises(ApplicationError) as exc:
        report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="json",
                        options={"allocation": "mass"})
    assert exc.value.code == "invalid_options"


@pytest.fixture
def second_site(site):
    """Site S2 of the same enterprise: 1,000 kWh purchased in March 2025 → 0.1229 tce (DOMAIN.md §1)."""
    s2 = SiteFactory(enterprise=site.enterprise, code="S2", region_code=site.region_code)
    MeterFactory(site=s2, code="S2-E", interval_minutes=MONTHLY)
    assert readings_ingest(site=s2, rows=[RawRow(0, "S2-E", "2025-03-01T00:00:00+08:00", 1000)]).rejected == []
    rollup_sweep()
    return s2


def _summary_value(snap, row=0) -> Decimal:
    return Decimal(_doc(snap)["sections"][0]["tables"][0]["rows"][row]["value"])


def test_a_site_report_covers_that_site_only(site, second_site):
    ent = site.enterprise
    whole = report_generate(kind="energy", enterprise=ent, year=2025, fmt="json", lang="en")
    one = report_generate(kind="energy", enterprise=ent, site=site, year=2025, fmt="json", lang="en")
    two = report_generate(kind="energy", enterprise=ent, site=second_site, year=2025, fmt="json", lang="en")
    # 72.2910 (site fixture) + 0.1229 (S2) = 72.4139 tce
    assert (_summary_value(one), _summary_value(two), _summary_value(whole)) == (
        Decimal("72.2910"), Decimal("0.1229"), Decimal("72.4139"))
    assert _doc(two)["meta"]["site"].startswith("S2 ")
    assert two.files.get().name == f"energy_{ent.credit_code}_S2_2025_en_v1.json"
    assert (one.version, two.version, whole.version) == (1, 1, 1)  # versions count per subject
    ghg = report_generate(kind="ghg", enterprise=ent, site=second_site, year=2025, fmt="json", lang="en")
    # 1 MWh × 0.55 tCO2/MWh (East China grid, DOMAIN.md §3) = 0.55 tCO2
    assert _summary_value(ghg, 2) == Decimal("0.55")


def test_api_starts_a_site_report_and_refuses_foreign_or_mismatched_sites(tenants, site, api_client, settings,
                                                                          django_capture_on_commit_callbacks):
    from accounts.models import Membership, Role

    settings.CELERY_TASK_ALWAYS_EAGER = True
    user = tenants["manager_a"]
    Membership.objects.create(user=user, enterprise=site.enterprise, role=Role.ENERGY_MANAGER)
    api_client.force_authenticate(user)
    body = {"kind": "energy", "site": site.pk, "year": 2025, "format": "json", "lang": "en"}
    with django_capture_on_commit_callbacks(execute=True):
        resp = api_client.post("/api/v1/reports/", body, format="json")
    assert resp.status_code == 202
    snap = ReportSnapshot.objects.get(pk=resp.json()["id"])
    assert (snap.site, snap.enterprise, snap.status) == (site, site.enterprise, "done")
    assert _summary_value(snap) == Decimal("72.2910")
    resp = api_client.post("/api/v1/reports/", {**body, "site": tenants["site_b"].pk}, format="json")
    assert resp.status_code == 404
    resp = api_client.post("/api/v1/reports/", {**body, "enterprise": tenants["a"].pk}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (400, "invalid_site")
    resp = api_client.post("/api/v1/reports/", {k: v for k, v in body.items() if k != "site"}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (400, "invalid_subject")
    resp = api_client.post("/api/v1/reports/", {**body, "kind": "footprint", "allocation": "x"}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (400, "invalid_allocation")


def test_admin_action_on_sites_generates_a_report_per_site(tenants, site, second_site, client):
    client.force_login(tenants["staff"])
    resp = client.post("/admin/plants/site/", {"action": "generate_energy_report_site",
                                               "_selected_action": [site.pk, second_site.pk]})
    assert resp.status_code == 302
    snaps = ReportSnapshot.objects.filter(kind="energy")
    assert sorted((s.site.code, s.format) for s in snaps) == sorted([(site.code, "pdf"), (site.code, "xlsx"),
                                                                     ("S2", "pdf"), ("S2", "xlsx")])
    assert all(s.status == "done" and s.enterprise_id == site.enterprise_id for s in snaps)


def test_command_takes_a_site_and_an_allocation(site, products, tmp_path):
    out = io.StringIO()
    call_command("generate_report", kind="footprint", enterprise=site.enterprise.credit_code, site=site.code,
                 year=2025, format="json", lang="en", output=str(tmp_path), allocation="energy", stdout=out)
    path = out.getvalue().strip()
    assert path.endswith(f"footprint_{site.enterprise.credit_code}_{site.code}_2025_en_v1.json")
    doc = json.loads(open(path, encoding="utf-8").read())  # noqa: PTH123
    assert doc["meta"]["allocation"] == "energy"
