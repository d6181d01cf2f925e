"""The demo loader: structure, rollover and gaps, idempotence, logins."""

import datetime as dt
import zoneinfo

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from demo.loader import DEMO_CODE, demo_load
from meters.models import Meter, MeterRollup
from plants.models import Enterprise

pytestmark = pytest.mark.django_db
UNTIL = dt.datetime(2025, 7, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def test_demo_loads_once_with_rollups_and_logins():
    first = demo_load(until=UNTIL, small=True, log=lambda m: None)
    assert first["created"] is True
    assert first["readings"] > 10_000
    assert Enterprise.objects.count() == 2
    again = demo_load(until=UNTIL, small=True, log=lambda m: None)
    assert again["created"] is False
    assert Enterprise.objects.count() == 2
    main = Meter.objects.get(code="RM-E-MAIN")
    # Every month of the register meter is complete and positive although its register wrapped once.
    months = MeterRollup.objects.filter(meter=main, granularity="month").order_by("bucket_start")
    assert months.count() == 6
    assert all(m.quantity > 0 for m in months)
    assert all(m.received_intervals == m.expected_intervals for m in months[:5])
    # The last reading of a register has no successor yet, so its interval is still open.
    assert months[5].received_intervals == months[5].expected_intervals - 1
    client = Client()
    for username in ("manager", "viewer", "regulator", "admin"):
        assert client.login(request=HttpRequest(), username=username, password="nengtan-demo")


def test_demo_register_wraps_once_and_gaps_exist():
    demo_load(until=UNTIL, small=False, log=lambda m: None)
    from meters.models import Reading

    main = Meter.objects.get(code="RM-E-MAIN")
    values = list(Reading.objects.filter(meter_id=main.pk).order_by("ts").values_list("value", flat=True))
    wraps = sum(1 for a, b in zip(values, values[1:], strict=False) if b < a)
    assert wraps == 1
    w2_june = MeterRollup.objects.get(meter__code="RM-E-W2", granularity="month",
                                      bucket_start=dt.datetime(2025, 6, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
    assert w2_june.received_intervals == w2_june.expected_intervals - 96  # one day missing
    assert Enterprise.objects.get(credit_code=DEMO_CODE).sites.count() == 3


def test_load_demo_command_prints_logins(capsys):
    call_command("load_demo", "--small", "--until", "2025-02-01")
    out = capsys.readouterr().out
    assert "manager" in out
    assert "nengtan-demo" in out
