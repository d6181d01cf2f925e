"""Gateway health on the gateways page / API, and the "gateway offline for N minutes" alert rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from alerts.messages import alert_text
from alerts.models import Alert, AlertRule
from alerts.services import alert_rule_evaluate
from meters.gateway_health import gateway_health, gateways_with_health
from meters.models import Gateway, IngestBatch
from meters.models_gateways import GatewayState
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def batch(gateway, *, minutes_ago: int, rows: int, rejected: int) -> None:
    b = IngestBatch.objects.create(site=gateway.site, gateway=gateway, rows=rows, rejected=rejected)
    IngestBatch.objects.filter(pk=b.pk).update(received_at=NOW - dt.timedelta(minutes=minutes_ago))


def test_health_counts_the_last_hour_of_batches_and_their_rejected_rows(plant):
    gw = plant["gateway"]
    batch(gw, minutes_ago=5, rows=100, rejected=3)
    batch(gw, minutes_ago=30, rows=100, rejected=1)
    batch(gw, minutes_ago=50, rows=200, rejected=0)
    batch(gw, minutes_ago=90, rows=1000, rejected=1000)  # outside the 60-minute window
    GatewayState.objects.filter(gateway=gw).update(session="offline", last_seen_at=NOW - dt.timedelta(minutes=2))
    health = gateway_health(gateways_with_health(Gateway.objects.filter(pk=gw.pk), now=NOW).get())
    # 3 batches in 60 min = 0.05 per minute; rejected (3 + 1 + 0) / rows (100 + 100 + 200) = 4 / 400 = 0.01.
    # Last seen: the MQTT message 2 minutes ago is later than the latest batch (5 minutes ago).
    assert health == {"last_seen": "2025-03-01T11:58:00+00:00", "messages_per_minute": 0.05, "rejected_share": 0.01,
                      "session": "offline", "window_minutes": 60}


def test_gateways_api_and_admin_page_show_health(plant):
    client = Client()
    client.force_login(plant["admin_a"])
    body = client.get("/api/v1/gateways/").json()
    row = body["results"][0] if "results" in body else body[0]
    assert row["code"] == f"gw{plant['gateway'].pk}"
    assert row["health"]["session"] == "unknown"
    staff = Client()
    staff.force_login(plant["staff"])
    page = staff.get("/admin/meters/gateway/")
    assert page.status_code == 200
    assert f"gw{plant['gateway'].pk}" in page.content.decode()


def test_gateway_offline_rule_fires_after_n_minutes_and_resolves_when_heard_again(plant):
    gw = plant["gateway"]
    batch(gw, minutes_ago=45, rows=10, rejected=0)
    rule = AlertRule.objects.create(enterprise=plant["a"], site=plant["site"], name="gw offline",
                                    kind=AlertRule.Kind.GATEWAY_OFFLINE, offline_minutes=30)
    alert_rule_evaluate(rule=rule, now=NOW)
    alert = Alert.objects.get(rule=rule)
    # Last batch 45 minutes before NOW: 45 >= 30, so offline.
    assert (alert.condition_key, alert.value, alert.limit, alert.unit) == (f"gateway:{gw.pk}", 45, 30, "min")
    with translation.override("en"):
        assert "has not been heard from for 45 min (limit 30 min)" in alert_text(alert)
    # In Chinese (the default) the session state reads by its label, not its code "unknown".
    assert "已 45 分钟未上报（限值 30 分钟）" in alert_text(alert) and "会话：未知" in alert_text(alert)
    GatewayState.objects.filter(gateway=gw).update(last_seen_at=NOW - dt.timedelta(minutes=1))
    alert_rule_evaluate(rule=rule, now=NOW)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED


def test_gateway_offline_rule_needs_minutes(plant):
    from django.core.exceptions import ValidationError

    rule = AlertRule(enterprise=plant["a"], name="x", kind=AlertRule.Kind.GATEWAY_OFFLINE)
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert "offline_minutes" in exc.value.message_dict


def test_gateway_admin_labels_site_in_chinese_and_filters_only_own_sites(plant):
    from django.contrib.auth.models import Permission

    plant["admin_a"].is_staff = True
    plant["admin_a"].save()
    plant["admin_a"].user_permissions.add(Permission.objects.get(codename="view_gateway"))
    second = SiteFactory(enterprise=plant["a"], code="A2")  # two own sites: the filter is shown
    client = Client()
    client.force_login(plant["admin_a"])
    html = client.get("/admin/meters/gateway/").content.decode()
    assert "以 厂区" in html and ">厂区</a>" in html and "未知" in html  # filter, column, session: translated
    assert str(second) in html
    assert str(plant["site_b"]) not in html  # the other enterprise's site is not offered as a filter
