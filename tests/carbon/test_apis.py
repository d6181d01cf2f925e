"""Accounting API: KPIs by site id and enterprise, versioned economic data, ledger endpoints and their roles."""

from decimal import Decimal

import pytest

from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from plants.models import EconomicData
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tenants):
    site = tenants["site_a"]
    MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=43200)
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-03-01T00:00:00+08:00", 10_000)])
    rollup_sweep()
    return tenants


def test_site_kpis_by_id_with_units(data, api_client):
    api_client.force_authenticate(data["viewer_a"])
    r = api_client.get(f"/api/v1/sites/{data['site_a'].pk}/kpis/?period=2025-03")
    assert r.status_code == 200, r.content
    # 10,000 kWh × 0.1229 kgce/kWh = 1,229 kgce = 1.229 tce (GB/T 2589-2020, DOMAIN.md §1)
    assert r.json()["energy_tce"] == {"value": 1.229, "unit": "tce"}
    assert api_client.get(f"/api/v1/sites/{data['site_a'].pk}/kpis/?period=2025-3").json()["code"] == "invalid_period"


def test_foreign_site_and_enterprise_kpis_are_not_found(data, api_client):
    api_client.force_authenticate(data["admin_b"])
    assert api_client.get(f"/api/v1/sites/{data['site_a'].pk}/kpis/?period=2025-03").status_code == 404
    assert api_client.get(f"/api/v1/enterprises/{data['a'].pk}/kpis/?period=2025").status_code == 404
    api_client.force_authenticate(data["regulator_sh"])
    assert api_client.get(f"/api/v1/enterprises/{data['a'].pk}/kpis/?period=2025").status_code == 200


def test_economic_data_post_adds_a_version(data, api_client):
    api_client.force_authenticate(data["manager_a"])
    for value in ("100.5", "120"):
        r = api_client.post("/api/v1/economic-data/", {"site": data["site_a"].pk, "month": "2025-03-01",
                                                       "value_added_10k_cny": value}, format="json")
        assert r.status_code == 201, r.content
    versions = list(EconomicData.objects.filter(site=data["site_a"]).values_list("version", "value_added_10k_cny"))
    assert sorted(versions) == [(1, Decimal("100.5")), (2, Decimal("120"))]
    kpis = api_client.get(f"/api/v1/sites/{data['site_a'].pk}/kpis/?period=2025-03").json()
    assert kpis["value_added_10k_cny"]["value"] == 120.0
    api_client.force_authenticate(data["viewer_a"])
    r = api_client.post("/api/v1/economic-data/", {"site": data["site_a"].pk, "month": "2025-03-01",
                                                   "value_added_10k_cny": "1"}, format="json")
    assert r.status_code == 403
    bad = api_client.post("/api/v1/economic-data/", {"site": data["site_a"].pk, "month": "2025-03-05",
                                                     "value_added_10k_cny": "1"}, format="json")
    assert bad.status_code in (400, 403)


def test_close_verify_and_restate_need_an_enterprise_admin(data, api_client):
    url = f"/api/v1/enterprises/{data['a'].pk}"
    api_client.force_authenticate(data["manager_a"])
    assert api_client.post(f"{url}/periods/2025-03/close/").status_code == 403
    api_client.force_authenticate(data["admin_a"])
    r = api_client.post(f"{url}/periods/2025-03/close/")
    assert r.status_code == 201, r.content
    assert api_client.post(f"{url}/periods/2025-03/close/").json()["code"] == "period_closed"
    verify = api_client.get(f"{url}/ledger/verify/").json()
    assert verify["ok"] is True
    assert verify["entries"] == 1
    assert api_client.post(f"{url}/periods/2025-03/restate/", {"reason": ""}, format="json").json()["code"] == \
        "reason_required"
    r = api_client.post(f"{url}/periods/2025-03/restate/", {"reason": "late meter data"}, format="json")
    assert r.status_code == 201
    assert len(api_client.get(f"{url}/ledger/").json()) == 3


def test_monthly_data_upload_preview_then_commit(data, api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_text = "site,month,value_added_10k_cny\nA1,2025-03,150\nB1,2025-03,99\nA1,2025-13,1\nA1,2025-04,-5\n"
    api_client.force_authenticate(data["manager_a"])
    url = "/api/v1/economic-data/upload/"
    preview = api_client.post(url, {"file": SimpleUploadedFile("va.csv", csv_text.encode())}, format="multipart")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["valid"] == 1
    assert [r["row"] for r in body["rejected"]] == [3, 4, 5]  # foreign site B1, bad month, negative
    assert not EconomicData.objects.exists()
    done = api_client.post(url + "?commit=true", {"file": SimpleUploadedFile("va.csv", csv_text.encode())},
                           format="multipart")
    assert done.status_code == 201
    assert list(EconomicData.objects.values_list("value_added_10k_cny", flat=True)) == [Decimal("150")]
    bad = api_client.post(url, {"file": SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n")}, format="multipart")
    assert bad.json()["code"] == "bad_header"
