"""`load_alerts_demo`: quotas, allowances and rules for the demo enterprise, once."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from alerts.models import AlertRule, CarbonAllowance, EnergyQuota
from plants.demo import SH, demo_load

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
