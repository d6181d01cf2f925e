"""Documents name published sources only: no reference to the team's internal DOMAIN.md in reference data or reports."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbon.models import EmissionFactor, EnergyCoefficient, FactorSet
from insights.models import BenchmarkReference, QualityCriterion
from reports.models import IndicatorSet, MeteringRequirement
from reports.services import report_generate

pytestmark = pytest.mark.django_db


def _json(snap) -> str:
    with snap.files.get().file.open("rb") as fh:
        return fh.read().decode()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_energy_and_ghg_json_reports_name_published_sources_and_no_internal_file(site, lang):
    energy = _json(report_generate(kind="energy", enterprise=site.enterprise, year=2025, fmt="json", lang=lang))
    ghg = _json(report_generate(kind="ghg", enterprise=site.enterprise, year=2025, fmt="json", lang=lang))
    assert "DOMAIN.md" not in energy and "DOMAIN.md" not in ghg
    assert "GB/T 2589-2020 综合能耗计算通则" in energy  # the coefficients' source, as published
    assert "National grid emission factors, data year 2023" in ghg


def test_loaded_reference_rows_carry_the_published_documents_name_with_their_marks():
    for model in (FactorSet, EmissionFactor, EnergyCoefficient, BenchmarkReference, QualityCriterion, IndicatorSet,
                  MeteringRequirement):
        assert not model.objects.filter(source__contains="DOMAIN.md").exists(), model
    fs = FactorSet.objects.get(name="National grid emission factors, data year 2022")
    assert fs.source == ("Ministry of Ecology and Environment / National Bureau of Statistics, National grid emission "
                         "factors, data year 2022, announced 2024-12 [read]")
    earlier = EmissionFactor.objects.get(factor_set__name="National grid emission factor, data year 2015")
    assert earlier.source == "2015 national grid factor (older templates) [read]"
    grade = BenchmarkReference.objects.get(indicator="pue", label="grade 1", enterprise=None)
    assert (grade.source, grade.provisional) == ("GB 40879-2021 energy-efficiency grades [check]", True)
    assert set(MeteringRequirement.objects.values_list("source", flat=True)) == {"GB 17167-2006"}
    heat = FactorSet.objects.get(name="Purchased heat and steam defaults")
    assert heat.source == "GB/T 32150-2015 / sector guidelines, Purchased heat and steam defaults: 0.11 tCO2/GJ [read]"


def test_xlsx_and_pdf_show_a_share_as_a_percentage_with_the_unit_label_and_keep_the_exact_value():
    import io

    from django.utils import translation
    from openpyxl import load_workbook

    from reports.builders import Column, Document, Section, Table
    from reports.renderers import pdf_context, render_xlsx

    doc = Document("footprint", "t", {}, [Section("s", "S", [Table(
        [Column("share", "Share", "ratio"), Column("epva", "Energy per value added", "tce/10^4 CNY")],
        [[Decimal("0.0509"), Decimal("0.1446")]])])])
    with translation.override("zh-hans"):
        ws = load_workbook(io.BytesIO(render_xlsx(doc)))["s"]
        table = pdf_context(doc)["sections"][0]["tables"][0]
    assert [c.value for c in ws[2]] == ["Share (%)", "Energy per value added (tce/万元)"]
    assert (ws["A3"].value, ws["A3"].number_format) == (0.0509, "0.00%")  # Excel shows 5.09%
    assert ws["B3"].number_format == "#,##0.0000"
    assert [c["unit"] for c in table["columns"]] == ["%", "tce/万元"]
    assert [c["text"] for c in table["rows"][0]] == ["5.09", "0.1446"]  # 0.0509 × 100 = 5.09
