"""PDF reports (WeasyPrint): the printed figures equal the accounting engine's, Chinese text is set in embedded Noto
CJK fonts (no missing-glyph boxes), one template per kind, charts as inline SVG."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest

from carbon.emissions import site_emissions
from carbon.kpis import site_kpis
from carbon.periods import Period
from reports.builders import Chart
from reports.charts import bar_chart_svg
from reports.renderers import render_pdf_html
from reports.services import report_generate
from tests.factories import ProductFactory, ProductionDataFactory

pytestmark = pytest.mark.django_db


def _pdf(snap, tmp_path):
    path = tmp_path / snap.files.get().name
    with snap.files.get().file.open("rb") as fh:
        path.write_bytes(fh.read())
    return path


def _text(path) -> str:
    # -layout keeps table rows on one line; whitespace runs are collapsed for matching.
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True)
    return re.sub(r"[ \t]+", " ", out.stdout)


def _fonts(path) -> list[dict]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout.splitlines()
    rows = []
    for line in out[2:]:
        parts = line.split()
        # name type... encoding emb sub uni object ID: the three yes/no flags sit before the last two columns
        rows.append({"name": parts[0], "emb": parts[-5], "uni": parts[-3]})
    return rows


def test_energy_pdf_prints_the_engines_figures_in_chinese_with_embedded_noto_cjk(site, tmp_path):
    snap = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="pdf", lang="zh-hans")
    path = _pdf(snap, tmp_path)
    text = _text(path)
    k = site_kpis(site=site, period=Period.year(2025), with_yoy=False)
    # DOMAIN.md §1: 100,000 kWh × 0.1229 + 50 t × 0.7143 + 20,000 m³ × 1.2143 = 12.290 + 35.715 + 24.286 = 72.291 tce
    assert k["energy_tce"]["value"] == Decimal("72.2910")
    assert "综合能源消费量（当量值） 72.291 tce" in text  # rounded once at presentation: tce to 3 decimals in text
    # 72.291 / 500 = 0.144582 → 0.1446 tce/10⁴ CNY
    assert "单位工业增加值综合能耗 0.1446 tce/万元" in text
    # units as the field writes them: 万元, a share as a percentage; no internal unit key is printed
    assert "增加值 500.00 万元" in text
    assert "数据完整率（最低厂区） 100.00 %" in text  # share 1.0000 → 100.00 %
    assert "10^4 CNY" not in text and "ratio" not in text
    carriers = {c["carrier"]: c for c in k["energy_by_carrier"]}
    assert carriers["raw_coal"]["tce"] == Decimal("35.715")
    # names, not codes: carrier, unit, stocks (none entered), purchases, stocks, consumption, coefficient, tce
    assert re.search(r"原煤 t — 50 — 50 0\.7143 kgce/kg 35\.715", text)
    assert re.search(r"电力 kWh — 100,000 — 100,000 0\.1229 kgce/kWh 12\.29", text)
    assert "raw_coal" not in text and "electricity" not in text
    assert "年度能源利用状况报告 2025" in text and "能源消费结构" in text
    fonts = _fonts(path)
    assert fonts and all("NotoSansCJK" in f["name"].replace("-", "") for f in fonts), fonts
    assert all(f["emb"] == "yes" and f["uni"] == "yes" for f in fonts)


def _noto_cmap(style: str) -> set[int]:
    from fontTools.ttLib import TTFont

    where = subprocess.run(["fc-match", f"Noto Sans CJK SC:{style}", "--format=%{file}:%{index}"],
                           capture_output=True, check=True, text=True).stdout
    path, index = where.rsplit(":", 1)
    return set(TTFont(path, fontNumber=int(index), lazy=True).getBestCmap())


def test_every_character_of_a_chinese_pdf_has_a_glyph_in_the_embedded_noto_font(site, tmp_path):
    """Pango falls back to another font for a character its font lacks (which would show in pdffonts); a character no
    font has would be drawn as the .notdef box of Noto itself, so check the printed text against Noto's cmap too."""
    snap = report_generate(kind="ghg", enterprise=site.enterprise, year=2025, fmt="pdf", lang="zh-hans")
    text = _text(_pdf(snap, tmp_path))
    chars = {ord(c) for c in text if not c.isspace() and c != "\x0c"}
    assert len(chars) > 100 and any(0x4E00 <= c <= 0x9FFF for c in chars)
    assert chars - (_noto_cmap("regular") | _noto_cmap("bold")) == set()


