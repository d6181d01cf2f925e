"""Containment (issue #13 Deliver 7, issue #14 "values that poison reads"): units are data and checked on every
write; absurd values are refused at ingestion; a stored 1e308/inf reading or a meter with unit `0` next to good
meters leaves every page, API answer and report working, the good figures unchanged and the bad meters listed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from meters.models import Carrier, DirtyMeterDay, Meter, Reading
from meters.rollup import rollup_all
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import EconomicDataFactory, MeterFactory
from tests.paths import site_api

pytestmark = pytest.mark.django_db


def freeze_today(day: dt.date):
    """Patch the local date the overview computes the current month and year from."""
    from unittest import mock

    return mock.patch("django.utils.timezone.localdate", return_value=day)
MONTHLY = 43200
MARCH = dt.datetime(2025, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _meter_body(site, **over) -> dict:
    return {"site": site.pk, "code": "NEW", "carrier": "electricity", "unit": "kWh", "reading_kind": "interval",
            "level": "enterprise", "role": "purchase", "active_from": "2025-01-01T00:00:00+08:00", **over}


def test_api_refuses_a_unit_the_carrier_does_not_allow_on_create_and_update(tenants, api_client):
    api_client.force_authenticate(tenants["manager_a"])
    resp = api_client.post("/api/v1/meters/", _meter_body(tenants["site_a"], unit="0"), format="json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "unit_not_allowed"
    assert resp.json()["allowed_units"] == ["kWh", "kvarh", "MWh", "Mvarh"]  # kvarh: reactive energy (power factor)
    assert not Meter.objects.filter(code="NEW").exists()
    # Coal in m3 is refused too; in t it is accepted.
    assert api_client.post("/api/v1/meters/", _meter_body(tenants["site_a"], carrier="raw_coal", unit="m3"),
                           format="json").json()["code"] == "unit_not_allowed"
    ok = api_client.post("/api/v1/meters/", _meter_body(tenants["site_a"], carrier="raw_coal", unit="t"),
                         format="json")
    assert ok.status_code == 201
    # Update: changing only the carrier to electricity leaves unit t, which electricity does not allow.
    resp = api_client.patch(f"/api/v1/meters/{ok.json()['id']}/", {"carrier": "electricity"}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "unit_not_allowed"
    assert Meter.objects.get(pk=ok.json()["id"]).carrier == "raw_coal"


def test_admin_form_refuses_a_unit_the_carrier_does_not_allow(tenants, client):
    client.force_login(tenants["staff"])
    body = {"site": tenants["site_a"].pk, "code": "ADM", "carrier": "natural_gas", "unit": "kWh",
            "reading_kind": "interval", "multiplier": "1", "interval_minutes": "15", "level": "enterprise",
            "role": "purchase", "active_from_0": "2025-01-01", "active_from_1": "00:00:00"}
    resp = client.post("/admin/meters/meter/add/", body)
    assert resp.status_code == 200  # the form again, with the error
    errors = resp.context["adminform"].form.errors
    assert list(errors) == ["unit"]
    # The carrier by its name (zh-hans, the default language), not its code natural_gas.
    assert "“kWh”" in errors["unit"][0] and "天然气" in errors["unit"][0] and "m3, 10^4 m3" in errors["unit"][0]
    assert not Meter.objects.filter(code="ADM").exists()
    resp = client.post("/admin/meters/meter/add/", {**body, "unit": "10^4 m3"})
    assert resp.status_code == 302
    assert Meter.objects.get(code="ADM").unit == "10^4 m3"


def test_ingestion_refuses_an_implausible_value_and_accepts_the_other_rows(tenants):
    site = tenants["site_a"]
    MeterFactory(site=site, code="E1")  # electricity kWh: default limit 1e10 kWh per reading
    MeterFactory(site=site, code="E2", max_reading=Decimal("500"))  # its own limit: 500 kWh per interval
    rows = [RawRow(0, "E1", "2025-03-01T00:00:00+08:00", 120.5),
            RawRow(1, "E1", "2025-03-01T00:15:00+08:00", 1e308),
            RawRow(2, "E2", "2025-03-01T00:00:00+08:00", 500.0),
            RawRow(3, "E2", "2025-03-01T00:15:00+08:00", 500.5),
            RawRow(4, "E1", "2025-03-01T00:30:00+08:00", "inf")]
    result = readings_ingest(site=site, rows=rows)
    assert result.accepted == 2
    assert [(r["index"], r["code"]) for r in result.rejected] == [
        (1, "implausible_value"), (3, "implausible_value"), (4, "not_finite")]
    assert sorted(Reading.objects.values_list("value", flat=True)) == [120.5, 500.0]


def test_ingestion_refuses_a_register_value_at_its_rollover_modulus(tenants):
    site = tenants["site_a"]
    MeterFactory(site=site, code="R", reading_kind="cumulative", rollover_value=Decimal("100000"))
    result = readings_ingest(site=site, rows=[RawRow(0, "R", "2025-03-01T00:00:00+08:00", 100000.0),
                                              RawRow(1, "R", "2025-03-01T00:15:00+08:00", 99999.9)])
    assert [(r["index"], r["code"]) for r in result.rejected] == [(0, "implausible_value")]


def test_import_of_readings_refuses_rows_of_a_meter_with_a_unit_not_allowed(tenants):
    site = tenants["site_a"]
    MeterFactory(site=site, code="GOOD")
    Meter.objects.filter(pk=MeterFactory(site=site, code="ZERO").pk).update(unit="0")  # stored before the check
    result = readings_ingest(site=site, rows=[RawRow(0, "GOOD", "2025-03-01T00:00:00+08:00", 1.0),
                                              RawRow(1, "ZERO", "2025-03-01T00:00:00+08:00", 1.0)])
    assert result.accepted == 1
    assert [(r["index"], r["code"]) for r in result.rejected] == [(1, "unit_not_allowed")]


@pytest.fixture
def poisoned(tenants):
    """Site A1 (Shanghai), March 2025: a good grid meter with 100,000 kWh; next to it a meter whose unit is `0` and
    one with 1e308 and 1.7e308 stored (both written before the checks existed, so straight into the tables)."""
    site = tenants["site_a"]
    MeterFactory(site=site, code="E-GOOD", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=MONTHLY)
    assert readings_ingest(site=site, rows=[RawRow(0, "E-GOOD", MARCH.isoformat(), 100_000)]).rejected == []
    zero = MeterFactory(site=site, code="E-ZERO", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=MONTHLY)
    Meter.objects.filter(pk=zero.pk).update(unit="0")
    huge = MeterFactory(site=site, code="E-HUGE", carrier=Carrier.ELECTRICITY, unit="kWh")
    Reading.objects.bulk_create([Reading(meter=zero, ts=MARCH, value=5000.0),
                                 Reading(meter=huge, ts=MARCH, value=1e308),
                                 Reading(meter=huge, ts=MARCH + dt.timedelta(minutes=15), value=1.7e308),
                                 Reading(meter=huge, ts=MARCH + dt.timedelta(minutes=30), value=float("inf"))])
    rollup_all()
    DirtyMeterDay.objects.all().delete()
    EconomicDataFactory(site=site, month="2025-03-01", value_added_10k_cny=Decimal("500"))
    return {**tenants, "site": site}


def _excluded(body) -> dict:
    return {e["meter"]: e["reason"] for e in body["excluded_meters"]}


def test_kpis_leave_the_bad_meters_out_and_say_the_figure_is_incomplete(poisoned, api_client):
    api_client.force_authenticate(poisoned["manager_a"])
    site = api_client.get(site_api("A1") + "kpis/?period=2025-03")
    assert site.status_code == 200
    body = site.json()
    # 100,000 kWh × 0.1229 kgce/kWh (GB/T 2589-2020, DOMAIN.md §1) ÷ 1,000 = 12.29 tce
    assert Decimal(str(body["energy_tce"]["value"])) == Decimal("12.29")
    # 100 MWh × 0.5500 tCO2/MWh (East China grid 2023, the newest data year ≤ 2025, DOMAIN.md §3) = 55 tCO2
    assert Decimal(str(body["scope2_tco2"]["value"])) == Decimal("55")
    assert body["complete"] is False
    assert _excluded(body) == {"E-ZERO": "unit_not_allowed", "E-HUGE": "implausible_value"}
    ent = api_client.get(f"/api/v1/enterprises/{poisoned['a'].pk}/kpis/?period=2025-03")
    assert ent.status_code == 200
    assert Decimal(str(ent.json()["energy_tce"]["value"])) == Decimal("12.29")
    assert ent.json()["complete"] is False and _excluded(ent.json()) == _excluded(body)


def test_every_read_path_answers_200_with_a_poisoned_meter(poisoned, api_client, client):
    site, ent = poisoned["site"], poisoned["a"]
    api_client.force_authenticate(poisoned["manager_a"])
    for url in [site_api("A1") + "kpis/?period=2025", site_api("A1") + "forecast/?period=2025&as_of=2025-03-20",
                f"/api/v1/enterprises/{ent.pk}/forecast/?period=2025&as_of=2025-03-20",
                site_api("A1") + "energy-flow/?period=2025-03", site_api("A1") + "benchmark/?period=2025",
                f"/api/v1/ui/sites/{site.pk}/monthly/", f"/api/v1/ui/sites/{site.pk}/load/?day=2025-03-01",
                f"/api/v1/ui/sites/{site.pk}/kpi-trend/",
                *[f"/api/v1/ui/meters/{m.pk}/series/" for m in Meter.objects.filter(site=site)]]:
        resp = api_client.get(url)
        assert resp.status_code == 200, (url, resp.content[:300])
    huge = Meter.objects.get(code="E-HUGE")
    meter = api_client.get(f"/api/v1/meters/{huge.pk}/kpis/?period=2025-03")
    assert meter.status_code == 200
    assert (meter.json()["quantity"]["value"], meter.json()["excluded"]["reason"]) == (None, "implausible_value")
    flow = api_client.get(site_api("A1") + "energy-flow/?period=2025-03").json()
    # The good meter alone: 12.29 tce in (as above).
    assert Decimal(str(flow["inputs_total"])) == Decimal("12.29")
    assert _excluded(flow) == {"E-ZERO": "unit_not_allowed", "E-HUGE": "implausible_value"}
    client.force_login(poisoned["manager_a"])
    with freeze_today(dt.date(2025, 3, 20)):  # the overview shows March 2025 and the year to date
        page = client.get("/").content.decode()
    assert 'id="figures-incomplete"' in page and "E-HUGE" in page and "E-ZERO" in page
    for url in ["/", "/alerts/", f"/sites/{site.pk}/", f"/sites/{site.pk}/meters/", "/quality/", "/insights/",
                "/insights/energy-flow/", "/insights/benchmark/", "/insights/baselines/", "/reports/"]:
        assert client.get(url).status_code == 200, url


def test_quality_page_lists_the_unusable_meters_with_their_reason(poisoned, client):
    client.force_login(poisoned["manager_a"])
    page = client.get("/quality/").content.decode()
    assert "E-ZERO" in page and "unit_not_allowed" in page
    assert "E-HUGE" in page and "implausible_value" in page
    assert "E-GOOD" not in page.split("unusable-meters")[1].split("</table>")[0]


def test_regulator_pages_exports_and_reports_work_with_a_poisoned_meter(poisoned, api_client, client):
    from reports.services import report_generate

    client.force_login(poisoned["regulator_sh"])
    for url in ["/regulator/?period=2025", f"/regulator/enterprises/{poisoned['a'].pk}/?period=2025",
                "/regulator/export/?period=2025&format=csv", "/regulator/export/?period=2025&format=xlsx"]:
        assert client.get(url).status_code == 200, url
    api_client.force_authenticate(poisoned["regulator_sh"])
    for fmt in ("json", "csv", "xlsx"):
        assert api_client.get(f"/api/v1/regulator/exports/?year=2025&kind=energy&format={fmt}").status_code == 200
    for kind in ("energy", "ghg", "green_factory", "footprint"):
        snap = report_generate(kind=kind, enterprise=poisoned["a"], year=2025, fmt="json", lang="en")
        assert snap.status == "done", (kind, snap.error)
    import json

    snap = report_generate(kind="ghg", enterprise=poisoned["a"], year=2025, fmt="json", lang="en")
    with snap.files.get().file.open("rb") as fh:
        notes = json.loads(fh.read())["sections"][0]["notes"]
    assert any("E-HUGE (implausible_value)" in n and "E-ZERO (unit_not_allowed)" in n for n in notes), notes
    for fmt in ("pdf", "xlsx", "csv"):
        snap = report_generate(kind="energy", enterprise=poisoned["a"], year=2025, fmt=fmt, lang="zh-hans")
        assert snap.status == "done", (fmt, snap.error)


def test_rollup_csv_prints_no_infinity(poisoned, api_client):
    api_client.force_authenticate(poisoned["manager_a"])
    huge = Meter.objects.get(code="E-HUGE").pk
    resp = api_client.get(f"/api/v1/exports/rollups/?format=csv&granularity=hour&start=2025-03-01&end=2025-03-02"
                          f"&meter={huge}")
    assert resp.status_code == 200
    text = b"".join(resp.streaming_content).decode() if resp.streaming else resp.content.decode()
    assert text.lstrip("\ufeff").startswith("meter,") and "inf" not in text.lower() and "nan" not in text.lower()


def test_rollup_of_absurd_stored_readings_does_not_stop_other_meters(tenants):
    """1e308 × multiplier 200 overflowed double precision and failed the whole statement, good meters included."""
    import math

    from meters.models import MeterRollup
    from meters.rollup import rollup_sweep

    site = tenants["site_a"]
    good = MeterFactory(site=site, code="G", reading_kind="cumulative")
    bad = MeterFactory(site=site, code="B", reading_kind="cumulative", multiplier=200)
    Reading.objects.bulk_create([Reading(meter=bad, ts=MARCH + dt.timedelta(minutes=15 * k), value=v)
                                 for k, v in enumerate([10.0, 1e308, 1.7e308, 20.0])])
    DirtyMeterDay.objects.create(meter=bad, day=dt.date(2025, 3, 1))
    assert readings_ingest(site=site, rows=[RawRow(0, "G", MARCH.isoformat(), 100.0),
                                            RawRow(1, "G", (MARCH + dt.timedelta(minutes=15)).isoformat(), 130.0)
                                            ]).accepted == 2
    rollup_sweep()
    swept = {m: MeterRollup.objects.get(meter=m, granularity="day").quantity for m in (good, bad)}
    assert swept[good] == 30.0  # 130 − 100, multiplier 1
    assert math.isinf(swept[bad])  # left out of every figure by meter_quantities
    MeterRollup.objects.all().delete()
    rollup_all()  # the full rebuild gives the same
    assert MeterRollup.objects.get(meter=good, granularity="day").quantity == 30.0
    assert math.isinf(MeterRollup.objects.get(meter=bad, granularity="day").quantity)
