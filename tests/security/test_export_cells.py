"""Formula injection: names full of spreadsheet formulas come out of every CSV and XLSX export and report as text
(OWASP rule, `energy_platform.cells`), while numbers, negative ones included, stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.http import FileResponse, StreamingHttpResponse

from energy_platform.cells import FORMULA_TRIGGERS, cell_row, cell_text, cell_value
from meters.models import Meter, MeterRollup
from plants.models import Enterprise
from reports.builders import builders
from reports.services import report_generate
from tests.factories import (
    EconomicDataFactory,
    MeterFactory,
    ProductFactory,
    ProductionDataFactory,
    ProductionUnitFactory,
)

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]

#: The hostile names of the issue, one per kind of object.
HOSTILE = {
    "enterprise": "=cmd|' /C calc'!A0",
    "site": '=HYPERLINK("http://x")',
    "meter": "+1",
    "product": "@SUM(A1)",
    "unit": "\t=1",
}
#: Codes stored before any character rule (written with update(), as old rows would be).
HOSTILE_CODES = {"site": "=S1", "meter": "-E1", "unit": "@W1"}


def test_cell_helper_prefixes_formula_text_and_leaves_numbers_alone():
    assert [cell_text(t) for t in ("=1+1", "+1", "-1", "@A", "\t=1", "\r=1", "A=1", "")] == [
        "'=1+1", "'+1", "'-1", "'@A", "'\t=1", "'\r=1", "A=1", ""]
    day = dt.date(2025, 3, 1)
    assert cell_row([Decimal("-1.5"), -2, -0.5, None, True, day, "-x"]) == [
        Decimal("-1.5"), -2, -0.5, None, True, day, "'-x"]
    assert cell_value(Decimal("-3")) == Decimal("-3")


@pytest.fixture
def hostile(tenants):
    """Enterprise A (Shanghai) renamed to formulas: site, unit, meters, a product; March 2025 rollups where the
    export meter (40 kWh) exceeds the purchase (30 kWh), so the site total of that hour is -10 kWh, a number."""
    ent = tenants["a"]
    site = tenants["site_a"]
    Enterprise.objects.filter(pk=ent.pk).update(name=HOSTILE["enterprise"])
    type(site).objects.filter(pk=site.pk).update(name=HOSTILE["site"], code=HOSTILE_CODES["site"])
    site.refresh_from_db()
    unit = ProductionUnitFactory(site=site, name=HOSTILE["unit"])
    type(unit).objects.filter(pk=unit.pk).update(code=HOSTILE_CODES["unit"])
    main = MeterFactory(site=site, name=HOSTILE["meter"], production_unit=unit, interval_minutes=60)
    Meter.objects.filter(pk=main.pk).update(code=HOSTILE_CODES["meter"])
    export = MeterFactory(site=site, code="E-EXP", name=HOSTILE["site"], role=Meter.Role.EXPORT, interval_minutes=60)
    product = ProductFactory(site=site, name=HOSTILE["product"], cn_code="72142000")
    ProductionDataFactory(product=product, month=dt.date(2025, 3, 1), quantity=10)
    from reports.models import CbamInstallation  # the CBAM export: installation data named like a formula too

    CbamInstallation.objects.create(site=site, name=HOSTILE["site"], operator_name=HOSTILE["enterprise"],
                                    city=HOSTILE["unit"], unlocode="CNSHA", latitude=31, longitude=121)
    EconomicDataFactory(site=site, month=dt.date(2025, 3, 1), value_added_10k_cny=Decimal("100"))
    h0 = dt.datetime(2025, 3, 1, 0, tzinfo=SH)
    MeterRollup.objects.bulk_create([
        MeterRollup(meter_id=main.pk, granularity=g, bucket_start=h0, quantity=30.0, expected_intervals=1,
                    received_intervals=1) for g in ("hour", "day")] + [
        MeterRollup(meter=export, granularity=g, bucket_start=h0, quantity=40.0, expected_intervals=1,
                    received_intervals=1) for g in ("hour", "day")])
    return {"enterprise": ent, "site": site, "unit": unit, "meter": Meter.objects.get(pk=main.pk)}


def _body(resp) -> bytes:
    assert resp.status_code == 200, resp.content[:300] if not isinstance(resp, StreamingHttpResponse | FileResponse) \
        else resp.status_code
    if isinstance(resp, StreamingHttpResponse | FileResponse):
        return b"".join(resp.streaming_content)
    return resp.content


def _exports(hostile, tenants, client, api_client) -> dict[str, bytes]:
    """Every CSV and XLSX the platform writes for enterprise A, by name."""
    out: dict[str, bytes] = {}
    for kind in builders():
        for fmt in ("csv", "xlsx"):
            snap = report_generate(kind=kind, enterprise=hostile["enterprise"], year=2025, fmt=fmt, lang="en")
            with snap.files.get().file.open("rb") as fh:
                out[f"report {kind}.{fmt}"] = fh.read()
    client.force_login(tenants["regulator_sh"])
    api_client.force_authenticate(tenants["regulator_sh"])
    for fmt in ("csv", "xlsx"):
        out[f"portal kpis.{fmt}"] = _body(client.get(f"/regulator/export/?period=2025&format={fmt}"))
        for kind in ("energy", "ghg"):
            out[f"regulator api {kind}.{fmt}"] = _body(api_client.get(
                "/api/v1/regulator/exports/", {"year": 2025, "kind": kind, "format": fmt}))
    api_client.force_authenticate(tenants["viewer_a"])
    subjects = {"meter": hostile["meter"].pk, "site": hostile["site"].pk, "unit": hostile["unit"].pk}
    for subject, pk in subjects.items():
        for rows in ("total", "meters"):
            for fmt in ("csv", "xlsx"):
                out[f"rollups {subject} {rows}.{fmt}"] = _body(api_client.get("/api/v1/exports/rollups/", {
                    subject: pk, "granularity": "hour", "start": "2025-03-01", "end": "2025-03-02", "format": fmt,
                    "rows": rows}))
    from costs.models import MeterCostMonth

    MeterCostMonth.objects.create(meter=hostile["meter"], month=dt.date(2025, 3, 1), quantity=Decimal("30"),
                                  total_cny=Decimal("-1.5"))
    for fmt in ("csv", "xlsx"):
        out[f"site costs.{fmt}"] = _body(api_client.get(f"/api/v1/sites/{hostile['site'].pk}/costs/export/",
                                                        {"period": "2025", "format": fmt}))
    return out


def _cells(name: str, data: bytes) -> list:
    if name.endswith(".csv"):
        return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))  # not data_only: formulas would come back as formula cells
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (name, ws.title, cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


def test_every_export_and_report_writes_formula_names_as_text(hostile, tenants, client, api_client):
    exports = _exports(hostile, tenants, client, api_client)
    # 5 report kinds (cbam included) x 2 formats, the portal's 2, the regulator API's 2 kinds x 2,
    # rollups 3 subjects x 2 x 2, the site cost export x 2
    assert len(exports) == 5 * 2 + 2 + 2 * 2 + 3 * 2 * 2 + 2
    seen: set[str] = set()
    for name, data in exports.items():
        for value in _cells(name, data):
            if not isinstance(value, str):
                continue
            assert not value.startswith(FORMULA_TRIGGERS) or _is_number(value, name), (name, value)
            seen.update(k for k, hostile_text in {**HOSTILE, **{f"{k} code": v for k, v in HOSTILE_CODES.items()}
                                                   }.items() if value == "'" + hostile_text)
    # The hostile texts did reach the exports, quoted: names in the reports and the regulator files, codes in the
    # rollup exports; the meter's and the product's names appear in the reports' tables.
    assert {"enterprise", "site code", "meter code", "unit code"} <= seen, seen
    # The cost export: the codes quoted, the negative total a number.
    cost_cells = _cells("site costs.xlsx", exports["site costs.xlsx"])
    assert {"'=S1", "'-E1", -1.5} <= set(cost_cells), cost_cells


def _is_number(value: str, name: str) -> bool:
    """A CSV has no types: a value that is a plain negative number is a number written by csv from a number."""
    return name.endswith(".csv") and re.fullmatch(r"-\d+(\.\d+)?(E[+-]?\d+)?", value) is not None


def test_negative_numbers_stay_numbers_in_csv_and_xlsx(hostile, tenants, api_client):
    from openpyxl import load_workbook

    api_client.force_authenticate(tenants["viewer_a"])
    query = {"site": hostile["site"].pk, "granularity": "hour", "start": "2025-03-01", "end": "2025-03-02"}
    text = _body(api_client.get("/api/v1/exports/rollups/", {**query, "format": "csv"})).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["site"], row["quantity"]) == ("'=S1", "-10.0")  # 30 kWh purchased - 40 kWh exported
    data = _body(api_client.get("/api/v1/exports/rollups/", {**query, "format": "xlsx"}))
    values = list(load_workbook(io.BytesIO(data)).worksheets[0].values)
    head, first = values[0], values[1]
    assert first[head.index("quantity")] == -10.0
    assert first[head.index("site")] == "'=S1"


WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|Workbook\(|xlsxwriter")
#: Writers that produce no file for a person: the monthly upload re-reads its own chunk as CSV.
INTERNAL_WRITERS = {"ui/services.py"}


def test_every_csv_and_xlsx_writer_goes_through_the_cell_helper():
    """A new writer of CSV or XLSX in any app must use energy_platform.cells (or be listed as internal here)."""
    apps = [d for d in ROOT.iterdir() if (d / "__init__.py").exists() and d.name != "tests"]
    writers = {str(p.relative_to(ROOT)) for app in apps for p in app.rglob("*.py")
               if "migrations" not in p.parts and WRITERS.search(p.read_text(encoding="utf-8"))}
    assert {"reports/dataexports.py", "reports/renderers.py"} <= writers  # the guard sees the known writers
    for path in sorted(writers - INTERNAL_WRITERS):
        assert "from energy_platform.cells import" in (ROOT / path).read_text(encoding="utf-8"), path
