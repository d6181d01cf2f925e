"""Energy-carrying working media in the energy report: shown apart from the energy carriers, counted in
comprehensive energy consumption only when purchased from outside the boundary (GB/T 2589), the rule stated."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from meters.models import Carrier, Meter
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from reports.services import report_generate
from tests.factories import MeterFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_purchased_water_is_counted_and_air_made_inside_is_listed_but_not_counted():
    site = SiteFactory(region_code="310115", enterprise__region_code="310115")
    mk = {"site": site, "interval_minutes": 43200}
    MeterFactory(code="E", carrier=Carrier.ELECTRICITY, unit="kWh", **mk)
    MeterFactory(code="W", carrier=Carrier.WATER, unit="t", **mk)
    MeterFactory(code="AIR", carrier=Carrier.COMPRESSED_AIR, unit="m3", role=Meter.Role.SUB,
                 level=Meter.Level.SUB_UNIT, **mk)
    at = "2025-03-01T00:00:00+08:00"
    rows = [RawRow(0, "E", at, 100_000), RawRow(1, "W", at, 4800), RawRow(2, "AIR", at, 120_000)]
    assert readings_ingest(site=site, rows=rows).rejected == []
    rollup_sweep()
    snap = report_generate(kind="energy", enterprise=site.enterprise, site=site, year=2025, fmt="json", lang="en")
    doc = json.loads(snap.files.get().file.read())
    sections = {s["key"]: s for s in doc["sections"]}
    # 100,000 kWh × 0.1229 kgce/kWh = 12.29 tce; new water 4,800 t × 0.0857 kgce/t = 411.36 kgce = 0.41136 tce
    # (purchased: counted); compressed air made on site is not counted → 12.29 + 0.41136 = 12.70136 tce
    assert Decimal(sections["summary"]["tables"][0]["rows"][0]["value"]) == Decimal("12.70136")  # exact; printed 12.701
    assert [r["carrier"] for r in sections["by_carrier"]["tables"][0]["rows"]] == [
        "electricity", "new water (working medium, purchased)", "Total"]
    media = sections["working_media"]["tables"][0]["rows"]
    assert [(r["medium"], Decimal(r["quantity"]), r["tce"] and Decimal(r["tce"]), r["counted"]) for r in media] == [
        ("new water", Decimal(4800), Decimal("0.41136"), "purchased from outside the boundary: counted"),
        ("compressed air", Decimal(120000), None, "produced inside the boundary: not counted")]
    assert "only when purchased from outside the boundary" in sections["working_media"]["notes"][0]
