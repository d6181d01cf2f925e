"""Every admin changelist of a tenant-owned model hides other enterprises' objects from enterprise staff."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts import tenancy
from meters.models import Carrier
from tests.factories import MeterFactory, ProductFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db

TENANT_MODELS = [m for m in admin.site._registry if hasattr(m, "TENANT_PATH")]


@pytest.fixture
def staff_a(tenants):
    user = tenants["manager_a"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    b_site = tenants["site_b"]
    MeterFactory(site=b_site, code="SECRETB-METER", carrier=Carrier.ELECTRICITY)
    ProductionUnitFactory(site=b_site, code="SECRETB-UNIT")
    ProductFactory(site=b_site, code="SECRETB-PROD")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_admin_changelist_hides_the_other_enterprise(staff_a, tenants, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = staff_a.get(url)
    assert response.status_code in (200, 403)
    page = response.content.decode()
    assert "SECRETB" not in page
    assert "B Cement" not in page
    for resp in (response, staff_a.get(url, {"q": "SECRETB"})):
        if resp.status_code == 200 and "cl" in resp.context:
            for obj in resp.context["cl"].result_list:
                enterprise = tenancy.enterprise_of(obj)
                assert enterprise is None or enterprise == tenants["a"]


def test_admin_detail_of_a_foreign_site_is_not_reachable(staff_a, tenants):
    url = reverse("admin:plants_site_change", args=[tenants["site_b"].pk])
    assert staff_a.get(url).status_code in (302, 404)
