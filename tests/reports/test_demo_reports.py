"""Every kind in every format from the demo data: the figures in the JSON, the CSV, the XLSX cells and the PDF text
(pdftotext) are the accounting engine's for the same enterprise and year, and the PDF embeds only Noto CJK fonts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import zoneinfo
from decimal import Decimal

import pytest

from carbon.emissions import enterprise_emissions
from carbon.kpis import enterprise_kpis
from carbon.periods import Period
from demo.loader import demo_load
from plants.models import Enterprise
from reports.formatting import fmt_number
from reports.greenfactory import green_factory_scores, indicator_set_for
from reports.services import report_generate

pytestmark = pytest.mark.django_db
UNTIL = dt.datetime(2025, 7, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def _files(ent, kind):
    out = {}
    for fmt in ("json", "csv", "xlsx", "pdf"):
        snap = report_generate(kind=kind, enterprise=ent, year=2025, fmt=fmt, lang="zh-hans")
        with snap.files.get().file.open("rb") as fh:
            out[fmt] = fh.read()
    return out


def _pdf_text(data: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return re.sub(r"[ \t]+", " ", text), fonts


def _csv_value(data: bytes, section: str, row: int, column: str) -> str:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return next(r["value"] for r in rows if r["section"] == section and r["row"] == str(row) and r["column"] == column)


def _xlsx_sheet(data: bytes, sheet: str) -> list[tuple]:
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(data))[sheet].values)


def _cjk_fonts_only(fonts: str) -> None:
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all("Noto-Sans" in n and "CJK" in n for n in names), names


def test_demo_reports_match_the_accounting_engine_in_every_format(tmp_path):
    demo_load(until=UNTIL, small=True, log=lambda m: None)
    ent = Enterprise.objects.order_by("pk").first()
    period = Period.year(2025)

    k = enterprise_kpis(enterprise=ent, period=period)
    energy = _files(ent, "energy")
    tce = k["energy_tce"]["value"]
    assert tce > 0
    assert Decimal(json.loads(energy["json"])["sections"][0]["tables"][0]["rows"][0]["value"]) == tce
    assert Decimal(_csv_value(energy["csv"], "summary", 0, "value")) == tce
    assert _xlsx_sheet(energy["xlsx"], "summary")[2][1] == pytest.approx(float(tce))
    text, fonts = _pdf_text(energy["pdf"], tmp_path)
    assert f"综合能源消费量（当量值） {fmt_number(tce, unit='tce')} tce" in text  # rounded once, by unit
    for c in k["energy_by_carrier"]:
        assert fmt_number(c["tce"], unit="tce") in text, c
    _cjk_fonts_only(fonts)

    e = enterprise_emissions(enterprise=ent, period=period)
    ghg = _files(ent, "ghg")
    assert [Decimal(r["value"]) for r in json.loads(ghg["json"])["sections"][0]["tables"][0]["rows"]] == [
        e["scope1_tco2"], e["scope2_tco2"], e["total_tco2"]]
    assert Decimal(_csv_value(ghg["csv"], "summary", 2, "value")) == e["total_tco2"]
    assert _xlsx_sheet(ghg["xlsx"], "summary")[4][1] == pytest.approx(float(e["total_tco2"]))
    text, fonts = _pdf_text(ghg["pdf"], tmp_path)
    assert f"合计 {fmt_number(e['total_tco2'], unit='tCO2')} tCO2" in text
    _cjk_fonts_only(fonts)

    footprint = _files(ent, "footprint")
    fp_doc = json.loads(footprint["json"])
    rows = fp_doc["sections"][0]["tables"][0]["rows"]
    unallocated = {r["site"]: Decimal(r["tco2"]) for r in next(s for s in fp_doc["sections"]
                                                               if s["key"] == "unallocated")["tables"][0]["rows"]}
    by_site = {s["site"]: s["total_tco2"] for s in e["sites"]}
    for site_code, total in by_site.items():  # every site's emissions: allocated to its products or listed
        allocated = sum(Decimal(r["gate_tco2"]) for r in rows if r["site"] == site_code)
        allocated += unallocated.get(site_code, Decimal(0))
        assert abs(allocated - total) <= Decimal("0.000001") * 2, site_code  # shares add to 1 (rounded lines)
    assert "DC1" in unallocated  # the data centre has no product: listed, not dropped
    assert {r["product"]: r["boundary"] for r in rows if r["site"] == "RM1"} == {"HRC": "从摇篮到大门",
                                                                                "REBAR": "从摇篮到大门"}
    text, _fonts = _pdf_text(footprint["pdf"], tmp_path)
    assert all(fmt_number(Decimal(r["gate_tco2"]), unit="tCO2") in text for r in rows)
    assert all(fmt_number(Decimal(r["tco2"]), unit="tCO2") in text for r in rows)

    cbam = json.loads(_files(ent, "cbam")["json"])
    goods = next(s for s in cbam["sections"] if s["key"] == "Summary_Products")["tables"][0]["rows"]
    assert {g["product"]: g["cn_code"] for g in goods} == {"HRC": "72083900", "REBAR": "72142000"}

    scores = green_factory_scores(enterprise=ent, year=2025, indicator_set=indicator_set_for(enterprise=ent,
                                                                                            year=2025))
    gf = _files(ent, "green_factory")
    factories = json.loads(gf["json"])["sections"][0]["tables"][0]["rows"]
    assert [Decimal(r["total"]) for r in factories] == [scores["sites"]["RM1"]]  # the factory only
    text, _fonts = _pdf_text(gf["pdf"], tmp_path)
    assert fmt_number(scores["sites"]["RM1"]) in text
