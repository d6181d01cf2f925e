"""Audit log: API, admin and ledger writes are recorded, and only enterprise admins read them."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from carbon.models import Target

pytestmark = pytest.mark.django_db


def _target_payload(tenants, pct="13.5"):
    return {"enterprise": tenants["a"].pk, "indicator": Target.Indicator.choices[0][0], "baseline_year": 2020,
            "target_year": 2025, "reduction_pct": pct}


def test_api_create_and_update_of_a_target_are_recorded_with_the_changed_fields(tenants, api_client):
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/targets/", _target_payload(tenants), format="json")
    assert r.status_code == 201, r.content
    target_id = r.json()["id"]
    r = api_client.patch(f"/api/v1/targets/{target_id}/", {"reduction_pct": "15.00"}, format="json")
    assert r.status_code == 200, r.content

    events = list(AuditEvent.objects.filter(object_type="carbon.Target").order_by("pk"))
    assert [e.action for e in events] == ["target.create", "target.update"]
    assert all(e.actor_name == "manager_a" and e.enterprise_id == tenants["a"].pk for e in events)
    assert events[1].detail["changes"] == {"reduction_pct": ["13.50", "15.00"]}
    assert events[1].ip == "127.0.0.1"


def test_a_refused_write_leaves_no_audit_event(tenants, api_client):
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post("/api/v1/targets/", _target_payload(tenants), format="json").status_code == 403
    assert not AuditEvent.objects.exists()


def test_only_enterprise_admins_read_their_own_enterprises_audit_log(tenants, api_client):
    api_client.force_authenticate(tenants["manager_a"])
    api_client.post("/api/v1/targets/", _target_payload(tenants), format="json")
    api_client.force_authenticate(tenants["admin_b"])
    api_client.post("/api/v1/targets/", {**_target_payload(tenants), "enterprise": tenants["b"].pk}, format="json")
    assert AuditEvent.objects.count() == 2

    api_client.force_authenticate(tenants["admin_a"])
    rows = api_client.get("/api/v1/audit-events/").json()["results"]
    assert [(r["actor_name"], r["enterprise"]) for r in rows] == [("manager_a", tenants["a"].pk)]
    for who in ("manager_a", "viewer_a", "regulator_sh"):
        api_client.force_authenticate(tenants[who])
        assert api_client.get("/api/v1/audit-events/").json()["results"] == [], who
    api_client.force_authenticate(tenants["staff"])
    assert api_client.get("/api/v1/audit-events/").json()["count"] == 2


def test_admin_changes_and_ledger_corrections_are_recorded(tenants, client):
    import datetime as dt

    from carbon.ledger import ledger_reverse, period_close
    from meters.models import Carrier
    from meters.rollup import rollup_sweep
    from meters.services.ingest import RawRow, readings_ingest
    from tests.factories import MeterFactory

    site = tenants["site_a"]
    MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=43200)
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-03-01T00:00:00+08:00", 10_000)])
    rollup_sweep()
    entries = period_close(enterprise=tenants["a"], month=dt.date(2025, 3, 1), actor=tenants["admin_a"])
    ledger_reverse(entry=entries[0], reason="meter E double counted", actor=tenants["admin_a"])
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "detail__reason"))
    assert actions == [("period.close", None), ("ledger.reverse", "meter E double counted")]

    client.force_login(tenants["staff"])
    from django.forms.models import model_to_dict

    form = {k: ("" if v is None else v) for k, v in model_to_dict(site).items()}
    r = client.post(f"/admin/plants/site/{site.pk}/change/", {**form, "name": "Renamed site"})
    assert r.status_code == 302, r.content.decode()[:3000]
    event = AuditEvent.objects.get(action="site.update")
    assert event.actor_name == "staff"
    assert event.detail["changes"]["name"][1] == "Renamed site"
