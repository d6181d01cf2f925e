"""Shared fixtures: two tenants with users in every role, and API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role

from .factories import EnterpriseFactory, SiteFactory, UserFactory, member, regulator


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def tenants(db):
    """Enterprise A (Shanghai, 310115) and B (Hebei, 130100), each with a site, plus users in every role."""
    a = EnterpriseFactory(name="A Steel", region_code="310115")
    b = EnterpriseFactory(name="B Cement", region_code="130100")
    site_a = SiteFactory(enterprise=a, code="A1")
    site_b = SiteFactory(enterprise=b, code="B1")
    users = {
        "admin_a": UserFactory(username="admin_a"),
        "manager_a": UserFactory(username="manager_a"),
        "viewer_a": UserFactory(username="viewer_a"),
        "admin_b": UserFactory(username="admin_b"),
        "regulator_sh": UserFactory(username="regulator_sh"),
        "regulator_hb": UserFactory(username="regulator_hb"),
        "staff": UserFactory(username="staff", is_staff=True, is_superuser=True),
    }
    member(users["admin_a"], a, Role.ENTERPRISE_ADMIN)
    member(users["manager_a"], a, Role.ENERGY_MANAGER)
    member(users["viewer_a"], a, Role.VIEWER)
    member(users["admin_b"], b, Role.ENTERPRISE_ADMIN)
    regulator(users["regulator_sh"], "31")
    regulator(users["regulator_hb"], "13")
    return {"a": a, "b": b, "site_a": site_a, "site_b": site_b, **users}



#: Data migrations whose rows every test may rely on, with a model that tells whether they are present.
REFERENCE_DATA = [
    ("carbon.migrations.0002_reference_data", "carbon.EnergyCoefficient"),
    ("reports.migrations.0003_default_indicator_sets", "reports.IndicatorSet"),
    ("reports.migrations.0005_metering_requirements", "reports.MeteringRequirement"),
    # (module, model, rows whose absence means "not loaded") where the model already has rows of an earlier migration
    ("carbon.migrations.0006_coefficient_history_data", "carbon.EnergyCoefficient", {"edition": "GB/T 2589-2008"}),
    ("costs.migrations.0002_reference_tariffs", "costs.PowerFactorTable"),
    ("meters.migrations.0010_carrier_units", "meters.MeasurementUnit"),
    ("carbon.migrations.0010_process_factors_data", "carbon.ProcessFactor"),
]


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests end with a flush of every table, which also removes the coefficients, emission factors
    and other rows that data migrations load. Reload them before any database test that finds them missing."""
    names = set(request.fixturenames)
    if request.node.get_closest_marker("django_db") is None:
        if not names & {"db", "transactional_db"}:
            return
        # Database access comes from a fixture the test requests: set it up before looking.
        request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    import importlib

    from django.apps import apps
    from django.db import connection

    for module_name, label, *lookup in REFERENCE_DATA:
        if not apps.get_model(label).objects.filter(**(lookup[0] if lookup else {})).exists():
            with connection.schema_editor() as editor:
                importlib.import_module(module_name).load(apps, editor)
            if label == "meters.MeasurementUnit":
                from meters.units import units_cache_clear

                units_cache_clear()  # the process may have read the flushed (empty) tables
