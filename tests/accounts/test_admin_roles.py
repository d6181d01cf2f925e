"""The admin's add, change and delete views apply the API's role rules (`tenancy.may_create`, `tenancy.may_write`):
global reference rows are written by platform staff only, and an enterprise's rows by its members with the role."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.admin_base import ReferenceDataAdmin, RoleRulesAdminMixin
from accounts.audit import GLOBAL_REFERENCE_TYPES, audit_events_for
from accounts.models import AuditEvent, RegulatorJurisdiction, Role
from carbon.models import EmissionFactor, FactorSet
from plants.models import Enterprise, Product, Site
from tests.factories import ProductFactory, member

pytestmark = pytest.mark.django_db

ALL_PERMS = r"^(view|add|change|delete)_"


def _staff_client(user, apps=("plants", "meters", "carbon", "reports", "insights", "alerts")) -> Client:
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=apps, codename__regex=ALL_PERMS))
    client = Client()
    client.force_login(user)
    return client


def _factor_form(factor_set: FactorSet, enterprise: Enterprise | None = None) -> dict:
    # A per-kWh grid factor for Hebei (13): the value the attacker used to inflate B's scope 2.
    return {"factor_set": factor_set.pk, "kind": "grid_electricity", "carrier": "electricity", "geography": "13",
            "basis": "average", "value": "9.999999", "activity_unit": "kWh", "source": "attack",
            "enterprise": enterprise.pk if enterprise else ""}


def test_energy_manager_with_every_admin_permission_cannot_add_a_global_emission_factor(tenants):
    # The reproduction: the demo manager (staff, energy manager of A) on /admin/carbon/emissionfactor/add/.
    client = _staff_client(tenants["manager_a"])
    before = EmissionFactor.objects.count()

    assert client.get("/admin/carbon/emissionfactor/add/").status_code == 403
    response = client.post("/admin/carbon/emissionfactor/add/", _factor_form(FactorSet.objects.first()))

    assert response.status_code == 403
    assert EmissionFactor.objects.count() == before


def test_enterprise_admin_adds_only_their_own_emission_factor_and_it_is_audited_with_their_enterprise(tenants):
    client = _staff_client(tenants["admin_a"])
    factor_set = FactorSet.objects.first()
    before = EmissionFactor.objects.count()

    no_enterprise = client.post("/admin/carbon/emissionfactor/add/", _factor_form(factor_set))
    foreign = client.post("/admin/carbon/emissionfactor/add/", _factor_form(factor_set, tenants["b"]))
    own = client.post("/admin/carbon/emissionfactor/add/", _factor_form(factor_set, tenants["a"]))

    assert no_enterprise.status_code == 200  # the form again: the enterprise is required
    assert "enterprise" in no_enterprise.context["adminform"].form.errors
    assert foreign.status_code == 200  # B is not a choice
    assert "enterprise" in foreign.context["adminform"].form.errors
    assert own.status_code == 302
    assert EmissionFactor.objects.count() == before + 1
    factor = EmissionFactor.objects.get(source="attack")
    assert factor.enterprise == tenants["a"]
    event = AuditEvent.objects.get(action="emissionfactor.create", object_id=str(factor.pk))
    assert event.enterprise == tenants["a"]


def test_enterprise_admin_cannot_change_or_delete_a_global_emission_factor(tenants):
    client = _staff_client(tenants["admin_a"])
    factor = EmissionFactor.objects.filter(enterprise__isnull=True).first()
    form = _factor_form(factor.factor_set) | {"value": "1.000000"}

    changed = client.post(f"/admin/carbon/emissionfactor/{factor.pk}/change/", form)
    deleted = client.post(f"/admin/carbon/emissionfactor/{factor.pk}/delete/", {"post": "yes"})

    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert EmissionFactor.objects.get(pk=factor.pk).value == factor.value


def test_staff_energy_manager_cannot_add_an_enterprise_or_a_site_which_the_api_refuses(tenants):
    client = _staff_client(tenants["manager_a"])
    site_form = {"enterprise": tenants["a"].pk, "code": "A9", "name": "annex", "kind": "factory",
                 "region_code": "310115", "timezone": "Asia/Shanghai"}

    assert client.get("/admin/plants/enterprise/add/").status_code == 403
    assert client.post("/admin/plants/enterprise/add/", {"name": "X", "credit_code": "x"}).status_code == 403
    assert client.get("/admin/plants/site/add/").status_code == 403
    assert client.post("/admin/plants/site/add/", site_form).status_code == 403
    assert not Site.objects.filter(code="A9").exists()


def test_enterprise_admin_cannot_create_an_enterprise_but_adds_a_site_to_their_own(tenants):
    client = _staff_client(tenants["admin_a"])
    site_form = {"enterprise": tenants["a"].pk, "code": "A9", "name": "annex", "kind": "factory",
                 "region_code": "310115", "timezone": "Asia/Shanghai"}

    assert client.get("/admin/plants/enterprise/add/").status_code == 403
    response = client.post("/admin/plants/site/add/", site_form)

    assert response.status_code == 302
    site = Site.objects.get(code="A9")
    assert AuditEvent.objects.get(action="site.create", object_id=str(site.pk)).enterprise == tenants["a"]


def test_moving_an_object_to_an_enterprise_where_the_role_is_too_low_is_refused(tenants):
    # admin_a also reads B as a viewer: B's site is a choice in the form, but writing there is not allowed.
    member(tenants["admin_a"], tenants["b"], Role.VIEWER)
    client = _staff_client(tenants["admin_a"])
    product = ProductFactory(site=tenants["site_a"], code="A-P1", name="clinker", unit="t")

    response = client.post(f"/admin/plants/product/{product.pk}/change/",
                           {"site": tenants["site_b"].pk, "code": "A-P1", "name": "clinker", "unit": "t"})

    assert response.status_code == 403
    assert Product.objects.get(pk=product.pk).site == tenants["site_a"]


def test_viewer_with_admin_permissions_writes_nothing(tenants):
    client = _staff_client(tenants["viewer_a"])
    product = ProductFactory(site=tenants["site_a"], code="A-P1", name="clinker", unit="t")

    assert client.get("/admin/plants/product/add/").status_code == 403
    assert client.post(f"/admin/plants/product/{product.pk}/change/",
                       {"site": tenants["site_a"].pk, "code": "A-P2", "name": "x", "unit": "t"}).status_code == 403
    assert client.post(f"/admin/plants/product/{product.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Product.objects.get(pk=product.pk).code == "A-P1"


def test_global_reference_row_changes_are_read_by_every_enterprise_admin(tenants):
    # A superuser's change of a national factor has no enterprise, yet concerns A and B alike.
    client = _staff_client(tenants["staff"])
    factor = EmissionFactor.objects.filter(enterprise__isnull=True).first()
    client.post(f"/admin/carbon/emissionfactor/{factor.pk}/delete/", {"post": "yes"})

    event = AuditEvent.objects.get(action="emissionfactor.delete", object_id=str(factor.pk))
    assert event.enterprise is None
    assert event in audit_events_for(tenants["admin_a"])
    assert event in audit_events_for(tenants["admin_b"])
    assert event not in audit_events_for(tenants["manager_a"])  # the log is for enterprise admins


def test_every_admin_applies_the_role_rules():
    """A model admin that writes must take its rules from RoleRulesAdminMixin (or write nothing at all)."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = type("Nobody", (), {"is_superuser": False, "is_authenticated": True, "is_active": True,
                                       "has_perm": lambda *a: True, "pk": None})()
    unruled = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, RoleRulesAdminMixin) or model._meta.app_label == "auth":
            continue
        # Admins outside the rules may only be read-only (or, like audit events and personal tokens, not tenant data).
        if model_admin.has_add_permission(request) and model is not RegulatorJurisdiction:
            unruled.append(model._meta.label)
    assert unruled == []


