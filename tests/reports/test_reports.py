"""Reports from stored readings: figures equal the hand-worked accounting numbers (DOMAIN.md §1-§3) in every format."""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from energy_platform.errors import ApplicationError
from reports.models import ReportSnapshot
from reports.services import report_generate

pytestmark = pytest.mark.django_db
MONTHLY = 43200


def _content(snap):
    rf = snap.files.get()
    with rf.file.open("rb") as fh:
        return rf, fh.read()


def _json(snap):
    return json.loads(_content(snap)[1])


def _section(doc, key):
    return next(s for s in doc["sections"] if s["key"] == key)


def test_energy_json_figures_equal_the_hand_worked_tce(site):
    snap = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    doc = _json(snap)
    # DOMAIN.md §1 (GB/T 2589-2020, equivalent): 100,000 kWh × 0.1229 = 12.290 tce; 50 t × 0.7143 = 35.715 tce;
    # 20,000 m³ × 1.2143 = 24.286 tce; total 72.291 tce (the 30,000 kWh sub-meter is inside the main meter).
    summary = _section(doc, "summary")["tables"][0]["rows"]
    assert Decimal(summary[0]["value"]) == Decimal("72.291")
    assert summary[0]["unit"] == "tce"
    # 72.291 tce / 500 ×10⁴ CNY = 0.144582 → 0.1446
    assert Decimal(summary[2]["value"]) == Decimal("0.1446")
    carriers = {r["carrier"]: Decimal(r["tce_equivalent"])
                for r in _section(doc, "by_carrier")["tables"][0]["rows"]}
    assert carriers == {"electricity": Decimal("12.29"), "raw coal": Decimal("35.715"),
                        "natural gas": Decimal("24.286"), "Total": Decimal("72.291")}
    assert snap.status == "done" and snap.progress == 100 and snap.version == 1
    metering = {(r["carrier"], r["level"]): r for r in _section(doc, "metering")["tables"][0]["rows"]}
    # DOMAIN.md §6: electricity sub-unit 100 %, main equipment 95 %; natural gas equipment 90 %
    assert metering[("electricity", "secondary unit (level 2)")]["installed"] == 1
    assert (metering[("electricity", "main equipment (level 3)")]["installed"],
            metering[("electricity", "main equipment (level 3)")]["required_rate"]) == (0, "95.0")
    assert metering[("natural gas", "main equipment (level 3)")]["required_rate"] == "90.0"


def test_ghg_json_lists_every_factor_and_the_ledger_head(site):
    snap = report_generate(kind="ghg", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    doc = _json(snap)
    # DOMAIN.md §2: coal 50 t × 2.071509 = 103.575450; gas 2 × 10⁴ Nm³ × 21.621888 = 43.243776 → scope 1 146.819226
    # DOMAIN.md §3: East China grid 2023 0.55 tCO2/MWh × 100 MWh = 55 → total 201.819226
    rows = _section(doc, "summary")["tables"][0]["rows"]
    assert [Decimal(r["value"]) for r in rows] == [Decimal("146.819226"), Decimal("55"), Decimal("201.819226")]
    scope1 = {r["source"]: r for r in _section(doc, "scope1")["tables"][0]["rows"]}
    assert Decimal(scope1["raw_coal"]["tco2"]) == Decimal("103.57545")
    assert scope1["raw_coal"]["factor_version"] and scope1["raw_coal"]["factor_source"]
    scope2 = _section(doc, "scope2")["tables"][0]["rows"]
    assert Decimal(scope2[0]["factor_value"]) == Decimal("0.55")
    assert doc["ledger_head"] == snap.ledger_head and len(snap.ledger_head) > 0
    assert snap.factor_versions == doc["factor_versions"] != []


def test_stored_file_sha256_matches(site):
    snap = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="csv", lang="en")
    rf, data = _content(snap)
    assert rf.sha256 == hashlib.sha256(data).hexdigest()
    assert rf.size == len(data)
    assert b"summary,0,0,value,,72.291" in data


def test_regenerating_makes_version_2_and_keeps_version_1(site):
    v1 = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    v2 = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    assert (v1.version, v2.version) == (1, 2)
    assert ReportSnapshot.objects.filter(pk=v1.pk, status="done").count() == 1
    assert v1.files.get().pk != v2.files.get().pk


def test_a_done_snapshot_cannot_be_saved_over(site):
    snap = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    snap.year = 2024
    with pytest.raises(ApplicationError) as exc:
        snap.save()
    assert exc.value.code == "report_snapshot_immutable"
    assert ReportSnapshot.objects.get(pk=snap.pk).year == 2025


def test_xlsx_cells_are_numbers(site):
    from openpyxl import load_workbook

    snap = report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="xlsx", lang="en")
    wb = load_workbook(io.BytesIO(_content(snap)[1]))
    ws = wb["summary"]
    assert ws["B3"].value == pytest.approx(72.291, abs=1e-9)
    assert isinstance(ws["B3"].value, float)
    assert set(wb.sheetnames) >= {"summary", "by_carrier", "by_site", "yoy", "targets"}


