"""Weather entry through the API and who may edit reference values in the admin."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.models import AuditEvent, Role
from insights.models import BenchmarkReference, MonthlyWeather
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


def test_weather_api_is_tenant_scoped_and_validated(api_client, tenants):
    body = {"site": tenants["site_a"].pk, "month": "2025-01-01", "hdd": "512.5", "cdd": "0", "source": "CMA station"}
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post("/api/v1/weather/", body, format="json").status_code == 403
    api_client.force_authenticate(tenants["manager_a"])
    assert api_client.post("/api/v1/weather/", body, format="json").status_code == 201
    dup = api_client.post("/api/v1/weather/", body, format="json")
    assert dup.status_code == 400 and dup.json()["code"] == "invalid"
    r = api_client.post("/api/v1/weather/", {**body, "month": "2025-02-15"}, format="json")
    assert r.status_code == 400 and "month" in r.json()["errors"]
    r = api_client.post("/api/v1/weather/", {**body, "month": "2025-03-01", "hdd": "-1"}, format="json")
    assert r.status_code == 400
    r = api_client.post("/api/v1/weather/", {**body, "site": tenants["site_b"].pk}, format="json")
    assert r.status_code == 400 and "site" in r.json()["errors"]  # another enterprise's site does not exist here
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get("/api/v1/weather/").json()["count"] == 0
    assert MonthlyWeather.objects.get().hdd == Decimal("512.50")


def test_enterprise_admins_edit_their_own_references_but_not_national_ones(client, tenants):
    admin = UserFactory(username="ent_admin", is_staff=True)
    member(admin, tenants["a"], Role.ENTERPRISE_ADMIN)
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="insights",
                                                         codename__endswith="benchmarkreference"))
    own = BenchmarkReference.objects.create(indicator="pue", site_kind="data_center", kind="advanced", value=1.2,
                                            unit="ratio", source="group standard", enterprise=tenants["a"])
    foreign = BenchmarkReference.objects.create(indicator="pue", kind="advanced", value=1.1, unit="ratio",
                                                source="other group", enterprise=tenants["b"])
    national = BenchmarkReference.objects.get(label="grade 1")
    client.force_login(admin)
    listing = client.get("/admin/insights/benchmarkreference/")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 7  # 6 national rows + its own, not B's
    assert client.get(f"/admin/insights/benchmarkreference/{foreign.pk}/change/").status_code == 302  # not found
    r = client.post(f"/admin/insights/benchmarkreference/{national.pk}/change/", {
        "indicator": "pue", "site_kind": "data_center", "kind": "grade", "label": "grade 1", "value": "1.0",
        "unit": "ratio", "source": "x"})
    assert r.status_code == 403
    national.refresh_from_db()
    assert national.value == Decimal("1.2000")
    r = client.post(f"/admin/insights/benchmarkreference/{own.pk}/change/", {
        "indicator": "pue", "site_kind": "data_center", "kind": "advanced", "label": "", "value": "1.15",
        "unit": "ratio", "source": "group standard 2026", "enterprise": tenants["a"].pk})
    assert r.status_code == 302
    own.refresh_from_db()
    assert (own.value, own.source) == (Decimal("1.1500"), "group standard 2026")
    event = AuditEvent.objects.get(action="benchmarkreference.update")
    assert event.actor == admin and event.enterprise == tenants["a"]
