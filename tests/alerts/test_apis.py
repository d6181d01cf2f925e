"""Forecast, alert-rule and alert endpoints: numbers, tenancy, roles, 4xx bodies; acknowledgement in the UI too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from alerts.models import Alert, AlertRule, EnergyQuota
from alerts.services import alert_rule_evaluate
from tests.factories import MeterFactory, SiteFactory

from . import series

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tenants):
    series.build(tenants["site_a"])
    return tenants


@pytest.fixture
def alert(tenants):
    meter = MeterFactory(site=tenants["site_a"], code="Q15", interval_minutes=15)
    rule = AlertRule.objects.create(enterprise=tenants["a"], meter=meter, name="silent", kind="silent_meter",
                                    intervals=4)
    alert_rule_evaluate(rule=rule)
    return Alert.objects.get(rule=rule)


def test_site_forecast_by_id(data, api_client):
    api_client.force_authenticate(data["viewer_a"])
    r = api_client.get(f"/api/v1/sites/{data['site_a'].pk}/forecast/?period=2026&as_of=2026-03-01")
    assert r.status_code == 200, r.content
    body = r.json()
    # 6,490 kWh × 67,800 / 6,600 = 66,670 kWh × 0.1229 / 1000 = 8.193743 tce (tests/alerts/test_forecast.py).
    assert body["quantities"]["energy_tce"]["projected"] == 8.1937
    assert body["quantities"]["energy_tce"]["method"] == "seasonal"
    assert (body["period"], body["as_of"]) == ("2026", "2026-03-01")
    month = api_client.get(f"/api/v1/sites/{data['site_a'].pk}/forecast/?period=2026-02&as_of=2026-02-15").json()
    assert month["quantities"]["energy_tce"]["projected"] == 0.4732  # 3,850 kWh × 0.1229 / 1000


def test_enterprise_forecast_with_quota(data, api_client):
    EnergyQuota.objects.create(enterprise=data["a"], year=2026, energy_tce=Decimal(8))
    api_client.force_authenticate(data["regulator_sh"])
    r = api_client.get(f"/api/v1/enterprises/{data['a'].pk}/forecast/?period=2026&as_of=2026-03-01")
    assert r.status_code == 200, r.content
    (quota,) = r.json()["comparisons"]
    # 8 − 8.1937 = −0.1937: projected breach.
    assert (quota["kind"], quota["breach"], quota["margin"]) == ("energy_quota", True, -0.1937)


@pytest.mark.parametrize(("query", "code"), [("period=2026-Q1&as_of=2026-02-01", "invalid_forecast_period"),
                                             ("period=26", "invalid_period"), ("", "invalid_period"),
                                             ("period=2026&as_of=yesterday", "invalid_as_of"),
                                             ("period=2027&as_of=2026-03-01", "period_not_started"),
                                             ("period=2026&method=x", "invalid_method"),
                                             ("period=0000", "invalid_period"), ("period=9999", "invalid_period"),
                                             ("period=2026&as_of=1900-01-01", "invalid_as_of")])
def test_forecast_bad_input_is_a_400_with_a_code(data, api_client, query, code):
    api_client.force_authenticate(data["viewer_a"])
    r = api_client.get(f"/api/v1/sites/{data['site_a'].pk}/forecast/?{query}")
    assert (r.status_code, r.json()["code"]) == (400, code)


def test_foreign_forecasts_are_not_found(data, api_client):
    api_client.force_authenticate(data["admin_b"])
    assert api_client.get(f"/api/v1/sites/{data['site_a'].pk}/forecast/?period=2026").status_code == 404
    assert api_client.get(f"/api/v1/enterprises/{data['a'].pk}/forecast/?period=2026").status_code == 404


def test_alert_rule_crud_by_role(tenants, api_client):
    payload = {"enterprise": tenants["a"].pk, "site": tenants["site_a"].pk, "name": "Month energy",
               "kind": "threshold", "metric": "energy_tce", "window": "month", "operator": "gt", "threshold": "50"}
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post("/api/v1/alert-rules/", payload, format="json").status_code == 403
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/alert-rules/", payload, format="json")
    assert r.status_code == 201, r.content
    rule = AlertRule.objects.get(pk=r.json()["id"])
    assert rule.created_by == tenants["manager_a"]
    r = api_client.patch(f"/api/v1/alert-rules/{rule.pk}/", {"threshold": "60"}, format="json")
    assert (r.status_code, r.json()["threshold"]) == (200, "60.0000")
    bad = api_client.post("/api/v1/alert-rules/", {**payload, "metric": ""}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()
    bad = api_client.post("/api/v1/alert-rules/", {**payload, "email_to": "not an address"}, format="json")
    assert bad.status_code == 400
    bad = api_client.post("/api/v1/alert-rules/", {**payload, "kind": "load_change", "baseline_days": 100_000},
                          format="json")
    assert bad.status_code == 400 and "baseline_days" in str(bad.json())
    foreign = api_client.post("/api/v1/alert-rules/", {**payload, "site": tenants["site_b"].pk}, format="json")
    assert foreign.status_code == 400
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get(f"/api/v1/alert-rules/{rule.pk}/").status_code == 404
    assert api_client.get("/api/v1/alert-rules/").json()["count"] == 0
    api_client.force_authenticate(tenants["admin_a"])
    assert api_client.delete(f"/api/v1/alert-rules/{rule.pk}/").status_code == 204


def test_alerts_list_is_tenant_scoped_and_filtered(alert, tenants, api_client):
    api_client.force_authenticate(tenants["viewer_a"])
    body = api_client.get("/api/v1/alerts/?status=active").json()
    assert [a["id"] for a in body["results"]] == [alert.pk]
    assert "Q15" in body["results"][0]["message"]
    assert api_client.get("/api/v1/alerts/?status=resolved").json()["count"] == 0
    assert api_client.get("/api/v1/alerts/?status=nope").json()["code"] == "invalid_status"
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get("/api/v1/alerts/").json()["count"] == 0
    assert api_client.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404


def test_acknowledge_permissions(alert, tenants, api_client):
    url = f"/api/v1/alerts/{alert.pk}/acknowledge/"
    api_client.force_authenticate(tenants["viewer_a"])
    r = api_client.post(url, {"note": "seen"}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
    api_client.force_authenticate(tenants["regulator_sh"])
    assert api_client.post(url, {}, format="json").status_code == 403
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.post(url, {}, format="json").status_code == 404
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post(url, {"note": "gateway restarted"}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["acknowledgement_note"]) == ("acknowledged", "gateway restarted")
    alert.refresh_from_db()
    assert alert.acknowledged_by == tenants["manager_a"]
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1
    again = api_client.post(url, {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "not_open")


def test_acknowledge_in_the_page_by_manager_not_viewer(alert, tenants, client):
    client.force_login(tenants["viewer_a"])
    page = client.get(f"/alerts/?enterprise={tenants['a'].pk}")
    assert page.status_code == 200 and b"Q15" in page.content
    assert b'name="alert"' not in page.content  # no acknowledge form for viewers
    assert client.post(f"/alerts/?enterprise={tenants['a'].pk}", {"alert": alert.pk}).status_code == 403
    client.force_login(tenants["manager_a"])
    r = client.post(f"/alerts/?enterprise={tenants['a'].pk}", {"alert": alert.pk, "note": "ok"})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert client.post(f"/alerts/?enterprise={tenants['a'].pk}", {"alert": "x"}).status_code == 404
    client.force_login(tenants["admin_b"])
    assert client.get(f"/alerts/?enterprise={tenants['a'].pk}").status_code == 404


def test_page_shows_projections_as_computed(data, client, monkeypatch):
    real = timezone.localdate
    # The clock is outside the system: the page projects as of 1 March 2026, the end of the constructed series.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: real(*a, **kw) if a or kw else dt.date(2026, 3, 1))
    other = SiteFactory(enterprise=data["a"], code="NEW")
    series.build(other, with_2025=False, code="E-NEW")
    client.force_login(data["manager_a"])
    page = client.get(f"/alerts/?enterprise={data['a'].pk}&status=all")
    assert page.status_code == 200
    assert page.context["forecasts"], "the year-end projection is shown"
    year = page.context["forecasts"][0]["forecast"]
    assert (year["period"], year["as_of"]) == ("2026", dt.date(2026, 3, 1))
    # A1 8.193743 + NEW 4.934435 = 13.128178 tce (tests/alerts/test_forecast.py), shown to 4 decimals.
    assert year["quantities"]["energy_tce"]["projected"] == Decimal("13.1282")
    # On the page tce is shown to 3 decimals (energy_platform.numbers.PLACES): 13.128178 → 13.128.
    assert b'<td class="n proj">13.128</td>' in page.content
    # One row per site, with its own method: A1 has last year, NEW has not.
    assert b'data-site="A1"' in page.content and b'data-site="NEW"' in page.content
    assert [(s["site"], s["energy_tce"]["method"]) for s in year["sites"]] == [("A1", "seasonal"), ("NEW", "run_rate")]
