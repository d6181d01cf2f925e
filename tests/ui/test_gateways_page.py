"""The gateways page: managers create gateways, choose meters, issue (once) and revoke tokens, audited; viewers read;
regulators have no access; health over the last 24 hours."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from meters.models import Gateway, GatewayToken, IngestBatch
from meters.services.gateways import gateway_authenticate, gateway_provision
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'id="token-value">(ntg_[^<]+)<')


def _page(client, tenants, data=None):
    url = f"/gateways/?enterprise={tenants['a'].pk}"
    return client.post(url, data) if data is not None else client.get(url)


def test_manager_creates_a_gateway_with_meters_and_sees_its_token_once_with_a_curl_line(tenants, client):
    m1 = MeterFactory(site=tenants["site_a"], code="A-E-1")
    MeterFactory(site=tenants["site_a"], code="A-E-2")
    client.force_login(tenants["manager_a"])

    r = _page(client, tenants, {"action": "create", "site": tenants["site_a"].pk, "name": "gw-boiler",
                                "meters": [m1.pk]})

    assert r.status_code == 200
    html = unescape(r.content.decode())
    token = TOKEN_RE.search(html).group(1)
    gateway = Gateway.objects.get(name="gw-boiler")
    assert gateway_authenticate(token=token) == gateway
    assert list(gateway.allowed_meters.values_list("code", flat=True)) == ["A-E-1"]
    assert f"Authorization: Bearer {token}" in html
    assert "http://testserver/api/v1/readings/" in html  # this server's URL
    assert '"meter": "A-E-1"' in html
    assert GatewayToken.objects.get(gateway=gateway).key_hash != token  # only the hash is stored
    # Shown once: the next visit lists the gateway and its token prefix, never the token.
    again = _page(client, tenants).content.decode()
    assert "gw-boiler" in again and token not in again and token[:12] in again
    actions = sorted(AuditEvent.objects.filter(enterprise=tenants["a"]).values_list("action", flat=True))
    assert actions == ["gateway.create", "gateway.token_issue"]
    assert AuditEvent.objects.get(action="gateway.create").actor == tenants["manager_a"]


def test_manager_issues_and_revokes_tokens_and_changes_meters_each_audited(tenants, client):
    gateway, first = gateway_provision(site=tenants["site_a"], name="gw-1")
    m2 = MeterFactory(site=tenants["site_a"], code="A-E-2")
    client.force_login(tenants["manager_a"])

    issued = _page(client, tenants, {"action": "issue", "gateway": gateway.pk})
    second = TOKEN_RE.search(issued.content.decode()).group(1)
    assert gateway_authenticate(token=second) == gateway
    assert _page(client, tenants, {"action": "meters", "gateway": gateway.pk, "meters": [m2.pk]}).status_code == 302
    assert list(gateway.allowed_meters.values_list("code", flat=True)) == ["A-E-2"]
    assert _page(client, tenants, {"action": "revoke", "gateway": gateway.pk}).status_code == 302

    assert gateway_authenticate(token=first) is None and gateway_authenticate(token=second) is None
    assert list(AuditEvent.objects.filter(enterprise=tenants["a"]).order_by("pk").values_list("action", flat=True)) \
        == ["gateway.token_issue", "gateway.meters_set", "gateway.tokens_revoke"]
    assert AuditEvent.objects.get(action="gateway.tokens_revoke").detail == {"via": "ui", "revoked": 2}


def test_a_meter_of_another_site_or_enterprise_is_refused_and_nothing_is_saved(tenants, client):
    foreign = MeterFactory(site=tenants["site_b"], code="B-E-1")
    client.force_login(tenants["manager_a"])

    r = _page(client, tenants, {"action": "create", "site": tenants["site_a"].pk, "name": "gw-x",
                                "meters": [foreign.pk]})

    assert r.status_code == 400
    assert not Gateway.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_duplicate_or_invalid_name_is_a_form_error(tenants, client):
    gateway_provision(site=tenants["site_a"], name="gw-1")
    client.force_login(tenants["admin_a"])

    duplicate = _page(client, tenants, {"action": "create", "site": tenants["site_a"].pk, "name": "gw-1"})
    invalid = _page(client, tenants, {"action": "create", "site": tenants["site_a"].pk, "name": "gw 1"})

    assert duplicate.status_code == 400 and invalid.status_code == 400
    assert Gateway.objects.count() == 1


def test_viewer_reads_without_write_controls_and_cannot_post(tenants, client):
    gateway_provision(site=tenants["site_a"], name="gw-1")
    client.force_login(tenants["viewer_a"])

    page = _page(client, tenants)
    refused = _page(client, tenants, {"action": "issue", "gateway": Gateway.objects.get().pk})

    assert page.status_code == 200
    assert "gw-1" in page.content.decode() and 'name="action"' not in page.content.decode()
    assert refused.status_code == 403
    assert GatewayToken.objects.count() == 1


def test_regulators_have_no_access_and_other_enterprises_do_not_find_it(tenants, client):
    client.force_login(tenants["regulator_sh"])
    assert _page(client, tenants).status_code == 403
    client.force_login(tenants["admin_b"])
    assert _page(client, tenants).status_code == 404
    gateway, _ = gateway_provision(site=tenants["site_a"], name="gw-1")
    r = client.post(f"/gateways/?enterprise={tenants['b'].pk}", {"action": "revoke", "gateway": gateway.pk})
    assert r.status_code == 404  # B's admin cannot address A's gateway through B's page
    assert gateway_authenticate(token=_) == gateway


def test_health_shows_last_seen_batches_readings_rejected_rate_and_last_errors(tenants, client):
    MeterFactory(site=tenants["site_a"], code="A-E-1")
    gateway, _ = gateway_provision(site=tenants["site_a"], name="gw-1")
    ts = "2025-03-01T08:00:00+08:00"
    readings_ingest(site=tenants["site_a"], gateway=gateway, batch_key="b1", rows=[
        RawRow(0, "A-E-1", ts, 1.0), RawRow(1, "A-E-1", "2025-03-01T08:15:00+08:00", 2.0),
        RawRow(2, "A-E-1", "2025-03-01T08:30:00+08:00", 3.0), RawRow(3, "GHOST", ts, 1.0)])
    old = readings_ingest(site=tenants["site_a"], gateway=gateway, batch_key="b0", rows=[
        RawRow(0, "A-E-1", "2025-03-01T07:45:00+08:00", 1.0)])
    IngestBatch.objects.filter(pk=old.batch_id).update(received_at=timezone.now() - dt.timedelta(hours=25))
    client.force_login(tenants["viewer_a"])

    html = _page(client, tenants).content.decode()

    # Last 24 h: one batch (b0 is 25 h old) of 4 rows, 3 stored, 1 rejected: 1 / 4 = 25.00 %.
    assert re.search(r'data-field="batches">1<', html)
    assert re.search(r'data-field="readings">3<', html)
    assert "25.00 % (1 / 4)" in html
    assert "GHOST" in html and "unknown_meter" in html
    assert 'data-field="last-seen">never<' not in html