def test_unknown_kind_is_refused_with_a_code(site):
    with pytest.raises(ApplicationError) as exc:
        report_generate(kind="poem", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    assert exc.value.code == "invalid_kind"
    assert ReportSnapshot.objects.count() == 0


def test_command_prints_written_paths(site, tmp_path):
    out = io.StringIO()
    call_command("generate_report", kind="ghg", enterprise=site.enterprise.credit_code, year=2025, format="xlsx",
                 lang="zh-hans", output=str(tmp_path), stdout=out)
    path = out.getvalue().strip()
    assert path == str(tmp_path / f"ghg_{site.enterprise.credit_code}_2025_zh-hans_v1.xlsx")
    assert (tmp_path / path.rsplit("/", 1)[1]).read_bytes()[:2] == b"PK"


def test_a_restatement_marks_earlier_snapshots_superseded_and_links_the_new_version(site):
    import datetime as dt

    from carbon.ledger import period_close, period_restate
    from reports.services import report_snapshots_supersede

    ent = site.enterprise
    period_close(enterprise=ent, month=dt.date(2025, 3, 1))
    v1 = report_generate(kind="ghg", enterprise=ent, year=2025, fmt="json", lang="en")
    assert report_snapshots_supersede(enterprise=ent) == 0  # closing before the report changes nothing
    period_restate(enterprise=ent, month=dt.date(2025, 3, 1), reason="meter recalibrated", actor=None)
    from carbon.models import Restatement

    v1.refresh_from_db()
    assert v1.superseded is True
    assert Restatement.objects.get(enterprise=ent).superseded_reports == [f"report:{v1.pk} ghg 2025 json/en v1"]
    v2 = report_generate(kind="ghg", enterprise=ent, year=2025, fmt="json", lang="en")
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.superseded, v1.superseded_by_id) == (True, v2.pk)
    assert v2.superseded is False
    assert v2.ledger_head != v1.ledger_head
    assert v1.files.get().sha256 == hashlib.sha256(_content(v1)[1]).hexdigest()  # v1's file untouched


def test_footprint_allocates_site_emissions_by_output_share(site):
    from tests.factories import ProductFactory, ProductionDataFactory

    bar = ProductFactory(site=site, code="BAR", unit="t")
    wire = ProductFactory(site=site, code="WIRE", unit="t")
    ProductionDataFactory(product=bar, month="2025-03-01", quantity=600)
    ProductionDataFactory(product=wire, month="2025-03-01", quantity=400)
    snap = report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json", lang="en")
    doc = _json(snap)
    rows = {r["product"]: r for r in _section(doc, "products")["tables"][0]["rows"]}
    shares = {r["product"]: r for r in _section(doc, "allocation")["tables"][0]["rows"]}
    # Site total 201.819226 tCO2 (DOMAIN.md §2-§3, see the GHG test); no production units, so nothing is metered per
    # unit: 600 t / 1000 t = 0.6 → 121.091536 tCO2, 0.4 → 80.727690 tCO2; per tonne 121.091536 × 1000 / 600 =
    # 201.819227 kgCO2/t (rounded share product). No upstream data: gate-to-gate, total = gate-to-gate.
    assert (Decimal(shares["BAR"]["share"]), Decimal(rows["BAR"]["gate_tco2"])) == (Decimal("0.6"),
                                                                                    Decimal("121.091536"))
    assert Decimal(shares["BAR"]["metered_tco2"]) == 0
    assert Decimal(rows["WIRE"]["tco2"]) == Decimal("80.727690")
    assert Decimal(rows["BAR"]["kgco2_per_unit"]) == Decimal("201.819227")
    assert rows["BAR"]["boundary"] == "gate-to-gate" and doc["meta"]["boundary"] == "gate-to-gate"
    assert any("output share" in n for n in _section(doc, "allocation")["notes"])


@pytest.mark.parametrize("kind", ["energy", "ghg", "footprint", "green_factory"])
def test_every_kind_renders_in_every_format_with_matching_sha256(site, kind):
    from tests.factories import ProductFactory, ProductionDataFactory

    ProductionDataFactory(product=ProductFactory(site=site, unit="t"), month="2025-03-01", quantity=1000)
    magic = {"pdf": b"%PDF", "xlsx": b"PK", "csv": b"\xef\xbb\xbfsection", "json": b"{"}
    for fmt, head in magic.items():
        snap = report_generate(kind=kind, enterprise=site.enterprise, year=2025, fmt=fmt, lang="zh-hans")
        rf, data = _content(snap)
        assert data.startswith(head), (kind, fmt)
        assert (snap.status, rf.sha256) == ("done", hashlib.sha256(data).hexdigest())