def test_every_reference_data_admin_is_listed_as_global_reference_data():
    reference = {m._meta.label for m, ma in admin.site._registry.items()
                 if isinstance(ma, ReferenceDataAdmin) and m is not RegulatorJurisdiction}
    assert reference <= GLOBAL_REFERENCE_TYPES


def _action(client, model: str, action: str, pk: int):
    return client.post(f"/admin/{model}/", {"action": action, "_selected_action": [pk]})


def test_a_viewer_with_admin_permissions_cannot_close_a_period_by_action(tenants):
    import datetime as dt

    from carbon.models import AccountingPeriod

    period = AccountingPeriod.objects.create(enterprise=tenants["a"], month=dt.date(2025, 4, 1))
    client = _staff_client(tenants["viewer_a"])

    response = _action(client, "carbon/accountingperiod", "close", period.pk)

    assert response.status_code == 403
    assert AccountingPeriod.objects.get(pk=period.pk).status == "open"


def test_a_viewer_cannot_revoke_gateway_tokens_by_action(tenants):
    from meters.models import GatewayToken
    from meters.services.gateways import gateway_provision

    gateway, _ = gateway_provision(site=tenants["site_a"], name="gw-a")
    token = GatewayToken.objects.get(gateway=gateway)
    client = _staff_client(tenants["viewer_a"])

    response = _action(client, "meters/gatewaytoken", "revoke", token.pk)

    assert response.status_code == 403
    assert GatewayToken.objects.get(pk=token.pk).revoked_at is None


