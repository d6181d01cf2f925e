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


def _alloc(snap) -> dict:
    return {r["product"]: r for r in _doc(snap)["sections"][1]["tables"][0]["rows"]}


def _d(row: dict, *keys: str) -> list[Decimal]:
    return [Decimal(row[k]) for k in keys]


def test_economic_allocation_uses_output_times_unit_price_after_the_metered_units(site, products):
    ProductPrice.objects.create(product=products["bar"], year=2025, price_cny_per_unit=Decimal("4000"))
    ProductPrice.objects.create(product=products["wire"], year=2025, price_cny_per_unit=Decimal("9000"))
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="en",
                           options={"allocation": "economic"})
    alloc, rows = _alloc(snap), _rows(snap)
    # Metered first (DOMAIN.md §3 East China 0.55 tCO2/MWh × 100 MWh = 55 tCO2 of electricity): W1 (WIRE)
    # 30,000 / 100,000 kWh × 55 = 16.5; W2 (BAR) 20,000 / 100,000 × 55 = 11.0. Rest 201.819226 − 27.5 = 174.319226
    # by economic value: BAR 600 t × 4,000 = 2,400,000 CNY, WIRE 400 t × 9,000 = 3,600,000 CNY → 0.4 / 0.6:
    # BAR 11.0 + 0.4 × 174.319226 = 80.7276904 → 80.727690, per t 80,727.690 kg / 600 = 134.546150;
    # WIRE 16.5 + 0.6 × 174.319226 = 121.0915356 → 121.091536, per t 121,091.536 / 400 = 302.728840 kgCO2/t
    assert (Decimal(alloc["BAR"]["basis"]), alloc["BAR"]["basis_unit"]) == (Decimal("2400000"), "CNY")
    assert _d(alloc["BAR"], "share", "metered_tco2", "rule_tco2", "gate_tco2") == [
        Decimal("0.4"), Decimal("11"), Decimal("69.727690"), Decimal("80.727690")]
    assert _d(rows["BAR"], "tco2", "kgco2_per_unit") == [Decimal("80.727690"), Decimal("134.546150")]
    assert _d(rows["WIRE"], "tco2", "kgco2_per_unit") == [Decimal("121.091536"), Decimal("302.728840")]
    doc = _doc(snap)
    assert doc["meta"]["allocation"] == "economic" and snap.options == {"allocation": "economic"}
    assert any("economic value" in n for n in doc["sections"][1]["notes"])
    assert any("Metered production units first" in n for n in doc["sections"][1]["notes"])


def test_energy_allocation_follows_the_metered_energy_of_each_products_unit(site, products):
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="en",
                           options={"allocation": "energy"})
    alloc = _alloc(snap)
    # DOMAIN.md §1: W1 30,000 kWh × 0.1229 kgce/kWh = 3.687 tce (WIRE); W2 20,000 kWh × 0.1229 = 2.458 tce (BAR);
    # shares 3.687 / 6.145 = 0.6 and 2.458 / 6.145 = 0.4 of the 174.319226 left after the metered 16.5 + 11.0:
    # WIRE 16.5 + 104.5915356 = 121.091536, BAR 11.0 + 69.7276904 = 80.727690
    assert (Decimal(alloc["WIRE"]["basis"]), alloc["WIRE"]["basis_unit"]) == (Decimal("3.687"), "tce")
    assert Decimal(alloc["BAR"]["basis"]) == Decimal("2.458")
    assert _d(alloc["WIRE"], "share", "gate_tco2") == [Decimal("0.6"), Decimal("121.091536")]
    assert _d(alloc["BAR"], "share", "gate_tco2") == [Decimal("0.4"), Decimal("80.727690")]
    assert any("metered energy of production units" in n for n in _doc(snap)["sections"][1]["notes"])


def test_mass_allocation_is_the_default_and_comes_after_the_metered_units(site, products):
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="zh-hans")
    alloc, rows = _alloc(snap), _rows(snap)
    # Metered: BAR (W2) 11.0, WIRE (W1) 16.5 tCO2 of electricity (see above). The rest 174.319226 by output:
    # BAR 600 / 1,000 = 0.6 → 104.5915356, WIRE 0.4 → 69.7276904.
    # BAR 11.0 + 104.5915356 = 115.5915356 → 115.591536, per t 115,591.536 / 600 = 192.652560 kgCO2/t;
    # WIRE 16.5 + 69.7276904 = 86.2276904 → 86.227690, per t 86,227.690 / 400 = 215.569225 kgCO2/t.
    # Scopes of BAR: scope 2 = 11.0 + 0.6 × (55 − 27.5) = 27.5; scope 1 = 0.6 × 146.819226 = 88.0915356.
    assert _d(alloc["BAR"], "share", "metered_tco2", "gate_tco2", "scope1_tco2", "scope2_tco2") == [
        Decimal("0.6"), Decimal("11"), Decimal("115.591536"), Decimal("88.091536"), Decimal("27.5")]
    assert _d(rows["BAR"], "kgco2_per_unit") == [Decimal("192.652560")]
    assert _d(rows["WIRE"], "gate_tco2", "kgco2_per_unit") == [Decimal("86.227690"), Decimal("215.569225")]
    assert alloc["BAR"]["unit_of_production"] == "W2"
    assert any("按产量（质量）比例分配" in n for n in _doc(snap)["sections"][1]["notes"])


