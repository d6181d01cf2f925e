"""Tenancy: a user of one enterprise never sees another's data, through the API or the admin."""

import re

import pytest
from django.test import Client

from accounts import tenancy
from meters.models import Meter
from plants.models import Enterprise, Site
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db


def test_scope_filters_every_tenant_model(tenants):
    MeterFactory(site=tenants["site_a"], code="MA")
    MeterFactory(site=tenants["site_b"], code="MB")
    assert list(tenancy.scope(Meter.objects.all(), tenants["viewer_a"]).values_list("code", flat=True)) == ["MA"]
    assert list(tenancy.scope(Site.objects.all(), tenants["admin_b"]).values_list("code", flat=True)) == ["B1"]
    assert set(tenancy.scope(Enterprise.objects.all(), tenants["staff"])) == {tenants["a"], tenants["b"]}


def test_regulator_sees_only_enterprises_in_the_region_prefix(tenants):
    assert list(tenancy.visible_enterprises(tenants["regulator_sh"])) == [tenants["a"]]
    assert list(tenancy.visible_enterprises(tenants["regulator_hb"])) == [tenants["b"]]


@pytest.mark.parametrize("url", ["/api/v1/enterprises/", "/api/v1/sites/", "/api/v1/meters/"])
def test_api_lists_show_only_the_own_enterprise(tenants, api_client, url):
    MeterFactory(site=tenants["site_a"], code="MA")
    MeterFactory(site=tenants["site_b"], code="MB")
    api_client.force_authenticate(tenants["manager_a"])
    body = api_client.get(url).json()
    text = str(body)
    assert body["count"] >= 1
    assert "B Cement" not in text and "B1" not in text and "MB" not in text


def test_api_detail_of_a_foreign_object_is_404(tenants, api_client):
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.get(f"/api/v1/sites/{tenants['site_b'].pk}/")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_api_cannot_create_a_meter_on_a_foreign_site(tenants, api_client):
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/meters/", {
        "site": tenants["site_b"].pk, "code": "X", "carrier": "electricity", "unit": "kWh",
        "reading_kind": "interval", "level": "enterprise", "active_from": "2025-01-01T00:00:00+08:00",
    }, format="json")
    assert r.status_code == 400
    assert "site" in r.json()["errors"]
    assert not Meter.objects.filter(code="X").exists()


def test_manager_creates_meter_viewer_and_regulator_cannot(tenants, api_client):
    payload = {"site": tenants["site_a"].pk, "code": "NEW", "carrier": "electricity", "unit": "kWh",
               "reading_kind": "cumulative", "level": "sub_unit", "active_from": "2025-01-01T00:00:00+08:00"}
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post("/api/v1/meters/", payload, format="json").status_code == 403
    api_client.force_authenticate(tenants["regulator_sh"])
    assert api_client.post("/api/v1/meters/", payload, format="json").status_code == 403
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/meters/", payload, format="json")
    assert r.status_code == 201, r.content
    assert Meter.objects.get(code="NEW").site == tenants["site_a"]


def test_regulator_reads_but_cannot_change(tenants, api_client):
    api_client.force_authenticate(tenants["regulator_sh"])
    assert api_client.get(f"/api/v1/sites/{tenants['site_a'].pk}/").status_code == 200
    assert api_client.get(f"/api/v1/sites/{tenants['site_b'].pk}/").status_code == 404
    r = api_client.patch(f"/api/v1/sites/{tenants['site_a'].pk}/", {"name": "hacked"}, format="json")
    assert r.status_code == 403
    assert Site.objects.get(pk=tenants["site_a"].pk).name != "hacked"


def test_delete_of_a_site_with_meters_is_refused_with_409(tenants, api_client):
    MeterFactory(site=tenants["site_a"])
    api_client.force_authenticate(tenants["admin_a"])
    r = api_client.delete(f"/api/v1/sites/{tenants['site_a'].pk}/")
    assert r.status_code == 409
    assert r.json()["code"] == "in_use"


def test_personal_api_token_authenticates(tenants, api_client):
    from accounts.services import api_token_create

    _, token = api_token_create(user=tenants["viewer_a"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/sites/").json()["count"] == 1
    api_client.credentials(HTTP_AUTHORIZATION="Token wrong")
    r = api_client.get("/api/v1/sites/")
    assert r.status_code == 401
    assert r.json()["code"] == "authentication_failed"


def test_admin_changelists_are_scoped(tenants):
    tenants["manager_a"].is_staff = True
    tenants["manager_a"].save()
    from django.contrib.auth.models import Permission

    tenants["manager_a"].user_permissions.set(Permission.objects.filter(codename__in=["view_site", "view_meter"]))
    MeterFactory(site=tenants["site_b"], code="FOREIGN-METER")
    client = Client()
    client.force_login(tenants["manager_a"])
    page = client.get("/admin/plants/site/").content.decode()
    # The page's CSRF tokens are random text that may hold "B1" by chance: left out of the check.
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    assert "A1" in page and "B1" not in page
    assert "FOREIGN-METER" not in client.get("/admin/meters/meter/").content.decode()
    assert client.get(f"/admin/plants/site/{tenants['site_b'].pk}/change/").status_code in (302, 404)


def test_schema_and_api_browser_are_served_locally(tenants):
    client = Client()
    client.force_login(tenants["staff"])
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower()
