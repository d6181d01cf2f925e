"""Fixtures for ingestion tests: a site with meters, a provisioned gateway and a client posting with its token."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from meters.models import Meter
from meters.services.gateways import gateway_provision
from tests.factories import MeterFactory

T0 = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def plant(tenants):
    site = tenants["site_a"]
    meters = {
        "E1": MeterFactory(site=site, code="E1"),  # interval kWh
        "C1": MeterFactory(site=site, code="C1", reading_kind=Meter.ReadingKind.CUMULATIVE, rollover_value=100000),
        "C2": MeterFactory(site=site, code="C2", reading_kind=Meter.ReadingKind.CUMULATIVE),
        "OLD": MeterFactory(site=site, code="OLD", active_to=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)),
    }
    gateway, token = gateway_provision(site=site, name="gw-main")
    return {"site": site, "meters": meters, "gateway": gateway, "token": token, **tenants}


@pytest.fixture
def gw_client(plant) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plant['token']}")
    return client


def post_json(client, payload, **extra):
    import orjson

    return client.generic("POST", "/api/v1/readings/", orjson.dumps(payload), content_type="application/json", **extra)


def ts(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()
