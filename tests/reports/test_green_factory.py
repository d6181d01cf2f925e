"""Green-factory scoring and self-evaluation report from the default (provisional) indicator sets."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from reports.greenfactory import edition_for, indicator_score, indicator_set_for
from reports.models import Indicator, IndicatorEntry, RequirementEntry
from reports.services import report_generate
from tests.factories import EconomicDataFactory, MeterFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_linear_score_between_baseline_and_leading_hand_example():
    # higher-is-better, baseline 0.60 (60 %), leading 0.90 (100 %): v = 0.75 → 60 + 40 × 0.15 / 0.30 = 80.00
    assert indicator_score(value=Decimal("0.75"), baseline=Decimal("0.60"), leading=Decimal("0.90"),
                           direction="higher_is_better") == Decimal("80.00")
    # lower-is-better, baseline 0.50, leading 0.20: v = 0.35 → 60 + 40 × 0.15 / 0.30 = 80.00; v = 0.1 → 100; 0.6 → 0
    low = {"baseline": Decimal("0.50"), "leading": Decimal("0.20"), "direction": "lower_is_better"}
    assert indicator_score(value=Decimal("0.35"), **low) == Decimal("80.00")
    assert indicator_score(value=Decimal("0.10"), **low) == Decimal(100)
    assert indicator_score(value=Decimal("0.60"), **low) == Decimal(0)
    assert indicator_score(value=Decimal("0.50"), **low) == Decimal("60.00")


def test_edition_by_assessment_year():
    assert (edition_for(2025), edition_for(2026)) == ("GB/T 36132-2018", "GB/T 36132-2025")


def test_self_evaluation_scores_computed_and_entered_indicators_for_three_years():
    site = SiteFactory(region_code="310115", enterprise__region_code="310115")
    ent = site.enterprise
    MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=43200)
    assert readings_ingest(site=site, rows=[RawRow(0, "E", "2026-03-01T00:00:00+08:00", 1_000_000)]).rejected == []
    rollup_sweep()
    EconomicDataFactory(site=site, month="2026-03-01", value_added_10k_cny=Decimal("350"))
    iset = indicator_set_for(enterprise=ent, year=2026)
    water = Indicator.objects.get(indicator_set=iset, code="R1")
    IndicatorEntry.objects.create(enterprise=ent, year=2026, indicator=water, value=Decimal("0.75"),
                                  evidence="water balance test 2026")
    RequirementEntry.objects.create(enterprise=ent, year=2026, requirement=iset.requirements.get(code="B2"),
                                    passed=True, evidence="carbon management procedure")
    snap = report_generate(kind="green_factory", enterprise=ent, year=2026, fmt="json", lang="en")
    doc = json.loads(snap.files.get().file.read())
    assert doc["meta"]["edition"] == "GB/T 36132-2025"
    rows = {r["code"]: r for r in doc["sections"][1]["tables"][0]["rows"]}
    # E2 energy per value added: 1,000,000 kWh × 0.1229 kgce/kWh = 122.9 tce (DOMAIN.md §1) / 350 = 0.3511;
    #   lower-is-better 0.50 → 0.20: 60 + 40 × (0.50 − 0.3511) / 0.30 = 79.853 → 79.85 % × 20 = 15.97 points
    assert Decimal(rows["E2"]["value_2026"]) == Decimal("0.3511")
    assert Decimal(rows["E2"]["points_2026"]) == Decimal("15.97")
    # R1 entered 0.75: 80 % × 15 = 12.00 points; C1 carbon: East China 0.55 × 1000 MWh = 550 tCO2 (DOMAIN.md §3)
    #   / 350 = 1.5714 > baseline 1.00 → 0 points; renewable share 0 < 0.05 → 0 points
    assert Decimal(rows["R1"]["points_2026"]) == Decimal("12.00")
    assert Decimal(rows["C1"]["points_2026"]) == Decimal("0.00")
    assert rows["R1"]["value_2025"] is None
    totals = {r["year"]: r for r in doc["sections"][2]["tables"][0]["rows"]}
    assert Decimal(totals[2026]["total"]) == Decimal("27.97")
    assert Decimal(totals[2026]["gap_national"]) == Decimal("62.03")  # 90 − 27.97
    assert set(totals) == {2024, 2025, 2026}
    reqs = {r["code"]: r["passed"] for r in doc["sections"][0]["tables"][0]["rows"]}
    assert reqs == {"B1": None, "B2": True, "B3": None}