def test_ghg_pdf_figures_and_ledger_head(site, tmp_path):
    snap = report_generate(kind="ghg", enterprise=site.enterprise, year=2025, fmt="pdf", lang="zh-hans")
    text = _text(_pdf(snap, tmp_path))
    e = site_emissions(site=site, period=Period.year(2025))
    # DOMAIN.md §2-§3: coal 103.575450 + gas 43.243776 = scope 1 146.819226; 100 MWh × 0.55 = 55; total 201.819226
    assert (e["scope1_tco2"], e["total_tco2"]) == (Decimal("146.819226"), Decimal("201.819226"))
    assert "范围一（直接排放） 146.819 tCO2" in text
    assert "合计 201.819 tCO2" in text
    assert "103.575" in text and "2.071509" in text
    # the 64-hex hash may wrap: compare with whitespace removed
    assert snap.ledger_head and snap.ledger_head in re.sub(r"\s", "", text)


def test_english_pdf_uses_english_headings(site, tmp_path):
    snap = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="pdf", lang="en")
    text = _text(_pdf(snap, tmp_path))
    assert "Annual energy-use report 2025" in text
    assert "Comprehensive energy consumption (equivalent value) 72.291 tce" in text
    assert "年度能源利用状况报告" not in text


def test_footprint_and_green_factory_pdfs_render_their_figures(site, tmp_path):
    ProductionDataFactory(product=ProductFactory(site=site, code="BAR", unit="t"), month="2025-03-01", quantity=600)
    ProductionDataFactory(product=ProductFactory(site=site, code="WIRE", unit="t"), month="2025-03-01", quantity=400)
    fp = _text(_pdf(report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="pdf",
                                    lang="zh-hans"), tmp_path))
    # 201.819226 × 0.6 = 121.091536 tCO2 → × 1000 / 600 t = 201.819227 kgCO2/t (see test_reports); share 0.6 → 60.00 %
    # No upstream data: gate-to-gate, and the total equals the gate-to-gate figure.
    assert re.search(r"BAR .* 600(\.0+)? t 从大门到\S* 121\.09\d* 0(\.0+)? 121\.09\d* 201\.819\d* 0 201\.819\d*",
                     fp)
    assert re.search(r"BAR .* 60\.00 121\.09\d* ", fp)
    assert "按产量（质量）比例分配" in fp and "GB/T 24067-2024" in fp
    gf = _text(_pdf(report_generate(kind="green_factory", enterprise=site.enterprise, year=2026, fmt="pdf",
                                    lang="zh-hans"), tmp_path))
    assert "2026 年度绿色工厂自评价报告" in gf and "GB/T 36132-2025" in gf and "基本要求" in gf


def test_each_kind_has_its_own_template_and_inline_svg_charts(site):
    from reports.builders import builders

    intros = {"energy": "GB/T 2589-2020", "ghg": "GB/T 32150-2015", "footprint": "ISO 14067",
              "green_factory": "GB/T 36132"}
    for kind, marker in intros.items():
        doc = builders()[kind](enterprise=site.enterprise, year=2026 if kind == "green_factory" else 2025)
        html = render_pdf_html(doc)
        assert '<p class="intro">' in html and marker in html.split('<p class="intro">')[1].split("</p>")[0]
        assert "<script" not in html
    html = render_pdf_html(builders()["energy"](enterprise=site.enterprise, year=2025))
    assert html.count("<svg") == 2  # energy by carrier, energy by site


def test_bar_chart_scales_bars_to_the_largest_value_and_draws_threshold_lines():
    svg = bar_chart_svg(Chart("Score", "points", [("2025", Decimal("45")), ("2026", Decimal("90"))],
                              lines=[("national", 90)]), width=640)
    # plot width = 640 − 150 label − 110 value = 380 px for the largest value (90): 45 → 190 px
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths == [190.0, 380.0]
    assert 'x1="530.0"' in svg  # threshold 90 at 150 + 380
    assert bar_chart_svg(Chart("empty", "t", [])) == ""
