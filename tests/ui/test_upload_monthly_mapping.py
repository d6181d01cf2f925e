"""Value added and output files mapped like readings and bills: the month column and its format, the site and product
(a column or fixed in the form), the value column or one column per site or product, decimal comma, presets; the
preview shows the first values exactly as they will be stored; overwrites add a version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from energy_platform.errors import ApplicationError
from meters.models import ImportPreset
from plants.models import EconomicData, ProductionData
from plants.services import monthly_data_import, monthly_mapping_clean
from tests.factories import ProductFactory, SiteFactory
from ui.models import MonthlyUpload


@pytest.fixture
def plant(tenants):
    SiteFactory(enterprise=tenants["a"], code="RM1")
    ProductFactory(site=tenants["site_a"], code="REBAR")
    return tenants


def _upload(client, text: str, capture, name: str = "va.csv", **fields):
    with capture(execute=True):
        response = client.post("/entry/", {"form": "upload", "file": SimpleUploadedFile(name, text.encode()),
                                           **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return MonthlyUpload.objects.latest("pk")


def _commit(client, upload, capture):
    with capture(execute=True):
        client.post(f"/entry/uploads/monthly/{upload.pk}/commit/")
    upload.refresh_from_db()
    return upload


def test_semicolon_file_with_chinese_months_and_decimal_comma_is_previewed_as_stored_then_saved(
        client, plant, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(plant["manager_a"])
    text = "月份;厂区;增加值\n2025年3月;RM1;1.234,5\n2025年4月;RM1;abc\n"
    upload = _upload(client, text, django_capture_on_commit_callbacks, kind="economic", decimal_comma="on",
                     timestamp_column="月份", timestamp_format="%Y年%m月", site_column="厂区", value_column="增加值",
                     save_preset="ERP 增加值")
    assert upload.mapping == {"month_column": "月份", "month_format": "%Y年%m月", "decimal_comma": True,
                              "delimiter": "auto", "site_column": "厂区", "value_column": "增加值"}
    panel = client.get(f"/entry/uploads/monthly/{upload.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    # "2025年3月" -> 2025-03; "1.234,5" with a decimal comma -> 1234.5 (stored with 4 decimals: 1234.5000) 万元
    assert [(s["row"], s["meter"], s["ts_local"], s["value"], s["unit"])
            for s in panel.context["job"]["preview"]["sample"]] == [(2, "RM1", "2025-03", "1234.5000", "万元")]
    html = panel.content.decode()
    assert "2025-03" in html and "1234.5000" in html and "万元" in html
    assert [r["row"] for r in panel.context["job"]["preview_rejected"]["items"]] == [3]
    _commit(client, upload, django_capture_on_commit_callbacks)
    assert list(EconomicData.objects.values_list("site__code", "month", "value_added_10k_cny", "version")) == [
        ("RM1", dt.date(2025, 3, 1), Decimal("1234.5"), 1)]


def test_saved_preset_reads_the_next_file_and_an_overwrite_adds_a_version(
        client, plant, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(plant["manager_a"])
    _commit(client, _upload(client, "月份;厂区;增加值\n2025年3月;RM1;1.234,5\n", django_capture_on_commit_callbacks,
                            kind="economic", decimal_comma="on", timestamp_column="月份", timestamp_format="%Y年%m月",
                            site_column="厂区", value_column="增加值", save_preset="ERP 增加值"),
            django_capture_on_commit_callbacks)
    preset = ImportPreset.objects.get()
    assert (preset.kind, preset.name) == ("economic", "ERP 增加值")
    # The next month's file with only the preset chosen (decimal comma comes from the preset, not the checkbox).
    upload = _upload(client, "月份;厂区;增加值\n2025年3月;RM1;1.300,25\n", django_capture_on_commit_callbacks,
                     kind="economic", preset=preset.pk)
    assert (upload.mapping, upload.decimal_comma) == (preset.mapping, True)
    _commit(client, upload, django_capture_on_commit_callbacks)
    # 2025-03 stored again: version 2 = 1300.25, version 1 = 1234.5 kept.
    assert list(EconomicData.objects.order_by("version").values_list("version", "value_added_10k_cny")) == [
        (1, Decimal("1234.5")), (2, Decimal("1300.25"))]


def test_a_preset_of_another_kind_is_refused(client, plant, django_capture_on_commit_callbacks):
    client.force_login(plant["manager_a"])
    preset = ImportPreset.objects.create(enterprise=plant["a"], name="meters", kind="readings", mapping={})
    response = client.post("/entry/", {"form": "upload", "kind": "economic", "preset": preset.pk,
                                       "file": SimpleUploadedFile("va.csv", b"site,month,value_added_10k_cny\n")})
    assert response.status_code == 400
    assert MonthlyUpload.objects.count() == 0


def test_output_file_with_a_fixed_site_and_month_last_format(client, plant, django_capture_on_commit_callbacks,
                                                              settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(plant["manager_a"])
    text = "Product,Period,Tonnes\nREBAR,03/2025,\"12,500.5\"\nWIRE,03/2025,7\n"
    upload = _upload(client, text, django_capture_on_commit_callbacks, kind="production", site=plant["site_a"].pk,
                     timestamp_column="Period", timestamp_format="%m/%Y", meter_column="Product",
                     value_column="Tonnes")
    sample = client.get(f"/entry/uploads/monthly/{upload.pk}/").context["job"]["preview"]["sample"]
    # "12,500.5" (thousands comma, decimal point) -> 12500.5 t of A1 / REBAR in 2025-03; WIRE is no product of A1.
    assert [(s["meter"], s["ts_local"], s["value"], s["unit"]) for s in sample] == [
        ("A1 / REBAR", "2025-03", "12500.5000", "吨")]
    _commit(client, upload, django_capture_on_commit_callbacks)
    assert list(ProductionData.objects.values_list("product__code", "month", "quantity")) == [
        ("REBAR", dt.date(2025, 3, 1), Decimal("12500.5"))]
    assert [r["code"] for r in upload.rejected] == ["unknown_product"]


def test_wide_value_added_file_one_column_per_site(plant):
    data = "Month,A1 (万元),RM1 (万元)\n2025/03,10,20.5\n2025/04,,30\n".encode()
    mapping = {"month_column": "Month", "month_format": "%Y/%m",
               "columns": [{"column": "A1 (万元)", "code": "A1"}, {"column": "RM1 (万元)", "code": "RM1"}]}
    result = monthly_data_import(kind="economic", name="wide.csv", data=data, user=plant["manager_a"], commit=True,
                                 mapping=mapping)
    # Three values: A1 2025-03 = 10, RM1 2025-03 = 20.5, RM1 2025-04 = 30 (A1's empty April cell is no value).
    assert (result["rows"], result["valid"], result["created"], result["rejected"]) == (3, 3, 3, [])
    assert sorted(EconomicData.objects.values_list("site__code", "month", "value_added_10k_cny")) == [
        ("A1", dt.date(2025, 3, 1), Decimal("10")), ("RM1", dt.date(2025, 3, 1), Decimal("20.5")),
        ("RM1", dt.date(2025, 4, 1), Decimal("30"))]


def test_month_not_in_the_mapped_format_is_refused_not_guessed(plant):
    data = b"month,site,value\n2025-03,A1,1\n03/2025,A1,2\n"
    result = monthly_data_import(kind="economic", name="va.csv", data=data, user=plant["manager_a"], commit=False,
                                 mapping={"month_format": "%m/%Y"})
    assert [(r["row"], r["code"]) for r in result["rejected"]] == [(2, "invalid_month")]
    assert [(s["site"], s["month"], s["value"]) for s in result["sample"]] == [("A1", "2025-03", "2.0000")]


@pytest.mark.parametrize(("mapping", "detail"), [
    ({"month_format": "%d/%m"}, "The month format must be"),
    ({"bogus": 1}, "Unknown mapping keys: bogus."),
    ({"delimiter": "pipe"}, "delimiter must be one of"),
    ({"columns": [{"column": "X"}]}, "Each value column needs its column and its site code."),
])
def test_bad_mapping_is_a_400_with_a_reason(mapping, detail):
    with pytest.raises(ApplicationError) as exc:
        monthly_mapping_clean(mapping=mapping, kind="economic")
    assert exc.value.code == "invalid_mapping" and str(exc.value.detail).startswith(detail)


def test_missing_mapped_column_names_the_file_columns(plant):
    with pytest.raises(ApplicationError) as exc:
        monthly_data_import(kind="economic", name="va.csv", data=b"Monat,Werk,Wert\n", user=plant["manager_a"],
                            commit=False, mapping={"month_column": "Month"})
    assert exc.value.code == "missing_column" and "Monat, Werk, Wert" in str(exc.value.detail)


def test_api_saves_a_value_added_preset_with_its_own_mapping_rules(api_client, plant):
    api_client.force_authenticate(plant["manager_a"])
    r = api_client.post("/api/v1/import-presets/", {
        "enterprise": plant["a"].pk, "name": "ERP", "kind": "economic",
        "mapping": {"month_column": "月份", "month_format": "%Y年%m月", "site": "RM1", "value_column": "增加值"}},
        format="json")
    assert r.status_code == 201, r.content
    # Defaults filled in (comma decimal off, delimiter guessed from the header line).
    assert r.json()["mapping"] == {"month_column": "月份", "month_format": "%Y年%m月", "decimal_comma": False,
                                   "delimiter": "auto", "site": "RM1", "value_column": "增加值"}
    r = api_client.post("/api/v1/import-presets/", {"enterprise": plant["a"].pk, "name": "Bad", "kind": "production",
                                                   "mapping": {"timestamp_column": "ts"}}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "invalid_mapping")


def test_xlsx_date_and_number_cells_are_read_as_typed_whatever_the_text_format(plant):
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["月份", "厂区", "增加值"])
    wb.active.append([dt.datetime(2025, 3, 1), "RM1", 1234.5])   # typed cells: a date and a number
    wb.active.append(["2025年4月", "RM1", "2.345,75"])            # text cells: the mapped formats
    buf = io.BytesIO()
    wb.save(buf)
    result = monthly_data_import(kind="economic", name="erp.xlsx", data=buf.getvalue(), user=plant["manager_a"],
                                 commit=False, mapping={"month_column": "月份", "month_format": "%Y年%m月",
                                                        "site_column": "厂区", "value_column": "增加值",
                                                        "decimal_comma": True})
    # 2025-03 = 1234.5 (the number cell, never re-read with the decimal comma); "2.345,75" -> 2345.75.
    assert [(s["month"], s["value"]) for s in result["sample"]] == [("2025-03", "1234.5000"), ("2025-04", "2345.7500")]
    assert result["rejected"] == []
