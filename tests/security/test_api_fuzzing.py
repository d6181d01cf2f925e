"""API fuzzing: schemathesis generates requests for every operation of the project's own OpenAPI schema (served at
/api/schema/) and sends them to the WSGI application in-process, authenticated as an energy manager (personal API
token) and as a meter gateway (gateway token). No request may end in a 5xx, and every documented response must
conform to its schema. Bounded: a few examples per operation, so the run stays short on two cores."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from accounts.services import api_token_create
from carbon.models import AccountingPeriod, Target
from meters.services.gateways import gateway_provision
from meters.services.imports import import_job_create
from meters.tasks import import_job_validate_task
from tests.factories import (
    EconomicDataFactory,
    MeterFactory,
    ProductFactory,
    ProductionDataFactory,
    ProductionUnitFactory,
)

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FUZZ = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _load_schema():
    """The schema exactly as the application serves it at /api/schema/, bound to the in-process WSGI application.
    Loaded at collection (serving the schema touches no database), so each operation is a test of its own."""
    from energy_platform.wsgi import application

    # Examples from the schema plus random generation (positive and negative); the exhaustive "coverage" phase
    # (every boundary of every parameter) would take minutes per operation here.
    config = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}})
    return schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)


schema = _load_schema()


@pytest.fixture
def _keep_connection():
    """The raw WSGI handler closes the database connection when a request finishes, which would end the test's
    transaction; Django's test client disconnects that handler for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(tenants, _keep_connection, settings, tmp_path):
    """Enterprise A with one object of each kind the API addresses by id, a personal API token of its energy manager
    and a gateway token."""
    settings.MEDIA_ROOT = tmp_path
    site = tenants["site_a"]
    unit = ProductionUnitFactory(site=site)
    product = ProductFactory(site=site, unit_of_production=unit)
    meter = MeterFactory(site=site, code="E1", production_unit=unit)
    gateway, gateway_token = gateway_provision(site=site, name="gw-fuzz", meter_codes=[meter.code])
    job = import_job_create(site=site, kind="readings", user=tenants["manager_a"], uploaded_file=SimpleUploadedFile(
        "r.csv", b"meter,ts,value\nE1,2025-04-01T00:00:00+08:00,5\n"), enqueue=import_job_validate_task.delay)
    target = Target.objects.create(enterprise=tenants["a"], indicator=Target.Indicator.ENERGY_TCE, baseline_year=2024,
                                   baseline_value=100, target_year=2026, reduction_pct=5)
    period = AccountingPeriod.objects.create(enterprise=tenants["a"], month=dt.date(2025, 3, 1))
    _, manager_token = api_token_create(user=tenants["manager_a"], name="fuzz")
    ids = {"enterprises": tenants["a"].pk, "sites": site.pk, "production-units": unit.pk, "products": product.pk,
           "meters": meter.pk, "gateways": gateway.pk, "imports": job.pk, "targets": target.pk, "periods": period.pk,
           "economic-data": EconomicDataFactory(site=site).pk,
           "production-data": ProductionDataFactory(product=product).pk}
    return {"manager": {"Authorization": f"Token {manager_token}"},
            "gateway": {"Authorization": f"Bearer {gateway_token}"}, "ids": ids, "site_code": site.code}


#: Body fields that name an object, and the kind of object they name.
_BODY_REFS = {"site": "sites", "enterprise": "enterprises", "product": "products",
              "production_unit": "production-units", "unit_of_production": "production-units", "parent": None,
              "meter": "meters"}


def _with_real_ids(case, world, *, every: bool = False) -> None:
    """Half of the generated ids (the even ones; all with `every`) in the path and in related fields of the body are
    replaced by the id of a real object of enterprise A, so writes and actions reach validation and the database
    instead of 404/400."""
    parts = [p for p in case.path.split("/") if p and p not in ("api", "v1", "ui")]
    if isinstance(case.body, dict):
        for key, kind in _BODY_REFS.items():
            value = case.body.get(key)
            kind = kind or parts[0]
            if isinstance(value, int) and not isinstance(value, bool) and (every or value % 2 == 0) \
                    and kind in world["ids"]:
                case.body[key] = world["ids"][kind]
    params = case.path_parameters or {}
    for name, value in params.items():
        if name in ("id", "pk") and isinstance(value, int) and (every or value % 2 == 0) and parts[0] in world["ids"]:
            params[name] = world["ids"][parts[0]]
        elif name == "code" and isinstance(value, str) and (every or len(value) % 2 == 0):
            params[name] = world["site_code"]


@schema.parametrize()
@FUZZ
def test_api_fuzz_as_energy_manager(case, fuzz_world):
    _with_real_ids(case, fuzz_world)
    case.call_and_validate(headers=fuzz_world["manager"], checks=CHECKS)


@schema.include(operation_id="readings_ingest").parametrize()
@FUZZ
def test_api_fuzz_readings_as_gateway(case, fuzz_world):
    # Half of the meter codes (even length) name the gateway's real meter, so rows reach the store, not only
    # the unknown_meter rejection.
    if isinstance(case.body, dict) and isinstance(case.body.get("readings"), list):
        for row in case.body["readings"]:
            if isinstance(row, dict) and isinstance(row.get("meter"), str) and len(row["meter"]) % 2 == 0:
                row["meter"] = "E1"
    case.call_and_validate(headers=fuzz_world["gateway"], checks=CHECKS)
