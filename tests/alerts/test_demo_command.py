"""Management commands: `load_alerts_demo` (quotas, allowances and rules for the demo, once) and `alerts_evaluate`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from alerts.models import AlertRule, CarbonAllowance, EnergyQuota
from demo.loader import SH, demo_load

pytestmark = pytest.mark.django_db


def test_load_alerts_demo_needs_the_demo():
    with pytest.raises(CommandError):
        call_command("load_alerts_demo", stdout=StringIO())


def test_load_alerts_demo_is_idempotent():
    demo_load(until=dt.datetime(2025, 1, 8, tzinfo=SH), small=True, log=lambda m: None)
    for _ in range(2):
        out = StringIO()
        call_command("load_alerts_demo", stdout=out)
        assert "Alert rules evaluated" in out.getvalue()
    assert (EnergyQuota.objects.count(), CarbonAllowance.objects.count(), AlertRule.objects.count()) == (1, 1, 4)
    assert not AlertRule.objects.exclude(last_error="").exists()
    assert not AlertRule.objects.filter(last_evaluated_at__isnull=True).exists()


def test_alerts_evaluate_command_runs_the_evaluation(tenants):
    from alerts.models import Alert
    from tests.factories import MeterFactory

    meter = MeterFactory(site=tenants["site_a"], code="Q15", interval_minutes=15)  # never read: silent
    AlertRule.objects.create(enterprise=tenants["a"], meter=meter, name="silent", kind="silent_meter", intervals=4)
    out = StringIO()
    call_command("alerts_evaluate", stdout=out)
    call_command("alerts_evaluate", stdout=out)
    assert out.getvalue().splitlines() == ["1 raised, 0 resolved, 0 e-mailed.", "0 raised, 0 resolved, 0 e-mailed."]
    assert Alert.objects.count() == 1
