"""Regression tests for what the authorization matrix and the API fuzzer found, one per finding."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver

from plants.models import EconomicData

from .endpoints import url_endpoints

pytestmark = pytest.mark.django_db


def test_client_sent_source_of_monthly_data_is_stored_not_a_500(tenants, api_client):
    # Found by schemathesis: the serializer passed `source` twice to create() (TypeError, 500).
    api_client.force_authenticate(tenants["manager_a"])
    resp = api_client.post("/api/v1/economic-data/", {"site": tenants["site_a"].pk, "month": "2025-04-01",
                                                      "value_added_10k_cny": "12.5", "source": "erp"}, format="json")
    assert resp.status_code == 201, resp.content
    assert EconomicData.objects.get(pk=resp.json()["id"]).source == "erp"


@pytest.mark.parametrize("when", ["0309-05-11T04:25:12+10:20", "2101-01-01T00:00:00Z"])
def test_meter_activity_outside_1970_2100_is_a_400(tenants, api_client, when):
    # Found by schemathesis: year 309 was stored and answered as "+08:05:43" (local mean time), not RFC 3339.
    api_client.force_authenticate(tenants["manager_a"])
    resp = api_client.post("/api/v1/meters/", {"site": tenants["site_a"].pk, "code": "OLD", "carrier": "electricity",
                                               "unit": "kWh", "reading_kind": "interval", "level": "enterprise",
                                               "role": "purchase", "interval_minutes": 15, "active_from": when},
                           format="json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid" and "active_from" in resp.json()["errors"]


def test_no_format_suffix_routes_remain():
    # Found by the matrix: /api/v1/imports.json and other suffix routes ended in 500 (format= passed to views
    # that do not take it); the routes were undocumented anyway.
    assert get_resolver().resolve("/api/v1/meters/") is not None
    assert [e.route for e in url_endpoints() if "(?P<format>" in e.route or "drf_format_suffix" in e.route] == []


@pytest.mark.parametrize("url", ["/admin/carbon/emissionfactor/add/", "/admin/carbon/energycoefficient/add/",
                                 "/admin/reports/indicatorentry/add/", "/admin/reports/requiremententry/add/"])
def test_admin_enterprise_choices_of_enterprise_staff_hide_other_enterprises(tenants, url):
    # Found by the matrix: these admin forms listed every enterprise (name of B shown to a staff member of A).
    from django.contrib.auth.models import Permission

    # An enterprise admin: since issue 14 an energy manager may not open the factor and coefficient add pages at all.
    staff = tenants["admin_a"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["carbon", "reports"]))
    client = Client()
    client.force_login(staff)
    page = client.get(url)
    assert page.status_code == 200
    choices = [str(c[1]) for c in page.context["adminform"].form.fields["enterprise"].choices]
    assert "A Steel" in choices and "B Cement" not in choices


def test_report_admin_lists_only_the_staff_members_enterprises(tenants):
    # Found by the matrix: report snapshots and indicator entries were not scoped in the admin.
    from django.contrib.auth.models import Permission

    from reports.services import report_create

    own = report_create(kind="ghg", enterprise=tenants["a"], year=2025, fmt="csv", lang="en", user=None)
    report_create(kind="ghg", enterprise=tenants["b"], year=2025, fmt="csv", lang="en", user=None)
    staff = tenants["manager_a"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="reports",
                                                         codename__startswith="view_"))
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/reports/reportsnapshot/")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [own]


@pytest.mark.parametrize(("field", "year"), [("baseline_year", 1785383), ("target_year", 1989), ("target_year", 2101)])
def test_target_years_outside_1990_2100_are_a_400(tenants, api_client, field, year):
    # Found by fuzz-then-browse: a target with baseline year 1785383 was stored, then every KPI read of the site
    # ended in 500 (the KPIs compute the baseline year's figures: date(1785383, 1, 1) is out of range).
    api_client.force_authenticate(tenants["manager_a"])
    body = {"enterprise": tenants["a"].pk, "indicator": "energy_tce", "baseline_year": 2020, "target_year": 2025,
            "reduction_pct": "5", field: year}
    resp = api_client.post("/api/v1/targets/", body, format="json")
    assert resp.status_code == 400, resp.content
    assert list(resp.json()["errors"]) == [field]
