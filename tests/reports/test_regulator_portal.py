"""Regulator portal: regulators only, scoped to their region prefix (404 outside), KPIs from the accounting engine,
report downloads and bulk KPI exports written to the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from meters.models import Reading
from meters.rollup import rollup_all
from reports.selectors import KPI_COLUMNS
from reports.services import report_generate
from tests.factories import EconomicDataFactory, MeterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai(site, tenants):
    """The report fixture's Shanghai factory (region 310115, 72.2910 tce in 2025) seen by regulator_sh (prefix 31);
    regulator_hb (prefix 13) has no enterprise of it in its jurisdiction."""
    snap = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="pdf", lang="zh-hans")
    return {"site": site, "enterprise": site.enterprise, "snapshot": snap, "file": snap.files.get()}


def test_portal_lists_enterprises_of_the_jurisdiction_with_their_kpis(shanghai, tenants, client):
    client.force_login(tenants["regulator_sh"])
    resp = client.get("/regulator/?period=2025")
    assert resp.status_code == 200
    html = resp.content.decode()
    # tenants["a"] (310115) and the fixture's enterprise (310115) are in prefix 31; tenants["b"] (130100) is not
    assert shanghai["enterprise"].credit_code in html and tenants["a"].credit_code in html
    assert tenants["b"].credit_code not in html
    # DOMAIN.md §1: 72.291 tce; §2-§3: 201.819226 tCO2 (see test_reports) — printed rounded once, tce and tCO2 to 3
    row = next(r for r in resp.context["rows"] if r["enterprise"] == shanghai["enterprise"])
    assert (row["kpis"]["energy_tce"], row["kpis"]["total_tco2"]) == (Decimal("72.291"), Decimal("201.819226"))
    assert "72.291<" in html and "201.819<" in html


def test_enterprise_page_and_download_are_audited(shanghai, tenants, client):
    client.force_login(tenants["regulator_sh"])
    ent, snap, rf = shanghai["enterprise"], shanghai["snapshot"], shanghai["file"]
    page = client.get(f"/regulator/enterprises/{ent.pk}/?period=2025")
    assert page.status_code == 200
    url = f"/regulator/reports/{snap.pk}/files/{rf.pk}/"
    assert url in page.content.decode()
    assert not AuditEvent.objects.filter(action="report.download").exists()
    resp = client.get(url)
    assert resp.status_code == 200 and b"".join(resp.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(action="report.download")
    assert (event.actor, event.enterprise, event.object_id) == (tenants["regulator_sh"], ent, str(rf.pk))
    assert event.detail["sha256"] == rf.sha256 and event.detail["via"] == "regulator portal"


def test_out_of_region_regulator_gets_404_and_nothing_is_audited(shanghai, tenants, client):
    client.force_login(tenants["regulator_hb"])
    ent, snap, rf = shanghai["enterprise"], shanghai["snapshot"], shanghai["file"]
    assert client.get(f"/regulator/enterprises/{ent.pk}/").status_code == 404
    assert client.get(f"/regulator/enterprises/{'9' * 20}/").status_code == 404  # beyond bigint: still a 404
    assert client.get(f"/regulator/reports/{snap.pk}/files/{rf.pk}/").status_code == 404
    assert shanghai["enterprise"].credit_code not in client.get("/regulator/").content.decode()
    assert not AuditEvent.objects.filter(action="report.download").exists()


def test_only_regulators_enter_the_portal(shanghai, tenants, client):
    for user in ("admin_a", "viewer_a", "staff"):
        client.force_login(tenants[user])
        assert client.get("/regulator/").status_code == 403, user
        assert client.get(f"/regulator/reports/{shanghai['snapshot'].pk}/files/{shanghai['file'].pk}/"
                          ).status_code == 403
    client.logout()
    assert client.get("/regulator/").status_code == 302  # to the login page


def test_bulk_kpi_export_csv_and_xlsx_in_long_format_with_units(shanghai, tenants, client):
    from openpyxl import load_workbook

    client.force_login(tenants["regulator_sh"])
    resp = client.get("/regulator/export/?period=2025&format=csv")
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    code = shanghai["enterprise"].credit_code
    energy = {(r["level"], r["site"]): r for r in rows if r["credit_code"] == code and r["indicator"] == "energy_tce"}
    # The export presents each value once, by its unit (energy_platform.numbers): tce to 3 places.
    assert energy[("enterprise", "")]["value"] == "72.291" and energy[("enterprise", "")]["unit"] == "tce"
    assert energy[("site", shanghai["site"].code)]["value"] == "72.291"
    assert (energy[("site", shanghai["site"].code)]["start"], energy[("site", shanghai["site"].code)]["end"]) == (
        "2025-01-01", "2026-01-01")
    assert {r["credit_code"] for r in rows} == {code, tenants["a"].credit_code}
    event = AuditEvent.objects.get(action="regulator.export")
    assert sorted(event.detail["enterprises"]) == sorted([code, tenants["a"].credit_code])
    resp = client.get("/regulator/export/?period=2025-Q1&format=xlsx")
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).worksheets[0]
    values = list(ws.values)
    assert values[0][-3:] == ("indicator", "value", "unit")
    q1 = next(v for v in values[1:] if v[1] == code and v[0] == "enterprise" and v[8] == "energy_tce")
    assert (q1[5], q1[9], q1[10]) == ("2025-Q1", pytest.approx(72.291), "tce")  # all the March data lies in Q1
    assert AuditEvent.objects.filter(action="regulator.export").count() == 2
    resp = client.get("/regulator/export/?period=2025&format=pdf")
    assert resp.status_code == 400
    assert client.get("/regulator/?period=nonsense").status_code == 400


def test_api_report_download_is_audited(shanghai, tenants, api_client):
    from accounts.models import Membership, Role

    user = tenants["viewer_a"]
    Membership.objects.create(user=user, enterprise=shanghai["enterprise"], role=Role.VIEWER)
    api_client.force_authenticate(user)
    assert api_client.get(f"/api/v1/reports/{'9' * 20}/download/").status_code == 404
    resp = api_client.get(f"/api/v1/reports/{shanghai['snapshot'].pk}/download/")
    assert resp.status_code == 200
    event = AuditEvent.objects.get(action="report.download")
    assert (event.actor, event.enterprise, event.detail["sha256"]) == (user, shanghai["enterprise"],
                                                                      shanghai["file"].sha256)


def test_portal_says_month_in_progress_instead_of_an_empty_intensity(tenants, client, monkeypatch):
    # Given 7 December 2025 (December in progress, counted through the 6th): tenants["a"] (region 310115, in
    # regulator_sh's prefix 31) reads 1,000 kWh a day from 1 to 7 December and enters 100 (10⁴ CNY) for December.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2025, 12, 7))
    cst = dt.timezone(dt.timedelta(hours=8))
    meter = MeterFactory(site=tenants["site_a"], code="PORTAL-E", interval_minutes=1440)
    Reading.objects.bulk_create([Reading(meter=meter, ts=dt.datetime(2025, 12, 1, tzinfo=cst) + dt.timedelta(days=i),
                                         value=1000) for i in range(7)])
    EconomicDataFactory(site=tenants["site_a"], month=dt.date(2025, 12, 1), value_added_10k_cny=Decimal("100"))
    rollup_all()
    client.force_login(tenants["regulator_sh"])
    # When the regulator opens the month in progress (home and enterprise pages, Chinese and English)
    home = client.get("/regulator/?period=2025-12", HTTP_ACCEPT_LANGUAGE="zh-hans")
    ent = client.get(f"/regulator/enterprises/{tenants['a'].pk}/?period=2025-12", HTTP_ACCEPT_LANGUAGE="zh-hans")
    home_en = client.get("/regulator/?period=2025-12", HTTP_ACCEPT_LANGUAGE="en")
    # Then the two intensities carry the KPI answer's reason and say so; the totals to date have values:
    # 6,000 kWh (1–6 December) × 0.1229 kgce/kWh (GB/T 2589-2020) = 737.4 kgce = 0.7374 tce, printed 0.737
    row = next(r for r in home.context["rows"] if r["enterprise"] == tenants["a"])
    assert row["reasons"] == {"energy_per_value_added": "month_in_progress", "carbon_intensity": "month_in_progress"}
    assert (row["kpis"]["energy_tce"], row["kpis"]["energy_per_value_added"]) == (Decimal("0.7374"), None)
    cols = [k for k, _u in KPI_COLUMNS]
    assert row["cells"][cols.index("energy_per_value_added")] == "— 本月进行中"
    assert row["cells"][cols.index("carbon_intensity")] == "— 本月进行中"
    assert row["cells"][cols.index("energy_tce")].startswith("0.737")
    site_row = next(r for r in ent.context["sites"] if r["site"] == tenants["site_a"])
    assert site_row["cells"][cols.index("energy_per_value_added")] == "— 本月进行中"
    assert ent.content.decode().count("— 本月进行中") >= 2
    en_row = next(r for r in home_en.context["rows"] if r["enterprise"] == tenants["a"])
    assert en_row["cells"][cols.index("carbon_intensity")] == "— month in progress"
