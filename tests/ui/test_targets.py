"""Targets by form: energy managers and enterprise admins create and edit; viewers read; other enterprises 404."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from carbon.models import Target

FORM = {"indicator": "energy_per_value_added", "site": "", "baseline_year": "2020", "baseline_value": "0.85",
        "target_year": "2025", "reduction_pct": "13.5", "note": "14th five-year plan"}


@pytest.mark.parametrize("role", ["manager_a", "admin_a"])
def test_editor_creates_an_enterprise_target(client, tenants, role):
    client.force_login(tenants[role])
    response = client.post("/targets/", FORM)
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.enterprise, target.site, target.indicator, target.baseline_value, target.reduction_pct) == (
        tenants["a"], None, "energy_per_value_added", Decimal("0.85"), Decimal("13.5"))
    assert AuditEvent.objects.filter(action="target.create", actor=tenants[role]).count() == 1


def test_manager_edits_a_target_of_a_site(client, tenants):
    target = Target.objects.create(enterprise=tenants["a"], indicator="energy_tce", baseline_year=2023,
                                   target_year=2026, reduction_pct=Decimal("5"))
    client.force_login(tenants["manager_a"])
    assert client.get(f"/targets/{target.pk}/").status_code == 200
    response = client.post(f"/targets/{target.pk}/", {**FORM, "indicator": "energy_tce", "site": tenants["site_a"].pk,
                                                      "baseline_value": "", "reduction_pct": "7.25"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.site, target.baseline_value, target.reduction_pct, target.baseline_year) == (
        tenants["site_a"], None, Decimal("7.25"), 2020)


def test_viewer_sees_targets_but_cannot_create_or_edit(client, tenants):
    target = Target.objects.create(enterprise=tenants["a"], indicator="energy_tce", baseline_year=2023,
                                   target_year=2026, reduction_pct=Decimal("5"))
    client.force_login(tenants["viewer_a"])
    page = client.get("/targets/")
    assert page.status_code == 200
    assert [t.pk for t in page.context["targets"]] == [target.pk]
    assert 'id="target-form"' not in page.content.decode()
    assert client.post("/targets/", FORM).status_code == 403
    assert client.get(f"/targets/{target.pk}/").status_code == 403
    assert client.post(f"/targets/{target.pk}/", {**FORM, "reduction_pct": "50"}).status_code == 403
    target.refresh_from_db()
    assert target.reduction_pct == Decimal("5")
    assert Target.objects.count() == 1


def test_target_of_another_enterprise_is_404_by_direct_url(client, tenants):
    foreign = Target.objects.create(enterprise=tenants["b"], indicator="energy_tce", baseline_year=2023,
                                    target_year=2026, reduction_pct=Decimal("5"))
    client.force_login(tenants["manager_a"])
    assert client.get(f"/targets/{foreign.pk}/").status_code == 404
    assert client.post(f"/targets/{foreign.pk}/", FORM).status_code == 404
    assert client.post("/targets/", {**FORM, "site": tenants["site_b"].pk}).status_code == 404
    assert client.get(f"/targets/?enterprise={tenants['b'].pk}").status_code == 404
    foreign.refresh_from_db()
    assert foreign.reduction_pct == Decimal("5")


@pytest.mark.parametrize(("field", "value"), [("target_year", "2019"), ("reduction_pct", "120"),
                                              ("baseline_year", "abc"), ("indicator", "nope")])
def test_invalid_target_is_a_form_error(client, tenants, field, value):
    client.force_login(tenants["manager_a"])
    response = client.post("/targets/", {**FORM, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Target.objects.exists()


@pytest.mark.parametrize(("role", "edits"), [("admin_a", True), ("manager_a", True), ("viewer_a", False),
                                             ("regulator_sh", False)])
def test_each_role_sees_the_new_pages_and_only_editors_get_forms(client, tenants, role, edits):
    client.force_login(tenants[role])
    pages = {"/targets/": 'id="target-form"', "/entry/": 'id="bill-form"', "/quality/": 'id="estimate-form"'}
    for url, form in pages.items():
        response = client.get(f"{url}?enterprise={tenants['a'].pk}")
        assert response.status_code == 200, url
        assert (form in response.content.decode()) is edits, url
    status = client.post(f"/targets/?enterprise={tenants['a'].pk}", FORM).status_code
    assert status == (302 if edits else 403)
    assert Target.objects.count() == (1 if edits else 0)


def test_regulator_of_another_region_gets_404(client, tenants):
    client.force_login(tenants["regulator_hb"])
    assert client.get(f"/targets/?enterprise={tenants['a'].pk}").status_code == 404
    assert client.get(f"/entry/?enterprise={tenants['a'].pk}").status_code == 404


@pytest.fixture
def rm1(tenants, monkeypatch):
    """Site A1 on 2025-07-03 with 40,000 kWh of electricity in 2025-03 and a site target: energy 10 tce in 2024,
    −60 % by 2026."""
    import datetime as dt

    from django.utils import timezone

    from tests.insights.conftest import monthly_meter, post_month

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 7, 3))
    monthly_meter(tenants["site_a"], "E")
    post_month(tenants["site_a"], "2025-03", {"E": 40_000})
    return Target.objects.create(enterprise=tenants["a"], site=tenants["site_a"], indicator="energy_tce",
                                 baseline_year=2024, baseline_value=Decimal("10"), target_year=2026,
                                 reduction_pct=Decimal("60"))


# Year to date 2025 (through 2025-07-02): 40,000 kWh × 0.1229 kgce/kWh (DOMAIN.md §1, equivalent value) = 4.916 tce.
# Goal = 10 × (1 − 60 %) = 4 tce; progress = (10 − 4.916) / (10 − 4) × 100 = 5.084 / 6 × 100 = 84.733… → 84.7 %.
def test_site_target_progress_is_on_the_targets_page(client, tenants, rm1):
    client.force_login(tenants["viewer_a"])
    page = client.get("/targets/")
    row = next(t for t in page.context["targets"] if t.pk == rm1.pk)
    assert (row.progress["goal"], row.progress["current"], row.progress["progress_pct"]) == (
        Decimal("4.0000"), Decimal("4.9160"), Decimal("84.7"))
    assert f'<td class="n" data-progress="{rm1.pk}">84.7%</td>' in page.content.decode()


def test_site_target_progress_is_on_the_site_page_as_the_site_kpis_compute_it(client, tenants, rm1):
    from carbon.kpis import site_kpis
    from carbon.periods import Period

    client.force_login(tenants["viewer_a"])
    page = client.get(f"/sites/{tenants['site_a'].pk}/")
    html = page.content.decode()
    assert 'id="site-targets"' in html
    assert f'<td class="n" data-progress="{rm1.pk}">84.7%</td>' in html
    api = site_kpis(site=tenants["site_a"], period=Period.year(2025))["targets"]
    assert [t["progress_pct"] for t in api] == [Decimal("84.7")]


def test_a_data_centres_pue_target_shows_progress_on_its_page_and_the_targets_page(client, tenants, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from tests.factories import MeterFactory, SiteFactory
    from tests.insights.conftest import post_month

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 7, 3))
    dc = SiteFactory(enterprise=tenants["a"], code="DC1", kind="data_center")
    since = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    MeterFactory(site=dc, code="FAC", role="facility_total", interval_minutes=43200, active_from=since)
    fac = dc.meters.get(code="FAC")
    MeterFactory(site=dc, code="IT", role="it_load", parent=fac, level="sub_unit", interval_minutes=43200,
                 active_from=since)
    post_month(dc, "2025-03", {"FAC": 150_000, "IT": 100_000})
    target = Target.objects.create(enterprise=tenants["a"], site=dc, indicator="pue", baseline_year=2024,
                                   baseline_value=Decimal("1.8"), target_year=2026, reduction_pct=Decimal("10"))
    # PUE 2025 to date = facility / IT = 150,000 / 100,000 = 1.5; goal = 1.8 × (1 − 10 %) = 1.62;
    # progress = (1.8 − 1.5) / (1.8 − 1.62) × 100 = 0.3 / 0.18 × 100 = 166.67 → 166.7 %.
    client.force_login(tenants["viewer_a"])
    cell = f'<td class="n" data-progress="{target.pk}">166.7%</td>'
    assert cell in client.get(f"/sites/{dc.pk}/").content.decode()
    assert cell in client.get("/targets/").content.decode()


def test_target_figures_are_rounded_by_the_indicators_quantity_on_the_targets_page(client, tenants, rm1):
    client.force_login(tenants["viewer_a"])
    html = client.get("/targets/").content.decode()
    # energy_tce is in tce: 3 decimals (energy_platform.numbers.PLACES), whatever the stored precision:
    # baseline 10 → 10.000; goal 10 × (1 − 60 %) = 4.0000 → 4.000; current 4.9160 tce (above) → 4.916
    assert '<td class="n">10.000</td>' in html
    assert '<td class="n">4.000</td><td class="n">4.916</td>' in html


def test_enterprise_target_figures_on_the_overview_are_rounded_by_quantity(client, tenants, rm1):
    target = Target.objects.create(enterprise=tenants["a"], indicator="energy_tce", baseline_year=2024,
                                   baseline_value=Decimal("10.123456"), target_year=2026, reduction_pct=Decimal("60"))
    client.force_login(tenants["viewer_a"])
    html = client.get(f"/?enterprise={tenants['a'].pk}").content.decode()
    # baseline 10.123456 tce → 10.123; goal 10.123456 × 0.4 = 4.0493824 → 4.049; current 4.916 tce (site A1 only)
    assert ('<td class="n">10.123</td><td class="n">4.049</td><td class="n">4.916</td>\n'
            f'<td class="n" data-progress="{target.pk}">') in html
