"""Codes of sites, production units, products, meters and gateways: NFC-normalised and limited to letters, digits
and `-_.` (plants.validators.validate_code), in the models, the API, the admin and the demo data."""

from __future__ import annotations

import unicodedata

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from meters.models import Gateway, Meter
from plants.models import Product, ProductionUnit, Site
from plants.validators import validate_code
from tests.factories import ProductFactory

BIDI_LOOKALIKE = "\u202eRM1"  # RIGHT-TO-LEFT OVERRIDE + RM1: renders as "1MR" or like "RM1" depending on context


@pytest.mark.parametrize("code", ["RM1", "SZ-E-MAIN", "E_1.2", "一号表-A", "热轧线L1", "Ärger", "ГРЭС-2", "x"])
def test_letters_of_any_script_digits_and_dash_underscore_dot_are_a_code(code):
    validate_code(code)


@pytest.mark.parametrize(("code", "bad"), [
    (BIDI_LOOKALIKE, "U+202E"),       # bidi override
    ("RM\u200b1", "U+200B"),          # zero-width space
    ("RM\u2066" + "1", "U+2066"),     # bidi isolate
    ("\ufeffRM1", "U+FEFF"),          # byte-order mark / zero-width no-break space
    ("RM 1", "U+0020"),               # space
    ("RM\u00a01", "U+00A0"),          # no-break space
    ("RM1\x00", "U+0000"),            # NUL
    ("RM/1", "U+002F"),
    ("=cmd|x", "U+003D"),
    ("RM\u31641", "U+3164"),          # Hangul filler: a letter that renders as nothing
])
def test_control_format_space_and_symbol_characters_are_refused_with_invalid_code(code, bad):
    with pytest.raises(ValidationError) as info:
        validate_code(code)
    assert info.value.code == "invalid_code"
    assert bad in str(info.value)


def test_an_empty_code_is_refused():
    with pytest.raises(ValidationError):
        validate_code("")


@pytest.mark.django_db
def test_a_decomposed_code_is_stored_and_found_in_nfc(tenants):
    decomposed = "Ae\u0301"  # "Aé" with a combining acute accent (NFD)
    composed = unicodedata.normalize("NFC", decomposed)
    assert composed != decomposed and composed == "A\u00e9"

    product = ProductFactory(site=tenants["site_a"], code=decomposed)

    assert Product.objects.values_list("code", flat=True).get(pk=product.pk) == composed
    assert Product.objects.get(site=tenants["site_a"], code=decomposed).pk == product.pk  # lookups are NFC too


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/meters/", lambda t: {"site": t["site_a"].pk, "code": BIDI_LOOKALIKE, "carrier": "electricity",
                                   "unit": "kWh", "reading_kind": "interval", "level": "enterprise",
                                   "role": "purchase", "interval_minutes": 15,
                                   "active_from": "2024-01-01T00:00:00Z"}),
    ("/api/v1/products/", lambda t: {"site": t["site_a"].pk, "code": "P\u200b1", "name": "x", "unit": "t"}),
    ("/api/v1/production-units/", lambda t: {"site": t["site_a"].pk, "code": "U 1", "name": "x",
                                             "kind": "workshop"}),
    ("/api/v1/sites/", lambda t: {"enterprise": t["a"].pk, "code": BIDI_LOOKALIKE, "name": "x", "kind": "factory",
                                  "region_code": "310115", "timezone": "Asia/Shanghai"}),
    ("/api/v1/gateways/", lambda t: {"site": t["site_a"].pk, "name": "gw\u202e1"}),
])
def test_the_api_refuses_a_bad_code_with_400_invalid_code(tenants, path, body):
    client = APIClient()
    client.force_authenticate(tenants["admin_a"])
    counts = [m.objects.count() for m in (Meter, Product, ProductionUnit, Site, Gateway)]

    response = client.post(path, body(tenants), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert [m.objects.count() for m in (Meter, Product, ProductionUnit, Site, Gateway)] == counts


@pytest.mark.django_db
def test_the_admin_form_refuses_a_bad_code(tenants):
    user = tenants["manager_a"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="plants"))
    client = Client()
    client.force_login(user)

    response = client.post("/admin/plants/product/add/",
                           {"site": tenants["site_a"].pk, "code": BIDI_LOOKALIKE, "name": "x", "unit": "t"})

    assert response.status_code == 200
    assert [e.code for e in response.context["adminform"].form.errors.as_data()["code"]] == ["invalid_code"]
    assert not Product.objects.filter(name="x").exists()


@pytest.mark.django_db
def test_every_code_of_the_demo_data_is_a_valid_code():
    from demo.loader import demo_load

    demo_load(small=True, log=lambda m: None)

    codes = [*Site.objects.values_list("code", flat=True), *ProductionUnit.objects.values_list("code", flat=True),
             *Product.objects.values_list("code", flat=True), *Meter.objects.values_list("code", flat=True),
             *Gateway.objects.values_list("name", flat=True)]
    assert len(codes) > 10
    for code in codes:
        validate_code(code)


@pytest.mark.django_db
def test_ingestion_finds_a_meter_whose_code_arrives_decomposed(tenants):
    from meters.services.ingest import RawRow, readings_ingest
    from tests.factories import MeterFactory

    MeterFactory(site=tenants["site_a"], code="Ae\u0301-1", interval_minutes=15)  # stored NFC: "Aé-1"

    result = readings_ingest(site=tenants["site_a"], rows=[RawRow(0, "Ae\u0301-1", "2025-03-01T00:00:00+08:00", 1)],
                             batch_key="nfd-1")

    assert result.accepted == 1


@pytest.mark.django_db
def test_a_monthly_upload_finds_a_site_whose_code_arrives_decomposed(tenants):
    from plants.services import monthly_data_import

    Site.objects.filter(pk=tenants["site_a"].pk).update(code="A\u00e9")  # NFC "Aé"
    data = "site,month,value_added_10k_cny\nAe\u0301,2025-05,7\n".encode()

    result = monthly_data_import(kind="economic", name="m.csv", data=data, user=tenants["manager_a"], commit=False)

    assert (result["valid"], result["rejected"]) == (1, [])
