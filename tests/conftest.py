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


def pytest_collection_modifyitems(items):
    """Transactional tests flush every table when they end, including the coefficients and emission factors that data
    migrations load. Give each of them `serialized_rollback=True` so that the reference data is restored when it
    starts (pytest-django already runs them after the ordinary tests)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None:
            continue
        kwargs = dict(marker.kwargs)
        if (kwargs.get("transaction") or "transactional_db" in getattr(item, "fixturenames", ())) and \
                not kwargs.get("serialized_rollback"):
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs))
