"""Production settings refuse unsafe configuration."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from energy_platform.settings.base import INSECURE_DEFAULT_SECRET_KEY
from energy_platform.settings.checks import check_production_settings


def _check(**kw):
    return check_production_settings(**kw)


def test_debug_on_is_refused():
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        _check(secret_key="x" * 60, debug=True)


def test_default_secret_key_is_refused():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        _check(secret_key=INSECURE_DEFAULT_SECRET_KEY, debug=False)


def test_production_process_refuses_to_start_with_defaults():
    env = {"DJANGO_SETTINGS_MODULE": "energy_platform.settings.production", "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode != 0
    assert "SECRET_KEY must be set" in r.stderr


def test_production_check_deploy_is_clean_with_safe_settings():
    env = {"DJANGO_SETTINGS_MODULE": "energy_platform.settings.production", "PATH": "/usr/bin:/bin",
           "SECRET_KEY": "k" * 20 + "Zq8#x!pL0v@4mN2$wR7^tY1&uI9*oP3(aS5)dF6-gH", "ALLOWED_HOSTS": "nengtan.example.cn"}
    r = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env,
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


@pytest.mark.django_db
def test_an_application_error_in_a_page_is_a_4xx_page_not_a_500(client, tenants):
    from carbon.models import EnergyCoefficient

    client.force_login(tenants["manager_a"])
    EnergyCoefficient.objects.all().delete()  # no coefficient: the accounting engine raises no_coefficient
    from tests.factories import MeterFactory

    MeterFactory(site=tenants["site_a"], code="E")
    from meters.rollup import rollup_all
    from meters.services.ingest import RawRow, readings_ingest

    readings_ingest(site=tenants["site_a"], rows=[RawRow(0, "E", "2025-03-01T00:00:00+08:00", 5)])
    rollup_all()
    response = client.get(f"/api/v1/sites/{tenants['site_a'].pk}/kpis/?period=2025-03")
    assert response.status_code == 400
    assert response.json()["code"] == "no_coefficient"
    page = client.get(f"/?enterprise={tenants['a'].pk}")
    assert page.status_code in (200, 400)
