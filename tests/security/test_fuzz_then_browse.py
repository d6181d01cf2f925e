"""Fuzz, then browse: schemathesis writes whatever the API accepts into enterprise A, as its energy manager (every
POST/PUT/PATCH operation of the schema) and as its gateway (readings); then every UI page, every chart and read
endpoint of the API, every report kind in every format and every export of A must still answer 200. Stored values
that a write accepted must never break a read.

Bounded for two cores: a few generated cases per write operation, in one transaction (the writes accumulate)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from meters.models import Meter
from meters.rollup import rollup_sweep
from plants.models import ProductionUnit, Site
from reports.builders import builders
from reports.models import CbamInstallation
from reports.renderers import RENDERERS
from reports.services import report_generate

from .endpoints import api_operations, openapi_schema
from .test_api_fuzzing import _keep_connection, _with_real_ids, fuzz_world, schema  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

#: Generated cases per write operation (the examples of the schema come first).
EXAMPLES = 6
#: Writes that would take the world away from the browse that follows, rather than put data into it.
SKIPPED_WRITES = {"v1_gateways_revoke_tokens_create"}


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _printable(value):
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def _fuzz(operation, headers: dict, world: dict, statuses: list[tuple[str, int]]) -> None:
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy())
    def write(case):
        # Control characters are refused as a whole (tests/security/test_hostile_input.py): without them, more
        # of the generated writes reach validation and the database.
        case.body = _printable(case.body)
        for params in (case.path_parameters, case.query):
            if params:
                params.update(_printable(params))
        _with_real_ids(case, world, every=True)
        if isinstance(case.body, dict) and isinstance(case.body.get("readings"), list):
            for row in case.body["readings"]:  # half of the gateway's rows name its real meter
                if isinstance(row, dict) and isinstance(row.get("meter"), str) and len(row["meter"]) % 2 == 0:
                    row["meter"] = "E1"
        response = case.call(headers=headers)
        statuses.append((operation.label, response.status_code))
        assert response.status_code < 500, (operation.label, response.status_code, response.text[:300])

    write()


def _writes(world: dict) -> list[tuple[str, int]]:
    statuses: list[tuple[str, int]] = []
    readings = schema.include(operation_id="readings_ingest")
    for result in readings.get_all_operations():
        _fuzz(result.ok(), world["gateway"], world, statuses)
    for result in schema.include(method=["POST", "PUT", "PATCH"]).get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") in SKIPPED_WRITES | {"readings_ingest"}:
            continue
        _fuzz(operation, world["manager"], world, statuses)
    return statuses


def _get(client, url: str, expected=(200,)):
    response = client.get(url)
    assert response.status_code in expected, (url, response.status_code, getattr(response, "content", b"")[:300])
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response


def _api_reads(api: APIClient, world: dict, enterprise) -> int:
    """Every GET operation of the schema on every object of A it addresses (lists first, then each listed id)."""
    sites = list(Site.objects.filter(enterprise=enterprise))
    done = 0
    listed: dict[str, list[int]] = {}
    operations = [op for op in api_operations() if op.method == "GET"]
    for op in operations:
        if "{" in op.path or op.operation_id in ("rollups_export", "regulator_export"):
            continue
        body = _get(api, op.path).json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        listed[op.path] = [r["id"] for r in rows if isinstance(r, dict) and "id" in r]
        done += 1
    for op in operations:
        params = re.findall(r"\{(\w+)\}", op.path)
        if not params or "entry_id" in params:
            continue
        base = re.sub(r"\{\w+\}.*$", "", op.path)
        if params == ["code"]:
            urls = [op.path.replace("{code}", s.code) for s in sites]
        elif base == "/api/v1/ui/sites/":
            urls = [op.path.replace("{id}", str(s.pk)) for s in sites]
        elif base == "/api/v1/ui/meters/":
            urls = [op.path.replace("{id}", str(m.pk)) for m in Meter.objects.filter(site__enterprise=enterprise)]
        else:
            urls = [op.path.replace("{id}", str(pk)) for pk in listed.get(base, [])]
        # A report's file exists only once a worker has run it (none runs here).
        expected = (200, 404) if op.operation_id == "reports_download" else (200,)
        required = {p["name"] for p in openapi_schema()["paths"][op.path]["get"].get("parameters", [])
                    if p.get("in") == "query" and p.get("required")}
        assert required <= {"period"}, (op.path, required)
        queries = ["?period=2025", "?period=2025-03"] if required else [""]
        for url in urls:
            for query in queries:
                _get(api, url + query, expected)
                done += 1
    return done


def test_fuzzed_writes_leave_every_page_report_and_export_working(fuzz_world, tenants, settings):  # noqa: F811
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queued work (reports, rollups) is not run inside the requests
    enterprise = tenants["a"]
    statuses = _writes(fuzz_world)
    written = sum(1 for _, status in statuses if status in (200, 201))
    assert written >= 20, statuses  # the fuzzer did store data, not only meet 4xx
    while rollup_sweep():
        pass

    # The pages of the energy manager, for every site, target and baseline the writes left.
    ui = Client()
    ui.force_login(tenants["manager_a"])
    sites = list(Site.objects.filter(enterprise=enterprise))
    pages = ["/", "/quality/", "/entry/", "/targets/", "/reports/", "/alerts/", "/insights/", "/mrv/?year=2025"]
    pages.append("/gateways/")  # the fuzzed gateways, their batches and rejected rows
    for site in sites:
        pages += [f"/sites/{site.pk}/", f"/sites/{site.pk}/meters/", f"/insights/benchmark/?site={site.pk}",
                  f"/insights/energy-flow/?site={site.pk}", f"/insights/baselines/?site={site.pk}",
                  f"/compare/?subject=site:{site.pk}&period=2025-03&against=previous",
                  f"/compare/?subject=site:{site.pk}&period=2025&against=yoy&export=xlsx",
                  f"/sites/{site.pk}/?export=csv"]
    pages += [f"/targets/{pk}/" for pk in enterprise.targets.values_list("pk", flat=True)]
    for page in pages:
        _get(ui, page)
    admin = Client()
    admin.force_login(tenants["admin_a"])
    _get(admin, "/audit/")

    # Every read of the API, as the energy manager.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=fuzz_world["manager"]["Authorization"])
    assert _api_reads(api, fuzz_world, enterprise) >= 60

    # Every report kind in every format, for the year of the world's data (the CBAM export needs its installation's
    # data, entered for the first site).
    CbamInstallation.objects.get_or_create(site=sites[0], defaults={
        "name": "fuzz works", "operator_name": "fuzz operator", "city": "Shanghai", "unlocode": "CNSHA",
        "latitude": 31, "longitude": 121})
    for kind in builders():
        for fmt in RENDERERS:
            report_generate(kind=kind, enterprise=enterprise, year=2025, fmt=fmt, lang="zh-hans")

    # Every export: rolled-up data of every meter, site and unit, as CSV and XLSX.
    subjects = [("site", s.pk) for s in sites]
    subjects += [("meter", pk) for pk in Meter.objects.filter(site__enterprise=enterprise).values_list("pk", flat=True)]
    subjects += [("unit", pk) for pk in
                 ProductionUnit.objects.filter(site__enterprise=enterprise).values_list("pk", flat=True)]
    for subject, pk in subjects:
        for fmt in ("csv", "xlsx"):
            _get(api, f"/api/v1/exports/rollups/?{subject}={pk}&granularity=day&start=2025-01-01&end=2026-01-01"
                      f"&format={fmt}&rows=meters")

    # The regulator of A's region: portal pages, the KPI export and the API's exports.
    regulator = Client()
    regulator.force_login(tenants["regulator_sh"])
    for page in ("/regulator/", f"/regulator/enterprises/{enterprise.pk}/", "/regulator/?period=2025",
                 "/regulator/export/?period=2025&format=csv", "/regulator/export/?period=2025&format=xlsx"):
        _get(regulator, page)
    reg_api = APIClient()
    reg_api.force_authenticate(tenants["regulator_sh"])
    for kind in ("energy", "ghg"):
        for fmt in ("csv", "json", "xlsx"):
            _get(reg_api, f"/api/v1/regulator/exports/?year=2025&kind={kind}&format={fmt}")
