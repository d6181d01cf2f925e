"""Alert rules: each kind firing and not firing on constructed data, idempotent evaluation, resolution, e-mail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from alerts.models import Alert, AlertRule, EnergyQuota
from alerts.services import alert_rule_evaluate, alert_rules_evaluate
from alerts.tasks import alert_rules_evaluate_task
from carbon.models import Target
from meters.models import Reading
from meters.rollup import rollup_all
from tests.factories import MeterFactory

from . import series

pytestmark = pytest.mark.django_db
SH = series.SH


def _rule(tenants, **kw) -> AlertRule:
    rule = AlertRule(enterprise=tenants["a"], name=kw.pop("name", "rule"), **kw)
    rule.full_clean()
    rule.save()
    return rule


# --- threshold ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("threshold", "fires"), [("0.15", True), ("0.2", False)])
def test_threshold_on_month_to_date_energy(tenants, threshold, fires):
    series.build(tenants["site_a"])
    rule = _rule(tenants, site=tenants["site_a"], kind=AlertRule.Kind.THRESHOLD, metric="energy_tce",
                 window="month", operator="gt", threshold=Decimal(threshold))
    # On 15 Feb 2026 12:00 the month so far is 1–14 Feb: 14 × 110 = 1,540 kWh × 0.1229 / 1000 = 0.189266 tce.
    raised, _ = alert_rule_evaluate(rule=rule, now=dt.datetime(2026, 2, 15, 12, tzinfo=SH))
    assert raised == (1 if fires else 0)
    if fires:
        alert = Alert.objects.get(rule=rule)
        assert (alert.condition_key, alert.value, alert.limit, alert.unit) == (
            "energy_tce:2026-02", Decimal("0.1893"), Decimal("0.15"), "tce")


def test_threshold_below_fires_when_the_kpi_is_under_the_limit(tenants):
    series.build(tenants["site_a"])
    rule = _rule(tenants, site=tenants["site_a"], kind=AlertRule.Kind.THRESHOLD, metric="electricity_kwh",
                 window="year", operator="lt", threshold=Decimal(7000))
    # Year to 15 Feb: 31 × 110 + 14 × 110 = 4,950 kWh < 7,000.
    assert alert_rule_evaluate(rule=rule, now=dt.datetime(2026, 2, 15, 12, tzinfo=SH)) == (1, 0)
    assert Alert.objects.get(rule=rule).value == Decimal("4950.0000")


# --- projection --------------------------------------------------------------------------------------------------

def test_projection_rule_fires_on_a_breached_target_once_and_resolves_when_it_clears(tenants):
    site = tenants["site_a"]
    series.build(site)
    target = Target.objects.create(enterprise=tenants["a"], site=site, indicator=Target.Indicator.ENERGY_TCE,
                                   baseline_year=2025, target_year=2027, reduction_pct=Decimal(10))
    EnergyQuota.objects.create(enterprise=tenants["a"], site=site, year=2026, energy_tce=Decimal(9))
    rule = _rule(tenants, site=site, kind=AlertRule.Kind.PROJECTION)
    now = dt.datetime(2026, 3, 1, 10, tzinfo=SH)
    # Projected 8.1937 tce against the 2026 path 7.9160 (test_forecast): breach; quota 9 tce: no breach.
    assert alert_rule_evaluate(rule=rule, now=now) == (1, 0)
    alert = Alert.objects.get(rule=rule)
    assert (alert.condition_key, alert.value, alert.limit) == (f"target:{target.pk}:2026", Decimal("8.1937"),
                                                               Decimal("7.9160"))
    # Evaluating again (the beat runs every 15 minutes) raises nothing new.
    assert alert_rule_evaluate(rule=rule, now=now + dt.timedelta(minutes=15)) == (0, 0)
    assert Alert.objects.filter(rule=rule).count() == 1
    # A 1 % reduction allows 8.33262 × 0.995 = 8.290957 in 2026, above 8.1937: the alert resolves.
    target.reduction_pct = Decimal(1)
    target.save()
    assert alert_rule_evaluate(rule=rule, now=now + dt.timedelta(minutes=30)) == (0, 1)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_at is not None


def test_an_enterprise_projection_rule_alerts_on_a_sites_projected_breach(tenants):
    site = tenants["site_a"]
    series.build(site)
    target = Target.objects.create(enterprise=tenants["a"], site=site, indicator=Target.Indicator.ENERGY_TCE,
                                   baseline_year=2025, target_year=2027, reduction_pct=Decimal(10))
    quota = EnergyQuota.objects.create(enterprise=tenants["a"], site=site, year=2026, energy_tce=Decimal(8))
    rule = _rule(tenants, kind=AlertRule.Kind.PROJECTION)  # the whole enterprise
    now = dt.datetime(2026, 3, 1, 10, tzinfo=SH)
    # The site's forecast shows two breaches: 8.1937 tce projected against the target path 7.9160 and the quota 8.
    assert alert_rule_evaluate(rule=rule, now=now) == (2, 0)
    alerts = {a.condition_key: a for a in Alert.objects.filter(rule=rule)}
    assert set(alerts) == {f"site{site.pk}:target:{target.pk}:2026", f"site{site.pk}:energy_quota:{quota.pk}:2026"}
    first = alerts[f"site{site.pk}:target:{target.pk}:2026"]
    assert (first.site_id, first.value, first.limit) == (site.pk, Decimal("8.1937"), Decimal("7.9160"))
    assert alert_rule_evaluate(rule=rule, now=now + dt.timedelta(minutes=15)) == (0, 0)


def test_projection_rule_does_not_fire_within_quota(tenants):
    site = tenants["site_a"]
    series.build(site)
    EnergyQuota.objects.create(enterprise=tenants["a"], site=site, year=2026, energy_tce=Decimal(9))
    rule = _rule(tenants, site=site, kind=AlertRule.Kind.PROJECTION)
    assert alert_rule_evaluate(rule=rule, now=dt.datetime(2026, 3, 1, 10, tzinfo=SH)) == (0, 0)
    # 8.1937 tce projected; a quota of 8 tce is breached.
    EnergyQuota.objects.filter(site=site).update(energy_tce=Decimal(8))
    assert alert_rule_evaluate(rule=rule, now=dt.datetime(2026, 3, 1, 10, tzinfo=SH)) == (1, 0)


# --- silent meter ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "fires"), [(dt.datetime(2026, 3, 2, 11, 0, tzinfo=SH), True),
                                            (dt.datetime(2026, 3, 2, 10, 59, tzinfo=SH), False)])
def test_silent_meter_after_n_intervals(tenants, now, fires):
    meter = MeterFactory(site=tenants["site_a"], code="Q15", interval_minutes=15)
    last = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)
    Reading.objects.bulk_create([Reading(meter=meter, ts=last - dt.timedelta(minutes=15 * i), value=1.0)
                                 for i in range(4)])
    rule = _rule(tenants, meter=meter, kind=AlertRule.Kind.SILENT_METER, intervals=4)
    # Last reading 10:00, 15-minute intervals, N = 4: silent from 11:00 (60 min = 4 intervals), not at 10:59.
    assert alert_rule_evaluate(rule=rule, now=now)[0] == (1 if fires else 0)
    if fires:
        alert = Alert.objects.get(rule=rule)
        assert (alert.condition_key, alert.meter, alert.value, alert.limit) == (
            f"silent:{meter.pk}", meter, Decimal(4), Decimal(4))


def test_silent_meter_clears_when_readings_come_back(tenants):
    meter = MeterFactory(site=tenants["site_a"], code="Q15", interval_minutes=15)
    Reading.objects.create(meter=meter, ts=dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH), value=1.0)
    rule = _rule(tenants, site=tenants["site_a"], kind=AlertRule.Kind.SILENT_METER, intervals=4)
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=SH)
    assert alert_rule_evaluate(rule=rule, now=now) == (1, 0)
    Reading.objects.create(meter=meter, ts=dt.datetime(2026, 3, 2, 11, 45, tzinfo=SH), value=1.0)
    assert alert_rule_evaluate(rule=rule, now=now) == (0, 1)


# --- sudden load change ------------------------------------------------------------------------------------------

def _load_series(site, last_hour_kwh_per_quarter: float):
    """10:00–11:00 on 1–7 March 2026: 4 × 25 = 100 kWh; on 8 March: 4 × the given quantity."""
    meter = MeterFactory(site=site, code="LOAD", interval_minutes=15)
    rows = []
    for day in range(1, 9):
        value = 25.0 if day < 8 else last_hour_kwh_per_quarter
        rows += [Reading(meter=meter, ts=dt.datetime(2026, 3, day, 10, 15 * q, tzinfo=SH), value=value)
                 for q in range(4)]
    Reading.objects.bulk_create(rows)
    rollup_all()
    return meter


@pytest.mark.parametrize(("threshold", "fires"), [(50, True), (70, False)])
def test_load_change_against_the_same_hour_of_previous_days(tenants, threshold, fires):
    meter = _load_series(tenants["site_a"], 40.0)
    rule = _rule(tenants, meter=meter, kind=AlertRule.Kind.LOAD_CHANGE, threshold=Decimal(threshold),
                 baseline_days=7)
    # At 11:05 on 8 March the last complete hour is 10:00: 4 × 40 = 160 kWh against a mean of 100 → +60 %.
    assert alert_rule_evaluate(rule=rule, now=dt.datetime(2026, 3, 8, 11, 5, tzinfo=SH))[0] == (1 if fires else 0)
    if fires:
        alert = Alert.objects.get(rule=rule)
        assert (alert.value, alert.unit, alert.detail["baseline"], alert.detail["quantity"]) == (
            Decimal("60.0000"), "%", 100.0, 160.0)


def test_load_drop_fires_too(tenants):
    meter = _load_series(tenants["site_a"], 10.0)
    rule = _rule(tenants, meter=meter, kind=AlertRule.Kind.LOAD_CHANGE, threshold=Decimal(50))
    # 4 × 10 = 40 kWh against 100 → −60 %.
    assert alert_rule_evaluate(rule=rule, now=dt.datetime(2026, 3, 8, 11, 5, tzinfo=SH)) == (1, 0)
    assert Alert.objects.get(rule=rule).value == Decimal("-60.0000")


# --- rules: validation, idempotency, e-mail ----------------------------------------------------------------------

def test_rule_validation_per_kind(tenants):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        AlertRule(enterprise=tenants["a"], name="x", kind=AlertRule.Kind.THRESHOLD).full_clean()
    assert {"metric", "threshold"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        AlertRule(enterprise=tenants["a"], name="x", kind=AlertRule.Kind.SILENT_METER).full_clean()
    assert "intervals" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        AlertRule(enterprise=tenants["a"], site=tenants["site_b"], name="x", kind=AlertRule.Kind.PROJECTION
                  ).full_clean()
    assert "site" in exc.value.message_dict


def test_task_evaluates_idempotently_and_emails_each_new_alert_once(tenants):
    tenants["manager_a"].email = "manager@a.example"
    tenants["manager_a"].save()
    tenants["viewer_a"].email = "viewer@a.example"
    tenants["viewer_a"].save()
    meter = MeterFactory(site=tenants["site_a"], code="Q15", interval_minutes=15)
    rule = _rule(tenants, name="Meter silent", meter=meter, kind=AlertRule.Kind.SILENT_METER, intervals=4)
    # No reading at all: the meter is silent since it became active (2024-01-01).
    first = alert_rules_evaluate_task.apply().get()
    assert (first["raised"], first["emailed"]) == (1, 1)
    (message,) = mail.outbox
    assert message.to == ["manager@a.example"]  # energy managers and admins with an address; not viewers
    assert "Meter silent" in message.subject and "Q15" in message.body
    again = alert_rules_evaluate()
    assert (again["raised"], again["emailed"]) == (0, 0)
    assert len(mail.outbox) == 1 and Alert.objects.filter(rule=rule).count() == 1
    assert Alert.objects.get(rule=rule).emailed_to == "manager@a.example"


def test_explicit_recipients_and_disabled_rules(tenants):
    meter = MeterFactory(site=tenants["site_a"], code="Q15", interval_minutes=15)
    rule = _rule(tenants, meter=meter, kind=AlertRule.Kind.SILENT_METER, intervals=1,
                 email_to="ops@a.example; duty@a.example")
    alert_rules_evaluate()
    assert mail.outbox[0].to == ["ops@a.example", "duty@a.example"]
    rule.enabled = False
    rule.save()
    assert alert_rules_evaluate()["resolved"] == 1
    assert Alert.objects.get(rule=rule).status == Alert.Status.RESOLVED


class RefusingBackend:
    """A mail server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failed_email_is_retried_at_the_next_evaluation(tenants, settings):
    meter = MeterFactory(site=tenants["site_a"], code="Q15", interval_minutes=15)
    rule = _rule(tenants, meter=meter, kind=AlertRule.Kind.SILENT_METER, intervals=1, email_to="ops@a.example")
    settings.EMAIL_BACKEND = "tests.alerts.test_rules.RefusingBackend"
    assert alert_rules_evaluate()["emailed"] == 0
    assert Alert.objects.get(rule=rule).emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert alert_rules_evaluate()["emailed"] == 1
    assert len(mail.outbox) == 1 and Alert.objects.get(rule=rule).emailed_at is not None
