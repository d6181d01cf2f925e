"""EU CBAM export (JSON and XLSX laid out like the communication template's sheets) and the footprint's unallocated
emissions, with hand-worked figures on the report fixture site (tests/reports/conftest.py)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from energy_platform.errors import ApplicationError
from reports.models import CarbonPricePaid, CbamInstallation
from reports.services import report_generate
from tests.reports.test_footprint_and_sites import products, second_site, upstream  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _data(snap) -> bytes:
    with snap.files.get().file.open("rb") as fh:
        return fh.read()


def _section(doc: dict, key: str) -> dict:
    return next(s for s in doc["sections"] if s["key"] == key)


@pytest.fixture
def installation(site, products, upstream):  # noqa: F811
    """BAR is a CBAM good (rebar, CN 72142000); WIRE has no CN code, so it is not."""
    products["bar"].cn_code = "72142000"
    products["bar"].save()
    CarbonPricePaid.objects.create(product=products["bar"], year=2025, instrument="China national ETS",
                                   price_per_tco2e=Decimal("100"), covered_tco2e_per_unit=Decimal("0.15"),
                                   free_allocation_tco2e_per_unit=Decimal("0.1"), source="test")
    return CbamInstallation.objects.create(
        site=site, name="Test rolling mill", operator_name="Green Steel Co.", city="Shanghai", unlocode="CNSHA",
        latitude=Decimal("31.230400"), longitude=Decimal("121.473700"),
        production_routes=[{"category": "Iron or steel products", "route": "bar rolling of purchased billet",
                            "products": ["BAR"]}])


def test_cbam_json_gives_the_specific_embedded_emissions_of_each_good(site, installation):
    doc = json.loads(_data(report_generate(kind="cbam", enterprise=site.enterprise, year=2025, fmt="json",
                                           lang="en")))
    summary = _section(doc, "Summary_Products")["tables"][0]["rows"]
    assert [r["product"] for r in summary] == ["BAR"]  # WIRE has no CN code
    bar = summary[0]
    # From the footprint (mass rule, test_footprint_and_sites): BAR 600 t, scope 1 88.0915356, scope 2 27.5 tCO2,
    # electricity 20,000 kWh metered + 0.6 × 50,000 unmetered = 50 MWh. Precursor: 630 t billet × (2.0 − 0.25) =
    # 1,102.5 direct, × 0.25 = 157.5 indirect (the shared alloy is a material, not a precursor).
    # SEE direct (88.0915356 + 1,102.5) / 600 = 1.984319226 → 1.984319; SEE indirect (27.5 + 157.5) / 600 =
    # 0.308333; electricity 50 / 600 = 0.083333 MWh/t at 27.5 / 50 = 0.55 tCO2/MWh; precursors 1,260 / 600 = 2.1;
    # total 1.984319 + 0.308333 = 2.292652. Carbon price 100 CNY × (0.15 − 0.1) = 5 CNY per tonne.
    assert (bar["cn_code"], Decimal(bar["quantity"])) == ("72142000", Decimal("600"))
    assert [Decimal(bar[k]) for k in ("see_direct", "see_indirect", "electricity_per_t", "electricity_factor",
                                      "see_precursors", "see_total", "carbon_price")] == [
        Decimal("1.984319"), Decimal("0.308333"), Decimal("0.083333"), Decimal("0.55"), Decimal("2.1"),
        Decimal("2.292652"), Decimal("5")]
    assert bar["currency"] == "CNY" and "China national ETS" in bar["carbon_price_detail"]
    assert "0.550000 tCO2/MWh" in bar["electricity_factor_source"]
    inst = {r["field"]: r["value"] for r in _section(doc, "A_InstData")["tables"][0]["rows"]}
    assert (inst["UN/LOCODE"], inst["Latitude"], inst["Reporting period start"], inst["Reporting period end"]) == (
        "CNSHA", "31.230400", "2025-01-01", "2025-12-31")
    prec = _section(doc, "E_PurchPrec")["tables"][0]["rows"]
    assert [(r["precursor"], r["cn_code"], Decimal(r["see_direct"]), Decimal(r["see_indirect"])) for r in prec] == [
        ("BILLET", "72071100", Decimal("1.75"), Decimal("0.25"))]
    energy = _section(doc, "C_Emissions&Energy")["tables"][0]["rows"][0]
    # the installation: scope 1 146.819226, 100 MWh consumed, 55 tCO2 indirect (see the GHG test)
    assert [Decimal(energy[k]) for k in ("direct_tco2", "electricity_mwh", "grid_mwh", "own_mwh",
                                         "electricity_factor", "indirect_tco2")] == [
        Decimal("146.819226"), Decimal("100"), Decimal("100"), Decimal("0"), Decimal("0.55"), Decimal("55")]
    assert {r["source"] for r in _section(doc, "B_EmInst")["tables"][0]["rows"]} == {"raw coal", "natural gas"}


def test_cbam_xlsx_has_the_templates_sheets_in_order(site, installation):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(_data(report_generate(kind="cbam", enterprise=site.enterprise, year=2025,
                                                        fmt="xlsx", lang="en"))))
    assert wb.sheetnames == ["A_InstData", "B_EmInst", "C_Emissions&Energy", "D_Processes", "E_PurchPrec",
                             "Summary_Products"]
    rows = list(wb["Summary_Products"].values)
    head = rows[1]
    bar = dict(zip(head, rows[2], strict=True))
    assert bar["CN code"] == "72142000"
    assert bar["Specific direct embedded emissions (tCO2e/t)"] == pytest.approx(1.984319)
    assert bar["Total specific embedded emissions (tCO2e/t)"] == pytest.approx(2.292652)


def test_cbam_without_installation_data_is_a_400(site):
    with pytest.raises(ApplicationError) as exc:
        report_generate(kind="cbam", enterprise=site.enterprise, year=2025, fmt="json")
    assert (exc.value.code, exc.value.status_code) == ("cbam_no_installation", 400)


def test_cbam_command_writes_the_xlsx(site, installation, tmp_path):
    out = io.StringIO()
    call_command("generate_report", "--kind", "cbam", "--enterprise", site.enterprise.credit_code, "--year", "2025",
                 "--format", "xlsx", "--output", str(tmp_path), stdout=out)
    path = out.getvalue().strip()
    assert path.endswith(".xlsx") and (tmp_path / path.rsplit("/", 1)[1]).read_bytes().startswith(b"PK")


def test_cn_codes_and_unlocodes_are_validated(site, products):  # noqa: F811
    products["bar"].cn_code = "7214"
    with pytest.raises(ValidationError) as exc:
        products["bar"].full_clean()
    assert "cn_code" in exc.value.message_dict
    products["bar"].cn_code = "72142000"
    products["bar"].full_clean()
    inst = CbamInstallation(site=site, name="x", operator_name="y", city="z", unlocode="cn-sh",
                            latitude=Decimal(1), longitude=Decimal(1))
    with pytest.raises(ValidationError) as exc:
        inst.full_clean()
    assert list(exc.value.message_dict) == ["unlocode"]


def test_footprint_lists_a_site_without_products_as_unallocated(site, products, second_site):  # noqa: F811
    doc = json.loads(_data(report_generate(kind="footprint", enterprise=site.enterprise, year=2025, fmt="json",
                                           lang="en")))
    rows = _section(doc, "unallocated")["tables"][0]["rows"]
    # S2: 1 MWh × 0.55 tCO2/MWh (East China grid, DOMAIN.md §3) = 0.55 tCO2, no product takes it
    assert [(r["site"], Decimal(r["tco2"])) for r in rows] == [("S2", Decimal("0.55"))]
    assert "0.550000 tCO2e" in _section(doc, "unallocated")["notes"][0]


def test_zh_hans_cbam_has_no_untranslated_label(site, installation):
    from django.utils import translation

    from reports.builders import META_LABELS, builders
    from tests.reports.test_translation import CJK, _labels

    with translation.override("zh-hans"):
        zh = builders()["cbam"](enterprise=site.enterprise, year=2025)
        meta = [str(META_LABELS[k]) for k in zh.meta]
    # sheet names stay as in the EU template (A_InstData …) and are followed by a Chinese title
    assert [label for label in _labels(zh) + meta if not CJK.search(label) and label != "UN/LOCODE"] == []
