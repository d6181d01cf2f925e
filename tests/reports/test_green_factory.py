"""Green-factory self-evaluation report (GB/T 36132) of a factory site: sections, computed and entered indicators,
the basic-requirement gate, per-site scope, PDF text and the management command."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from plants.models import Site
from reports.greenfactory import edition_for, green_factory_evaluation, indicator_score, indicator_set_for
from reports.models import GreenFactoryProfile, IndicatorEntry, RequirementEntry
from reports.services import report_generate
from tests.factories import EconomicDataFactory, MeterFactory, ProductFactory, ProductionDataFactory, SiteFactory

pytestmark = pytest.mark.django_db
MONTHLY = 43200


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


def test_indicator_sets_hold_the_groups_and_indicators_of_both_editions():
    s2025 = indicator_set_for(enterprise=SiteFactory().enterprise, year=2026)
    s2018 = indicator_set_for(enterprise=SiteFactory().enterprise, year=2025)
    assert [g["name"] for g in s2025.groups] == ["能源低碳化", "资源高效化", "生产洁净化", "产品绿色化", "用地集约化"]
    assert [g["name"] for g in s2018.groups] == ["基础设施", "管理体系", "能源与资源投入", "产品", "环境排放", "绩效"]
    assert [g["weight"] for g in s2018.groups] == [20, 15, 15, 10, 10, 30]
    for s in (s2018, s2025):  # each set's weights add up to 100 points, each group's to its weight
        assert sum(i.weight for i in s.indicators.all()) == 100
        for g in s.groups:
            assert sum(i.weight for i in s.indicators.filter(group=g["name"])) == g["weight"]
        assert all(i.reference.startswith(s.edition) for i in s.indicators.all())
        assert "DOMAIN" not in s.source + s.thresholds_source
    perf = set(s2018.indicators.filter(group="绩效").values_list("name_zh", flat=True))
    assert {"容积率", "建筑密度", "单位用地面积产值", "单位产品综合能耗", "单位产品碳排放量", "工业固体废物综合利用率",
            "废水处理回用率", "单位产品主要原材料消耗量", "单位产品主要污染物产生量"} <= perf
    # CO₂ per unit of product and per value added sit under low-carbon energy, not clean production
    assert set(s2025.indicators.filter(metric_key__startswith="carbon").values_list("group", flat=True)) == {
        "能源低碳化"}
    assert s2025.requirements.count() == 9 and s2018.requirements.count() == 6


@pytest.fixture
def mill():
    """A factory (Shanghai) with a data centre in the same enterprise, March 2026:
    factory 1,000,000 kWh and 4,800 t new water, one product 2,400 t, value added 350 (10^4 CNY);
    data centre 3,000,000 kWh, value added 100."""
    site = SiteFactory(code="MILL", name="轧钢厂", region_code="310115", enterprise__region_code="310115")
    dc = SiteFactory(code="DC", name="数据中心", enterprise=site.enterprise, kind=Site.Kind.DATA_CENTER)
    MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=MONTHLY)
    MeterFactory(site=site, code="W", carrier=Carrier.WATER, unit="t", interval_minutes=MONTHLY)
    MeterFactory(site=dc, code="DCE", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=MONTHLY)
    at = "2026-03-01T00:00:00+08:00"
    assert readings_ingest(site=site, rows=[RawRow(0, "E", at, 1_000_000), RawRow(1, "W", at, 4800)]).rejected == []
    assert readings_ingest(site=dc, rows=[RawRow(0, "DCE", at, 3_000_000)]).rejected == []
    rollup_sweep()
    EconomicDataFactory(site=site, month="2026-03-01", value_added_10k_cny=Decimal("350"))
    EconomicDataFactory(site=dc, month="2026-03-01", value_added_10k_cny=Decimal("100"))
    coil = ProductFactory(site=site, code="COIL", name="热轧卷")
    ProductionDataFactory(product=coil, month="2026-03-01", quantity=Decimal("2400"))
    iset = indicator_set_for(enterprise=site.enterprise, year=2026)
    IndicatorEntry.objects.create(enterprise=site.enterprise, site=site, year=2026,
                                  indicator=iset.indicators.get(code="R2"), value=Decimal("75"),
                                  evidence="水平衡测试报告 2026",
                                  evidence_file=SimpleUploadedFile("water-balance-2026.pdf", b"%PDF-1.4"))
    # an enterprise-wide entry (no site) applies to the factory when it has none of its own
    IndicatorEntry.objects.create(enterprise=site.enterprise, year=2026, indicator=iset.indicators.get(code="R3"),
                                  value=Decimal("82.5"), evidence="固废台账")
    GreenFactoryProfile.objects.create(site=site, year=2026, address="上海市浦东新区", contact_name="王工",
                                       plant_overview="热轧生产线一条。", improvement_plan="2027 年建设屋顶光伏。")
    return site


def _pass_all(site, year=2026, but=None):
    iset = indicator_set_for(enterprise=site.enterprise, year=year)
    for r in iset.requirements.all():
        if r.code != but:
            RequirementEntry.objects.create(enterprise=site.enterprise, site=site, year=year, requirement=r,
                                            passed=True, evidence=f"证明 {r.code}")


def test_computed_and_entered_indicators_against_hand_worked_numbers(mill):
    _pass_all(mill)
    ev = green_factory_evaluation(site=mill, year=2026)
    rows = {r["indicator"].code: r for r in ev["rows"]}
    # Energy (GB/T 2589 coefficients): electricity 1,000,000 kWh × 0.1229 kgce/kWh = 122,900 kgce; new water is
    # purchased from outside, 4,800 t × 0.0857 kgce/t = 411.36 kgce; E = 123,311.36 kgce = 123.31136 tce.
    # E1 energy per unit of product (whole site energy, the product has no production unit):
    #   123,311.36 kgce / 2,400 t = 51.3797 → 51.38 kgce/t; lower-is-better 60 → 45:
    #   60 + 40 × (60 − 51.38) / 15 = 82.99 %; 8 points × 82.99 % = 6.64
    assert (rows["E1"]["value"], rows["E1"]["score"], rows["E1"]["points"]) == (
        Decimal("51.38"), Decimal("82.99"), Decimal("6.64"))
    assert rows["E1"]["product_name"] == "热轧卷"
    # E2 CO₂ per unit: East China grid 0.55 tCO₂/MWh × 1,000 MWh = 550 tCO₂, all to the only product:
    #   550,000 kg / 2,400 t = 229.17 kgCO₂/t, worse than the 200 baseline → 0
    assert (rows["E2"]["value"], rows["E2"]["points"]) == (Decimal("229.17"), Decimal("0.00"))
    # E3 renewable share: no generation, no green power → 0 % → 0 points
    assert (rows["E3"]["value"], rows["E3"]["points"]) == (Decimal("0.00"), Decimal("0.00"))
    # E4 energy per value added: 123.31136 tce / 350 = 0.3523 tce/10^4 CNY; 60 + 40 × (0.50 − 0.3523) / 0.30
    #   = 79.69 %; 4 × 79.69 % = 3.19
    assert (rows["E4"]["value"], rows["E4"]["points"]) == (Decimal("0.3523"), Decimal("3.19"))
    # E5 carbon per value added: 550 / 350 = 1.5714 > 1.00 baseline → 0
    assert (rows["E5"]["value"], rows["E5"]["points"]) == (Decimal("1.5714"), Decimal("0.00"))
    # R1 water per unit: 4,800 t / 2,400 t = 2.000 t/t, exactly the baseline → 60 %; 8 × 60 % = 4.80
    assert (rows["R1"]["value"], rows["R1"]["points"]) == (Decimal("2.000"), Decimal("4.80"))
    # R2 entered for the site 75 %: 60 + 40 × 15 / 30 = 80 %; 7 × 80 % = 5.60
    assert (rows["R2"]["value"], rows["R2"]["points"]) == (Decimal("75.00"), Decimal("5.60"))
    # R3 entered for the enterprise 82.5 %, higher-is-better 70 → 95: 60 + 40 × (82.5 − 70) / 25 = 80 %;
    #   8 × 80 % = 6.40
    assert (rows["R3"]["value"], rows["R3"]["points"]) == (Decimal("82.50"), Decimal("6.40"))
    assert rows["L1"]["value"] is None and rows["L1"]["points"] == Decimal("0.00")
    # total 6.64 + 3.19 + 4.80 + 5.60 + 6.40 = 26.63; gate passed, below 80 → "below"
    assert ev["total"] == Decimal("26.63")
    assert (ev["gate"], ev["grade"]) == (True, "below")
    assert ev["groups"]["能源低碳化"] == Decimal("9.83")  # 6.64 + 3.19


def test_a_failed_or_unanswered_requirement_gives_no_grade(mill):
    _pass_all(mill, but="B8")
    ev = green_factory_evaluation(site=mill, year=2026)
    assert (ev["gate"], ev["grade"]) == (False, None)
    assert [r["passed"] for r in ev["requirements"] if r["requirement"].code == "B8"] == [None]
    RequirementEntry.objects.create(enterprise=mill.enterprise, site=mill, year=2026, passed=False,
                                    requirement=indicator_set_for(enterprise=mill.enterprise, year=2026)
                                    .requirements.get(code="B8"))
    assert green_factory_evaluation(site=mill, year=2026)["gate"] is False
    snap = report_generate(kind="green_factory", enterprise=mill.enterprise, site=mill, year=2026, fmt="json",
                           lang="zh-hans")
    doc = json.loads(snap.files.get().file.read())
    assert doc["meta"]["verdict"] == "不满足基本要求，不予评级"


def test_report_has_every_section_of_the_template_and_states_how_each_value_was_obtained(mill):
    _pass_all(mill)
    snap = report_generate(kind="green_factory", enterprise=mill.enterprise, site=mill, year=2026, fmt="json",
                           lang="en")
    doc = json.loads(snap.files.get().file.read())
    assert [s["key"] for s in doc["sections"]] == [
        "basic_info", "pledge", "overview", "requirements", "group1", "group2", "group3", "group4", "group5",
        "summary", "improvement", "annex"]
    assert [s["title"] for s in doc["sections"][4:9]] == [
        "1. Low-carbon energy", "2. Efficient resources", "3. Clean production", "4. Green products",
        "5. Intensive land use"]
    g2 = {r["indicator"].split(" (")[0].rstrip(" *"): r for r in doc["sections"][5]["tables"][0]["rows"]}
    assert (g2["Water withdrawal per unit of product"]["how"], g2["Water reuse rate"]["how"]) == ("computed",
                                                                                                "entered")
    assert g2["Water reuse rate"]["evidence"].startswith("E-")
    annex = doc["sections"][-1]["tables"][0]["rows"]
    with_file = [r for r in annex if r["file"]]
    assert [r["text"] for r in with_file] == ["水平衡测试报告 2026"]
    # the stored name (storage may add a suffix when the name is taken)
    assert with_file[0]["file"].startswith("water-balance-2026") and with_file[0]["file"].endswith(".pdf")
    assert doc["meta"]["verdict"] == "Below the green-factory score thresholds"
    assert "DOMAIN" not in json.dumps(doc)


def test_the_factory_alone_is_evaluated_never_the_data_centre(mill):
    ent = mill.enterprise
    snap = report_generate(kind="green_factory", enterprise=ent, year=2026, fmt="json", lang="en")
    doc = json.loads(snap.files.get().file.read())
    assert doc["sections"][0]["key"] == "factories"
    assert [r["site"] for r in doc["sections"][0]["tables"][0]["rows"]] == ["轧钢厂"]
    # E4 is the factory's 0.3523, not the enterprise's (123.31136 + 3,000,000 × 0.0001229) / 450 = 1.0934
    g1 = doc["sections"][5]["tables"][0]["rows"]
    assert [r["value"] for r in g1 if r["indicator"].startswith("Energy per value added")] == ["0.3523"]
    with pytest.raises(Exception, match="not a factory"):
        report_generate(kind="green_factory", enterprise=ent, site=Site.objects.get(code="DC"), year=2026,
                        fmt="json", lang="en")


def test_pdf_text_in_chinese_names_sections_units_and_verdict(mill, tmp_path):
    _pass_all(mill, but="B1")
    call_command("generate_report", kind="green_factory", site="MILL", year=2026, format="pdf",
                 output=str(tmp_path))
    pdf = next(tmp_path.glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,  # noqa: S607
                          check=True).stdout
    for needle in ("绿色工厂自评价报告", "基本信息", "真实性承诺", "法定代表人（签字）", "企业（盖章）",
                   "企业及工厂概况", "基本要求", "一、能源低碳化", "五、用地集约化", "评价结论",
                   "改进计划", "附件：证据清单",
                   "不满足基本要求，不予评级", "未填报", "计算", "填报", "kgce/t", "tce/万元", "51.38", "1,000,000",
                   "电力", "新水", "GB/T 36132-2025", "绿色工厂梯度培育及管理暂行办法", "water-balance-2026"):
        assert needle in text, needle
    for banned in ("DOMAIN", "electricity", "10^4 CNY", "ratio"):
        assert banned not in text, banned


def test_entries_api_enters_a_value_with_evidence_file_scoped_to_the_tenant(tenants, api_client):
    iset = indicator_set_for(enterprise=tenants["a"], year=2026)
    reuse, energy = iset.indicators.get(code="R2"), iset.indicators.get(code="E1")
    url = f"/api/v1/sites/{tenants['site_a'].pk}/green-factory-entries/"
    api_client.force_authenticate(tenants["manager_a"])
    body = {"indicator": reuse.pk, "year": 2026, "value": "88.5", "evidence": "水平衡测试",
            "evidence_file": SimpleUploadedFile("cert.pdf", b"%PDF-1.4")}
    resp = api_client.post(url, body, format="multipart")
    assert resp.status_code == 201, resp.json()
    assert (resp.json()["code"], Decimal(resp.json()["value"])) == ("R2", Decimal("88.5"))
    assert IndicatorEntry.objects.get(site=tenants["site_a"], year=2026).evidence_file.name.endswith(".pdf")
    assert [e["code"] for e in api_client.get(url + "?year=2026").json()] == ["R2"]
    # a computed indicator cannot be entered; another tenant's site is not found; a viewer may not enter
    bad = api_client.post(url, {"indicator": energy.pk, "year": 2026, "value": "1"}, format="multipart")
    assert (bad.status_code, bad.json()["code"]) == (400, "indicator_computed")
    other = f"/api/v1/sites/{tenants['site_b'].pk}/green-factory-entries/"
    assert api_client.get(other).status_code == 404
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post(url, {"indicator": reuse.pk, "year": 2026, "value": "1"},
                           format="multipart").status_code == 403


def test_demo_rolling_mill_has_entered_evidence_and_a_failed_requirement_in_2025():
    import datetime as dt
    import zoneinfo

    from demo.loader import demo_load

    demo_load(until=dt.datetime(2026, 3, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), small=True,
              log=lambda m: None)
    mill = Site.objects.get(code="RM1")
    e2025, e2026 = (green_factory_evaluation(site=mill, year=y) for y in (2025, 2026))
    assert (e2025["gate"], e2025["grade"]) == (False, None)
    assert [r["requirement"].code for r in e2025["requirements"] if r["passed"] is False] == ["B2"]
    assert e2026["gate"] is True and e2026["grade"] is not None
    entered = [r for r in e2026["rows"] if r["indicator"].source == "entered"]
    assert entered and all(r["value"] is not None and r["entry"].evidence_file for r in entered)
    land = {r["indicator"].name_zh: r["value"] for r in entered if r["indicator"].group == "用地集约化"}
    assert land == {"容积率": Decimal("0.92"), "建筑密度": Decimal("38.50"), "单位用地面积产值": Decimal("468.0")}


def test_xlsx_has_the_report_tables_as_sheets_in_order_with_per_quantity_decimals(mill):
    import io

    from openpyxl import load_workbook

    _pass_all(mill)
    snap = report_generate(kind="green_factory", enterprise=mill.enterprise, site=mill, year=2026, fmt="xlsx",
                           lang="zh-hans")
    wb = load_workbook(io.BytesIO(snap.files.get().file.read()))
    assert wb.sheetnames == ["info", "basic_info", "pledge", "overview", "requirements", "group1", "group2", "group3",
                             "group4", "group5", "summary", "improvement", "annex"]
    ws = wb["group1"]
    assert ws["A1"].value == "一、能源低碳化"
    assert [c.value for c in ws[2]][:6] == ["二级指标", "指标", "必选/可选", "单位", "数值", "获取方式"]
    # E1 51.38 kgce/t shown with its 2 decimals; E4 0.3523 tce/万元 with 4
    values = {r[1].value.rstrip(" *"): r[4] for r in ws.iter_rows(min_row=3) if r[1].value}
    e1 = values["单位产品综合能耗 (热轧卷)"]
    e4 = values["单位工业增加值综合能耗"]
    assert (e1.value, e1.number_format, e4.value, e4.number_format) == (51.38, "#,##0.00", 0.3523, "#,##0.0000")