@pytest.fixture
def upstream(site, products):
    """March 2025: 630 t billet for BAR (supplier-specific 2.0 tCO2e/t, of which 0.25 indirect; a precursor),
    100 t of alloy for the site's products together (default 1.5 tCO2e/t, provisional)."""
    from reports.models import MaterialPurchase, UpstreamFactor

    ent = site.enterprise
    billet = UpstreamFactor.objects.create(
        enterprise=ent, code="BILLET", name="Billet", unit="t", value_tco2e_per_unit=Decimal("2.0"),
        indirect_tco2e_per_unit=Decimal("0.25"), kind="supplier_specific", supplier="Steel Works A",
        source="supplier's CBAM communication 2025", provisional=False)
    alloy = UpstreamFactor.objects.create(enterprise=ent, code="ALLOY", name="Alloy", unit="t",
                                          value_tco2e_per_unit=Decimal("1.5"), source="default (test)")
    MaterialPurchase.objects.create(site=site, product=products["bar"], factor=billet, month="2025-03-01",
                                    quantity=Decimal("630"), role="precursor", cn_code="72071100")
    MaterialPurchase.objects.create(site=site, product=None, factor=alloy, month="2025-03-01",
                                    quantity=Decimal("100"))
    return {"billet": billet, "alloy": alloy}


def test_upstream_materials_make_a_cradle_to_gate_footprint_with_data_quality(site, products, upstream):
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    doc = _doc(snap)
    rows = _rows(snap)
    # BAR: gate 115.5915356 (mass test); upstream 630 t × 2.0 = 1,260 + its 0.6 of the shared 100 t × 1.5 = 150 →
    # 90: 1,350 tCO2e; total 1,465.5915356 → 1465.591536, per t 1,465,591.536 / 600 = 2,442.652560 kgCO2e/t.
    # WIRE: gate 86.2276904; upstream 0.4 × 150 = 60; total 146.2276904 → 146.227690; per t 365.569225.
    assert _d(rows["BAR"], "gate_tco2", "upstream_tco2", "tco2", "upstream_kg_per_unit", "kgco2_per_unit") == [
        Decimal("115.591536"), Decimal("1350"), Decimal("1465.591536"), Decimal("2250"), Decimal("2442.652560")]
    assert _d(rows["WIRE"], "tco2", "kgco2_per_unit") == [Decimal("146.227690"), Decimal("365.569225")]
    assert rows["BAR"]["boundary"] == rows["WIRE"]["boundary"] == "cradle-to-gate"
    assert doc["meta"]["boundary"] == "cradle-to-gate" and doc["meta"]["gwp"] == "GWP100"
    up = doc["sections"][2]["tables"][0]["rows"]
    assert [(r["product"], r["material"], Decimal(r["quantity"]), Decimal(r["tco2"]), r["provisional"]) for r in up] \
        == [("BAR", "BILLET", Decimal("630"), Decimal("1260"), "no"), ("BAR", "ALLOY", Decimal("60"), Decimal("90"),
                                                                      "yes"),
            ("WIRE", "ALLOY", Decimal("40"), Decimal("60"), "yes")]
    dq = {r["product"]: r for r in doc["sections"][4]["tables"][0]["rows"]}
    # BAR: primary 115.5915356 / 1,465.5915356 = 0.0788702…; metered 11 / 115.5915356 = 0.0951627…;
    # supplier-specific 1,260 / 1,350 = 0.933333; provisional 90 / 1,350 = 0.066667
    assert _d(dq["BAR"], "primary_share", "metered_share", "supplier_share", "provisional_share") == [
        Decimal("0.078870"), Decimal("0.095163"), Decimal("0.933333"), Decimal("0.066667")]
    assert dq["WIRE"]["supplier_share"] == "0.000000" and dq["WIRE"]["provisional_share"] == "1.000000"


def test_a_product_without_upstream_data_is_reported_gate_to_gate(site, products, upstream):
    from reports.models import MaterialPurchase

    MaterialPurchase.objects.filter(product__isnull=True).delete()
    doc = _doc(report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="en"))
    rows = {r["product"]: r for r in doc["sections"][0]["tables"][0]["rows"]}
    assert (rows["BAR"]["boundary"], rows["WIRE"]["boundary"], doc["meta"]["boundary"]) == (
        "cradle-to-gate", "gate-to-gate", "mixed")
    assert any("No upstream data for WIRE" in n and "not cradle-to-gate" in n for n in doc["sections"][0]["notes"])


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
