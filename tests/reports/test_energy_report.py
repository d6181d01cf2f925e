"""The energy-utilisation status report (重点用能单位能源利用状况报告): every section of the annual template, the
equal-value total, stocks and purchases, the physical balance, the GB/T 2589 product allocation against a limit
standard, reasons for changes, equipment, savings projects and GB 17167 metering, with hand-worked figures on the
Shanghai factory of conftest (March 2025: 100,000 kWh with 30,000 sub-metered, 50 t coal, 20,000 m³ gas)."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
from decimal import Decimal

import pytest

from meters.models import Carrier, Meter
from reports.builders.energy import product_allocation
from reports.models import CarrierYear, LimitStandard, MainEquipment, MeteringPoints, ProductLimit
from reports.services import report_generate
from tests.factories import ProductFactory, ProductionDataFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(site):
    """Entries of every section: a metered unit with a product under a limit standard, stocks and a reason, equipment,
    metering points and calibration dates."""
    unit = ProductionUnitFactory(site=site, code="U1", name="轧线 Rolling line")
    Meter.objects.filter(site=site, code="E-SUB").update(production_unit=unit)
    Meter.objects.filter(site=site, code="E-MAIN").update(accuracy_class="0.5S", last_calibration=dt.date(2024, 6, 30),
                                                          next_calibration=dt.date(2025, 6, 30))
    Meter.objects.filter(site=site, code="GAS").update(accuracy_class="2.0", next_calibration=dt.date(2026, 3, 1))
    bar = ProductFactory(site=site, code="BAR", name="棒材 Bar", unit="t", unit_of_production=unit)
    wire = ProductFactory(site=site, code="WIRE", name="线材 Wire", unit="t")
    ProductionDataFactory(product=bar, month="2025-03-01", quantity=600)
    ProductionDataFactory(product=wire, month="2025-03-01", quantity=400)
    ProductLimit.objects.create(product=bar, standard=LimitStandard.objects.create(
        standard="GB 99999-2025", title="test", product_zh="棒材", product_en="bar", indicator_zh="单位产品综合能耗",
        indicator_en="energy per tonne", unit="kgce/t", limit_value=80, access_value=70, advanced_value=60,
        source="test row", provisional=True))
    ProductLimit.objects.create(product=wire, standard=LimitStandard.objects.create(
        standard="GB 99998-2025", title="test", product_zh="线材", product_en="wire", indicator_zh="单位产品综合能耗",
        indicator_en="energy per tonne", unit="kgce/t", limit_value=65, access_value=60, source="verified row",
        provisional=False))
    CarrierYear.objects.create(site=site, year=2025, carrier=Carrier.RAW_COAL, opening_stock=10, closing_stock=25,
                               change_reason="锅炉检修后恢复满负荷 Boiler back at full load")
    MainEquipment.objects.create(site=site, name="加热炉 Reheating furnace", model="HF-120", carrier="natural_gas",
                                 rated_power_kw=Decimal("12000"), commissioned_year=2012)
    MeteringPoints.objects.create(site=site, carrier=Carrier.ELECTRICITY, level=Meter.Level.SUB_UNIT, points=2)
    return site


def _doc(site, lang="en") -> dict:
    snap = report_generate(kind="energy", enterprise=site.enterprise, site=site, year=2025, fmt="json", lang=lang)
    return {s["key"]: s for s in json.loads(snap.files.get().file.read())["sections"]}


def test_sections_follow_the_annual_templates_order(full):
    assert list(_doc(full)) == ["summary", "by_carrier", "working_media", "balance", "by_product", "yoy", "equipment",
                                "savings", "targets", "metering", "meters", "heating_values", "cost"]


def test_structure_gives_purchases_from_stocks_and_totals_by_equivalent_and_equal_value(full):
    doc = _doc(full)
    rows = {r["carrier"]: r for r in doc["by_carrier"]["tables"][0]["rows"]}
    coal = rows["raw coal"]
    # purchases = consumption 50 t + (closing 25 t − opening 10 t) = 65 t
    assert (Decimal(coal["opening_stock"]), Decimal(coal["purchases"]), Decimal(coal["closing_stock"]),
            Decimal(coal["consumption"])) == (10, 65, 25, 50)
    # electricity has no stock entered: purchases = consumption = 100,000 kWh
    elec = rows["electricity"]
    assert elec["opening_stock"] is None and Decimal(elec["purchases"]) == 100_000
    assert elec["coefficient"] == "0.1229 kgce/kWh" and Decimal(elec["tce_equivalent"]) == Decimal("12.29")
    # equal value: no 2025 rate loaded, 2022's 0.3007 kgce/kWh substituted: 100,000 × 0.3007 / 1000 = 30.07 tce
    assert elec["coefficient_equal"] == "0.3007 kgce/kWh" and Decimal(elec["tce_equal_value"]) == Decimal("30.07")
    assert elec["provisional"] is True  # the equal-value rate is provisional
    assert rows["raw coal"]["coefficient_equal"] == "as equivalent value"
    assert Decimal(coal["tce_equal_value"]) == Decimal("35.715")
    total = rows["Total"]
    # equivalent 12.29 + 35.715 + 24.286 = 72.291; equal value 30.07 + 35.715 + 24.286 = 90.071 tce
    assert (Decimal(total["tce_equivalent"]), Decimal(total["tce_equal_value"])) == (Decimal("72.291"),
                                                                                      Decimal("90.071"))
    summary = {r["indicator"]: r["value"] for r in doc["summary"]["tables"][0]["rows"]}
    assert Decimal(summary["Comprehensive energy consumption (equal value)"]) == Decimal("90.071")
    notes = " ".join(doc["by_carrier"]["notes"])
    assert "0.3007 kgce/kWh of 2022 (no rate loaded for 2025" in notes and "PROVISIONAL" in notes
    assert "China Electricity Council yearly statistics" in notes


def test_balance_inputs_equal_end_uses_plus_losses(full):
    rows = _doc(full)["balance"]["tables"][0]["rows"]
    by = [(r["part"], r["item"], Decimal(r["tce"])) for r in rows]
    # inputs: electricity 12.29, coal 35.715, gas 24.286; end uses: the rolling line 30,000 kWh × 0.1229 = 3.687,
    # coal and gas at their boundary meters; loss: 12.29 − 3.687 = 8.603 unmetered at the main meter; balance 0
    assert ("1 Input", "Purchased electricity", Decimal("12.29")) in [(p, i.split(" (")[0], v) for p, i, v in by] or \
        any(p == "1 Input" and v == Decimal("12.29") for p, _i, v in by)
    assert any(p == "3 End use" and "U1" in i and v == Decimal("3.687") for p, i, v in by)
    assert any(p == "4 Losses and unmetered" and "E-MAIN" in i and v == Decimal("8.603") for p, i, v in by)
    assert by[-1][2] == 0
    share = next(r for r in rows if r["part"] == "4 Losses and unmetered")["share"]
    assert Decimal(share) == Decimal("0.1190")  # 8.603 / 72.291 = 0.11900…


def test_product_energy_allocates_unmetered_site_energy_by_output_and_compares_with_the_limit(full):
    rows = {r["product"]: r for r in _doc(full)["by_product"]["tables"][0]["rows"]}
    bar, wire = rows["棒材 Bar"], rows["线材 Wire"]
    # metered at U1: 30,000 kWh × 0.1229 = 3.687 tce; remainder 72.291 − 3.687 = 68.604 tce shared by output 600:400
    # BAR: 68.604 × 0.6 = 41.1624; whole 3.687 + 41.1624 = 44.8494 tce; × 1000 / 600 t = 74.749 → 74.75 kgce/t
    assert (Decimal(bar["metered_tce"]), Decimal(bar["share"]), Decimal(bar["allocated_tce"])) == (
        Decimal("3.687"), Decimal("0.6"), Decimal("41.1624"))
    assert Decimal(bar["whole_tce"]) == Decimal("44.8494") and bar["per_unit"] == "74.75"
    # WIRE has no metered unit: 68.604 × 0.4 = 27.4416 tce; × 1000 / 400 t = 68.604 → 68.60 kgce/t
    assert wire["metered_tce"] is None and Decimal(wire["whole_tce"]) == Decimal("27.4416")
    assert wire["per_unit"] == "68.60"
    # 74.75 ≤ limit 80 but above access 70; 68.60 > limit 65
    assert bar["verdict"] == "within the limit value" and bar["provisional"] is True
    assert wire["verdict"] == "EXCEEDS the limit value: not compliant" and wire["provisional"] is False
    assert (Decimal(bar["limit"]), Decimal(bar["access"]), Decimal(bar["advanced"])) == (80, 70, 60)


def test_product_allocation_leaves_the_remainder_unallocated_across_units_of_output():
    out = product_allocation(site_tce=Decimal(10), products=[
        {"product": "A", "output": Decimal(5), "unit": "t", "metered_tce": Decimal(4)},
        {"product": "B", "output": Decimal(2), "unit": "m3", "metered_tce": None}])
    # 10 − 4 = 6 tce not allocated (t and m³ cannot share by output); A keeps its metered 4 tce: 4 × 1000 / 5 = 800
    assert [(o["share"], o["allocated_tce"], o["whole_tce"], o["per_unit"]) for o in out] == [
        (None, None, Decimal(4), Decimal(800)), (None, None, Decimal(0), Decimal(0))]


def test_reasons_equipment_and_savings_projects_are_listed(full):
    from insights.models import SavingsProject

    SavingsProject.objects.create(site=full, name="加热炉余热回收 Furnace heat recovery", kind="energy_saving",
                                  commissioned_on=dt.date(2025, 5, 1), expected_savings_tce_per_year=Decimal("120"),
                                  investment_10k_cny=Decimal("350"))
    doc = _doc(full)
    coal = next(r for r in doc["yoy"]["tables"][0]["rows"] if r["carrier"] == "raw coal")
    assert coal["reason"] == "锅炉检修后恢复满负荷 Boiler back at full load"
    # the meters read nothing in 2024: 0 t before, no percentage of a zero base
    assert Decimal(coal["quantity_before"]) == 0 and coal["change_pct"] is None
    gas = next(r for r in doc["yoy"]["tables"][0]["rows"] if r["carrier"] == "natural gas")
    assert gas["reason"] == "(no reason entered)"
    eq = doc["equipment"]["tables"][0]["rows"]
    assert [(r["name"], r["model"], r["carrier"], Decimal(r["rated_power_kw"])) for r in eq] == [
        ("加热炉 Reheating furnace", "HF-120", "natural gas", Decimal(12000))]
    projects = doc["savings"]["tables"][0]["rows"]
    assert [(p["project"], Decimal(p["expected_tce"]), Decimal(p["investment"])) for p in projects] == [
        ("加热炉余热回收 Furnace heat recovery", Decimal(120), Decimal(350))]


def test_metering_rates_per_level_flag_non_compliance_and_overdue_calibration(full):
    doc = _doc(full)
    rows = {(r["carrier"], r["level"]): r for r in doc["metering"]["tables"][0]["rows"]}
    # electricity secondary unit: 1 meter of 2 points = 50.00 % against 100 % required
    sub = rows[("electricity", "secondary unit (level 2)")]
    assert (Decimal(sub["required_rate"]), sub["points"], sub["installed"], Decimal(sub["actual_rate"]),
            sub["status"]) == (Decimal(100), 2, 1, Decimal("50.00"), "NOT COMPLIANT")
    # natural gas: no sub-unit meter against 100 % required → 0 %, flagged though no points were entered
    gas = rows[("natural gas", "secondary unit (level 2)")]
    assert (gas["installed"], Decimal(gas["actual_rate"]), gas["status"]) == (0, Decimal("0.00"), "NOT COMPLIANT")
    # enterprise level: 1 meter, no points entered, a meter is there → rate unknown, not flagged
    assert rows[("electricity", "enterprise (level 1)")]["status"] == "metering points not entered: rate unknown"
    notes = " ".join(doc["metering"]["notes"])
    assert "Non-compliance: natural gas, secondary unit (level 2): 0 of — metering points metered (0.00 %)" in notes
    meters = {r["meter"]: r for r in doc["meters"]["tables"][0]["rows"]}
    # as of 2025-12-31: E-MAIN due 2025-06-30 → overdue; GAS due 2026-03-01 → valid; COAL none recorded
    assert (meters["E-MAIN"]["accuracy_class"], meters["E-MAIN"]["calibration_status"]) == ("0.5S", "OVERDUE")
    assert meters["GAS"]["calibration_status"] == "valid"
    assert meters["COAL"]["calibration_status"] == "not recorded"
    assert "1 of 4 meters overdue" in doc["meters"]["notes"][0]


def _pdf_text(site, lang, tmp_path) -> str:
    snap = report_generate(kind="energy", enterprise=site.enterprise, site=site, year=2025, fmt="pdf", lang=lang)
    path = tmp_path / f"e-{lang}.pdf"
    path.write_bytes(snap.files.get().file.read())
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def test_chinese_pdf_has_every_section_names_not_codes_and_chinese_units(full, tmp_path):
    text = _pdf_text(full, "zh-hans", tmp_path)
    for heading in ("基本情况", "能源消费结构", "耗能工质", "能源实物平衡", "单位产品综合能耗",
                    "能耗变化及原因", "主要用能设备", "节能项目及节能量", "目标及完成进度", "能源计量器具配备率",
                    "计量器具准确度等级及检定", "热值"):
        assert heading in text, heading
    assert "等价值" in text and "当量值" in text and "90.071" in text and "74.75" in text
    assert "不符合" in text  # the natural-gas metering non-compliance
    for code in ("electricity", "natural_gas", "raw_coal", "10^4", "m3", "ratio"):
        assert code not in text, code
    assert "m³" in text and "万元" in text and "产品单位" in text and "100,000" in text


def test_english_pdf_and_xlsx_have_the_same_tables_in_the_templates_order(full, tmp_path):
    from openpyxl import load_workbook

    text = _pdf_text(full, "en", tmp_path)
    assert "Physical energy balance" in text and "Comprehensive energy per unit product" in text
    snap = report_generate(kind="energy", enterprise=full.enterprise, site=full, year=2025, fmt="xlsx", lang="en")
    wb = load_workbook(io.BytesIO(snap.files.get().file.read()))
    assert wb.sheetnames == ["info", "summary", "by_carrier", "working_media", "balance", "by_product", "yoy",
                             "equipment", "savings", "targets", "metering", "meters", "heating_values", "cost"]


def test_demo_rolling_mill_exercises_every_section():
    """The small demo (main meter, hot-rolling workshop meter, natural gas): every section has rows."""
    from demo.loader import demo_load
    from plants.models import Site

    demo_load(until=dt.datetime(2025, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))), small=True,
              log=lambda m: None)
    rm = Site.objects.get(code="RM1")
    doc = _doc(rm, lang="zh-hans")
    total = doc["by_carrier"]["tables"][0]["rows"][-1]
    assert total["carrier"] == "合计"
    assert Decimal(total["tce_equal_value"]) > Decimal(total["tce_equivalent"])  # 0.3007 > 0.1229 kgce/kWh
    assert [r["part"] for r in doc["balance"]["tables"][0]["rows"]][:2] == ["1 购入", "1 购入"]
    hrc = next(r for r in doc["by_product"]["tables"][0]["rows"] if r["product"].startswith("热轧卷"))
    assert "演示限额 DEMO" in hrc["standard"] and Decimal(hrc["limit"]) == 36 and hrc["provisional"] is True
    assert Decimal(hrc["allocated_tce"]) > 0  # natural gas metered only at the boundary is allocated by output
    gas = next(r for r in doc["metering"]["tables"][0]["rows"]
               if (r["carrier"], r["level"]) == ("天然气", "次级用能单位（二级）"))
    # the deliberate non-compliance: 0 of 2 natural-gas sub-unit points metered against 100 % required
    assert (gas["points"], gas["installed"], Decimal(gas["actual_rate"]), gas["status"]) == (2, 0, 0, "不符合")
    assert any("不符合：天然气" in n for n in doc["metering"]["notes"])
    assert {r["accuracy_class"] for r in doc["meters"]["tables"][0]["rows"]} == {"0.5S", "2.0"}
    assert len(doc["equipment"]["tables"][0]["rows"]) == 6
    assert any(p["project"].startswith("空压站变频改造") for p in doc["savings"]["tables"][0]["rows"])
    assert [t["name"] for t in doc["targets"]["tables"][0]["rows"]] == ["单位工业增加值综合能耗"]
    reasons = {r["carrier"]: r["reason"] for r in doc["yoy"]["tables"][0]["rows"]}
    assert reasons["天然气"] == "加热炉热装热送比例下降，单耗上升。"
