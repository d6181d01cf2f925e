"""The audit-log page: enterprise admins read their enterprise's events; other roles and enterprises do not."""

from __future__ import annotations

import pytest

from accounts.audit import audit_record

pytestmark = pytest.mark.django_db


def test_enterprise_admin_sees_own_events_and_the_nav_link(tenants, client):
    audit_record(actor=tenants["manager_a"], action="target.create", obj=tenants["site_a"],
                 detail={"via": "api"})
    audit_record(actor=tenants["admin_b"], action="target.create", obj=tenants["site_b"],
                 detail={"via": "api", "secret": "B-only"})
    client.force_login(tenants["admin_a"])
    r = client.get(f"/audit/?enterprise={tenants['a'].pk}")
    assert r.status_code == 200
    html = r.content.decode()
    assert "manager_a" in html and "target.create" in html
    assert "B-only" not in html and "admin_b" not in html
    assert 'href="/audit/' in html
    assert client.get(f"/audit/?enterprise={tenants['b'].pk}").status_code == 404


@pytest.mark.parametrize("who", ["manager_a", "viewer_a"])
def test_other_roles_are_refused_and_see_no_link(tenants, client, who):
    client.force_login(tenants[who])
    assert client.get(f"/audit/?enterprise={tenants['a'].pk}").status_code == 403
    assert 'href="/audit/' not in client.get("/targets/").content.decode()


def test_regulator_cannot_read_the_audit_log(tenants, client):
    client.force_login(tenants["regulator_sh"])
    assert client.get(f"/audit/?enterprise={tenants['a'].pk}").status_code == 403