def test_an_energy_manager_revokes_gateway_tokens_by_action_audited(tenants):
    from meters.models import GatewayToken
    from meters.services.gateways import gateway_provision

    gateway, _ = gateway_provision(site=tenants["site_a"], name="gw-a")
    token = GatewayToken.objects.get(gateway=gateway)
    client = _staff_client(tenants["manager_a"])

    response = _action(client, "meters/gatewaytoken", "revoke", token.pk)

    assert response.status_code == 302
    assert GatewayToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.get(action="gatewaytoken.revoke").enterprise == tenants["a"]


def test_a_gateway_saved_by_an_energy_manager_opens_editable_with_the_token_link(tenants):
    from meters.models import Gateway

    client = _staff_client(tenants["manager_a"])

    saved = client.post("/admin/meters/gateway/add/", {
        "site": tenants["site_a"].pk, "name": "gw-new", "tokens-TOTAL_FORMS": 0, "tokens-INITIAL_FORMS": 0})
    gateway = Gateway.objects.get(name="gw-new")
    change = client.get(f"/admin/meters/gateway/{gateway.pk}/change/").content.decode()

    assert saved.status_code == 302
    assert 'name="_save"' in change  # a change form, not the read-only view
    assert f"/gateways/?enterprise={tenants['a'].pk}#gateway-{gateway.pk}" in change
    assert AuditEvent.objects.get(action="gateway.create").actor == tenants["manager_a"]


def test_an_admin_action_is_audited_with_the_enterprise(tenants):
    from meters.models import RejectedRow
    from meters.services.ingest import RawRow, readings_ingest

    readings_ingest(site=tenants["site_a"], rows=[RawRow(0, "GHOST", "2025-03-01T00:00:00+08:00", 1)],
                    batch_key="ghost-1")
    row = RejectedRow.objects.get(meter_code="GHOST")
    client = _staff_client(tenants["manager_a"])

    response = _action(client, "meters/rejectedrow", "acknowledge", row.pk)

    assert response.status_code == 302
    assert RejectedRow.objects.get(pk=row.pk).acknowledged_at is not None
    event = AuditEvent.objects.get(action="rejectedrow.acknowledge")
    assert event.enterprise == tenants["a"]
    assert event.detail == {"via": "admin action", "ids": [row.pk]}
