"""One way to name a resource in the API (README "API"): every path of a resource addresses it by its id, its CRUD
paths and its sub-resource paths (KPIs, benchmark, energy flow, forecast, ledger) alike."""

from __future__ import annotations

import re

import pytest

from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import MeterFactory, ProductionUnitFactory
from tests.security.endpoints import openapi_schema

#: The path parameters the published schema may have. Resources are named by `{id}`; a ledger entry under its
#: enterprise by `{entry_id}` (an id too); an accounting period under its enterprise by `{month}`, because a month is
#: closed before it has a row (and so an id) of its own.
ALLOWED_PARAMETERS = {"id", "entry_id", "month"}


def test_every_path_parameter_of_the_published_schema_is_an_id():
    paths = list(openapi_schema()["paths"])
    parameters = {name for path in paths for name in re.findall(r"\{(\w+)\}", path)}
    assert parameters == ALLOWED_PARAMETERS
    # the one non-id parameter only where a period is named under its enterprise
    assert sorted(p for p in paths if "{month}" in p) == [
        "/api/v1/enterprises/{id}/periods/{month}/close/",
        "/api/v1/enterprises/{id}/periods/{month}/restate/",
    ]
    # a resource's own parameter follows its collection segment: /sites/{id}/…, never /sites/{code}/…
    assert [p for p in paths if re.search(r"/(sites|enterprises|meters|production-units)/\{(?!id\})", p)] == []


def test_the_ui_chart_endpoints_are_left_out_of_the_published_schema():
    assert [p for p in openapi_schema()["paths"] if p.startswith("/api/v1/ui/")] == []
    assert {"/api/v1/exports/rollups/", "/api/v1/meters/{id}/kpis/"} <= set(openapi_schema()["paths"])


@pytest.fixture
def world(tenants):
    site = tenants["site_a"]
    unit = ProductionUnitFactory(site=site, code="U1")
    meter = MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=43200,
                         production_unit=unit)
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-03-01T00:00:00+08:00", 10_000)])
    rollup_sweep()
    return {**tenants, "unit": unit, "meter": meter}


@pytest.mark.django_db
def test_a_site_is_named_by_its_id_in_crud_and_in_every_sub_resource(world, api_client):
    api_client.force_authenticate(world["viewer_a"])
    pk = world["site_a"].pk
    assert api_client.get(f"/api/v1/sites/{pk}/").json()["code"] == "A1"
    kpis = api_client.get(f"/api/v1/sites/{pk}/kpis/?period=2025-03")
    assert kpis.status_code == 200, kpis.content
    # 10,000 kWh × 0.1229 kgce/kWh = 1.229 tce (GB/T 2589-2020, DOMAIN.md §1)
    assert kpis.json()["energy_tce"] == {"value": 1.229, "unit": "tce"}
    for sub in ("benchmark/?period=2025-03", "energy-flow/?period=2025-03", "forecast/?period=2025-03"):
        r = api_client.get(f"/api/v1/sites/{pk}/{sub}")
        assert r.status_code == 200, (sub, r.content)
    # the site code is no second name: it addresses nothing
    for sub in ("", "kpis/", "benchmark/", "energy-flow/", "forecast/"):
        assert api_client.get(f"/api/v1/sites/A1/{sub}?period=2025-03").status_code == 404, sub


@pytest.mark.django_db
def test_a_foreign_site_id_is_not_found_in_crud_and_sub_resources_alike(world, api_client):
    api_client.force_authenticate(world["admin_b"])
    pk = world["site_a"].pk
    for sub in ("", "kpis/", "benchmark/", "energy-flow/", "forecast/"):
        r = api_client.get(f"/api/v1/sites/{pk}/{sub}?period=2025-03")
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), sub


@pytest.mark.django_db
def test_enterprises_units_and_meters_are_named_by_their_ids_in_crud_and_kpis(world, api_client):
    api_client.force_authenticate(world["viewer_a"])
    enterprise, unit, meter = world["a"].pk, world["unit"].pk, world["meter"].pk
    assert api_client.get(f"/api/v1/enterprises/{enterprise}/").status_code == 200
    for sub in ("kpis/?period=2025-03", "forecast/?period=2025-03", "ledger/"):
        r = api_client.get(f"/api/v1/enterprises/{enterprise}/{sub}")
        assert r.status_code == 200, (sub, r.content)
    assert api_client.get(f"/api/v1/production-units/{unit}/").json()["code"] == "U1"
    assert api_client.get(f"/api/v1/production-units/{unit}/kpis/?period=2025-03").status_code == 200
    assert api_client.get(f"/api/v1/meters/{meter}/").json()["code"] == "E"
    r = api_client.get(f"/api/v1/meters/{meter}/kpis/?period=2025-03")
    assert r.status_code == 200, r.content
