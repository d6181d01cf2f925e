"""Benchmarking: hand-worked gaps against DOMAIN.md reference values, own best period and sibling ranking."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from carbon.periods import Period
from insights.benchmark import site_benchmark
from insights.models import BenchmarkReference, ProductCategory
from meters.models import Meter
from plants.models import Site
from tests.factories import EconomicDataFactory, ProductFactory, ProductionDataFactory, SiteFactory

from .conftest import monthly_meter, post_month

pytestmark = pytest.mark.django_db


def _data_center(enterprise, code, months: dict[str, tuple[float, float]], va=None):
    site = SiteFactory(enterprise=enterprise, code=code, kind=Site.Kind.DATA_CENTER)
    total = monthly_meter(site, f"{code}-T", role=Meter.Role.FACILITY_TOTAL)
    monthly_meter(site, f"{code}-IT", parent=total, role=Meter.Role.IT_LOAD)
    for month, (t, it) in months.items():
        post_month(site, month, {f"{code}-T": t, f"{code}-IT": it})
        if va is not None:
            EconomicDataFactory(site=site, month=f"{month}-01", value_added_10k_cny=va)
    return site


@pytest.fixture
def data_centers(tenants):
    dc = _data_center(tenants["a"], "DC", {"2025-02": (1250, 1000), "2025-03": (1400, 1000)}, va=Decimal(10))
    _data_center(tenants["a"], "DC2", {"2025-03": (1200, 1000)}, va=Decimal(10))
    _data_center(tenants["b"], "DCB", {"2025-03": (1100, 1000)}, va=Decimal(10))
    return dc


def test_pue_against_the_domain_md_references_own_best_and_siblings(data_centers, tenants):
    result = site_benchmark(site=data_centers, period=Period.parse("2025-03"), user=tenants["manager_a"])
    pue = next(i for i in result["indicators"] if i["key"] == "pue")
    # PUE = facility total / IT load = 1400 / 1000 = 1.400 (DOMAIN.md §5).
    assert pue["value"] == Decimal("1.400")
    refs = {(r["kind"], r["label"]): r for r in pue["references"]}
    # References loaded from DOMAIN.md §5 only: policy 1.30 / 1.25 / 1.50 [read], GB 40879 grades 1.20/1.30/1.50 [check]
    assert {k: (r["value"], r["provisional"]) for k, r in refs.items()} == {
        ("policy", "new large data centre"): (Decimal("1.3000"), False),
        ("policy", "national hub node"): (Decimal("1.2500"), False),
        ("policy", "national average by end-2025"): (Decimal("1.5000"), False),
        ("grade", "grade 1"): (Decimal("1.2000"), True),
        ("grade", "grade 2"): (Decimal("1.3000"), True),
        ("grade", "grade 3"): (Decimal("1.5000"), True)}
    # gap = 1.4 − 1.3 = 0.1, 0.1 / 1.3 = 7.69 %; 1.4 − 1.25 = 0.15 → 12.00 %; 1.4 − 1.5 = −0.1 → −6.67 % (met)
    new_large = refs[("policy", "new large data centre")]
    assert (new_large["gap"], new_large["gap_pct"], new_large["meets"]) == (Decimal("0.1000"), Decimal("7.69"), False)
    hub = refs[("policy", "national hub node")]
    assert (hub["gap"], hub["gap_pct"], hub["meets"]) == (Decimal("0.1500"), Decimal("12.00"), False)
    grade3 = refs[("grade", "grade 3")]
    assert (grade3["gap"], grade3["gap_pct"], grade3["meets"]) == (Decimal("-0.1000"), Decimal("-6.67"), True)
    # Own best month: February, 1250 / 1000 = 1.250; gap 0.15 = 12.00 %.
    assert pue["own_best"] == {"period": "2025-02", "value": Decimal("1.250"), "gap": Decimal("0.1500"),
                               "gap_pct": Decimal("12.00")}
    assert pue["history"] == [{"period": "2025-02", "value": Decimal("1.250")},
                              {"period": "2025-03", "value": Decimal("1.400")}]
    # Siblings of the same kind in enterprise A only (DCB belongs to B): DC2 1.2 first, DC 1.4 second.
    assert [(r["site"], r["value"], r["rank"]) for r in pue["ranking"]] == [
        ("DC2", Decimal("1.200"), 1), ("DC", Decimal("1.400"), 2)]
    assert (pue["rank"], pue["of"]) == (2, 2)
    epva = next(i for i in result["indicators"] if i["key"] == "energy_per_value_added")
    # 1400 kWh × 0.1229 kgce/kWh = 0.17206 tce / 10 (10⁴ CNY) = 0.0172; DC2: 0.14748 / 10 = 0.0147
    assert epva["value"] == Decimal("0.0172")
    assert epva["references"] == []  # DOMAIN.md has no absolute value per value added: nothing invented
    assert [(r["site"], r["rank"]) for r in epva["ranking"]] == [("DC2", 1), ("DC", 2)]
    # Gap to the leader: 0.0172 − 0.0147 = 0.0025 = 17.01 % of 0.0147
    assert epva["leader_gap"] == {"gap": Decimal("0.0025"), "gap_pct": Decimal("17.01")}


def test_energy_per_unit_of_product_against_enterprise_references(tenants):
    site = SiteFactory(enterprise=tenants["a"], code="F1")
    other = SiteFactory(enterprise=tenants["a"], code="F2")
    coil = ProductFactory(site=site, code="COIL", unit="t")
    roll = ProductFactory(site=other, code="ROLL", unit="t")
    ProductCategory.objects.create(product=coil, category="hot-rolled coil")
    ProductCategory.objects.create(product=roll, category="hot-rolled coil")
    for s, code, kwh, product in ((site, "F1-E", 100_000, coil), (other, "F2-E", 50_000, roll)):
        monthly_meter(s, code)
        post_month(s, "2025-03", {code: kwh})
        ProductionDataFactory(product=product, month="2025-03-01", quantity=500)
    common = {"indicator": "energy_per_unit", "product_category": "hot-rolled coil", "unit": "kgce/t",
              "source": "enterprise standard"}
    BenchmarkReference.objects.create(kind="limit", value=30, enterprise=tenants["a"], **common)
    BenchmarkReference.objects.create(kind="advanced", value=20, enterprise=tenants["a"], **common)
    BenchmarkReference.objects.create(kind="advanced", value=10, enterprise=tenants["b"], **common)  # not A's

    result = site_benchmark(site=site, period=Period.parse("2025-03"), user=tenants["manager_a"])
    row = next(i for i in result["indicators"] if i["key"] == "energy_per_unit:COIL")
    # 100,000 kWh × 0.1229 kgce/kWh = 12,290 kgce / 500 t = 24.58 kgce/t (whole site: no production unit)
    assert (row["value"], row["unit"], row["allocation"]) == (Decimal("24.5800"), "kgce/t", "site")
    refs = {r["kind"]: r for r in row["references"]}
    assert set(refs) == {"limit", "advanced"}
    # 24.58 − 20 = 4.58 → 22.90 %; 24.58 − 30 = −5.42 → −18.07 %
    assert (refs["advanced"]["gap"], refs["advanced"]["gap_pct"], refs["advanced"]["meets"]) == (
        Decimal("4.5800"), Decimal("22.90"), False)
    assert (refs["limit"]["gap"], refs["limit"]["gap_pct"], refs["limit"]["meets"]) == (
        Decimal("-5.4200"), Decimal("-18.07"), True)
    # F2 makes the same category at 50,000 × 0.1229 / 500 = 12.29 kgce/t: it ranks first.
    assert [(r["site"], r["value"], r["rank"]) for r in row["ranking"]] == [
        ("F2", Decimal("12.2900"), 1), ("F1", Decimal("24.5800"), 2)]


def test_a_reference_must_be_in_the_indicators_unit():
    ref = BenchmarkReference(indicator="pue", kind="limit", value=1, unit="kgce/t", source="x")
    with pytest.raises(ValidationError) as exc:
        ref.full_clean()
    assert "unit" in exc.value.message_dict
    ref = BenchmarkReference(indicator="energy_per_unit", kind="limit", value=1, unit="kgce/t", source="x")
    with pytest.raises(ValidationError) as exc:
        ref.full_clean()
    assert "product_category" in exc.value.message_dict


def test_benchmark_api_answers_json_and_4xx(data_centers, api_client, tenants):
    api_client.force_authenticate(tenants["viewer_a"])
    r = api_client.get(f"/api/v1/sites/{data_centers.pk}/benchmark/?period=2025-03")
    assert r.status_code == 200
    pue = next(i for i in r.json()["indicators"] if i["key"] == "pue")
    assert pue["value"] == 1.4 and pue["rank"] == 2
    assert api_client.get(f"/api/v1/sites/{data_centers.pk}/benchmark/?period=March").json()["code"] == "invalid_period"
    assert api_client.get(f"/api/v1/sites/{data_centers.pk}/benchmark/?period=2025-03&method=x").status_code == 400
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get(f"/api/v1/sites/{data_centers.pk}/benchmark/?period=2025-03").status_code == 404
    r = api_client.get("/api/v1/benchmark-references/?indicator=pue")
    assert r.status_code == 200 and r.json()["count"] == 6


def test_references_are_edited_in_the_admin_by_superusers(client, tenants):
    client.force_login(tenants["staff"])
    ref = BenchmarkReference.objects.get(label="grade 1")
    r = client.get(f"/admin/insights/benchmarkreference/{ref.pk}/change/")
    assert r.status_code == 200
    r = client.get("/admin/insights/benchmarkreference/?provisional__exact=1")
    assert r.status_code == 200 and b"GB 40879-2021" in r.content
