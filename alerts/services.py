"""Writes of the early-warning engine: evaluate alert rules into alerts (idempotently), acknowledge, e-mail."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Avg, Count, OuterRef, Q, Subquery
from django.utils import timezone, translation

from accounts import tenancy
from accounts.audit import audit_record
from accounts.models import Membership, Role
from carbon.kpis import enterprise_kpis, site_kpis
from carbon.models import Target
from carbon.periods import Period, period_coverage
from energy_platform.errors import ApplicationError
from meters.gateway_health import gateway_last_seen, gateways_with_health
from meters.models import Gateway, Meter, MeterRollup, Reading
from plants.models import Site

from .forecast import enterprise_forecast, site_forecast
from .messages import alert_subject, alert_text
from .models import Alert, AlertRule, CarbonAllowance, EnergyQuota

log = logging.getLogger(__name__)


@dataclass
class Finding:
    """One condition a rule found; `key` identifies it across evaluations (the idempotency key)."""

    key: str
    value: Decimal | None = None
    limit: Decimal | None = None
    unit: str = ""
    detail: dict = field(default_factory=dict)
    site_id: int | None = None
    meter_id: int | None = None


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.0001"))


def _scope_meters(rule: AlertRule, now: dt.datetime):
    if rule.meter_id:
        qs = Meter.objects.filter(pk=rule.meter_id)
    elif rule.site_id:
        qs = Meter.objects.filter(site_id=rule.site_id)
    else:
        qs = Meter.objects.filter(site__enterprise_id=rule.enterprise_id)
    return qs.filter(active_from__lte=now).filter(Q(active_to__isnull=True) | Q(active_to__gt=now)).select_related(
        "site")


def _threshold(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    today = timezone.localdate(now)
    whole = Period.month(today.year, today.month) if rule.window == AlertRule.Window.MONTH else Period.year(today.year)
    period = period_coverage(period=whole, today=today).period  # intensities of a month in progress: no value
    if rule.site_id:
        kpis = site_kpis(site=rule.site, period=period, with_yoy=False)
    else:
        kpis = enterprise_kpis(enterprise=rule.enterprise, period=period, with_yoy=False)
    entry = kpis.get(rule.metric) or {}
    value = entry.get("value")
    if value is None:
        return []
    value = Decimal(str(value))
    breached = value > rule.threshold if rule.operator == AlertRule.Operator.ABOVE else value < rule.threshold
    if not breached:
        return []
    return [Finding(key=f"{rule.metric}:{whole}", value=_dec(value), limit=rule.threshold, unit=entry.get("unit", ""),
                    site_id=rule.site_id,
                    detail={"kind": rule.kind, "metric": rule.metric, "period": str(whole),
                            "operator": rule.operator, "to_date": str(period.until) if period.until else None})]


def _sites_with_limits(enterprise_id: int, year: int) -> list[Site]:
    """Sites that have a target, quota or allowance of their own for `year` (those a site forecast compares)."""
    has = (Q(pk__in=Target.objects.filter(enterprise_id=enterprise_id, site__isnull=False).values("site_id"))
           | Q(pk__in=EnergyQuota.objects.filter(enterprise_id=enterprise_id, year=year).values("site_id"))
           | Q(pk__in=CarbonAllowance.objects.filter(enterprise_id=enterprise_id, year=year).values("site_id")))
    return list(Site.objects.filter(has, enterprise_id=enterprise_id).order_by("code"))


def _projection(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Every projected breach the forecast shows for the rule's scope. A rule for the whole enterprise covers the
    enterprise's own targets, quotas and allowances and those of each of its sites (site forecasts)."""
    today = timezone.localdate(now)
    period = Period.year(today.year)
    if today <= period.first:
        return []
    if rule.site_id:
        forecasts = [(rule.site, site_forecast(site=rule.site, period=period, as_of=today))]
    else:
        forecasts = [(None, enterprise_forecast(enterprise=rule.enterprise, period=period, as_of=today))]
        forecasts += [(site, site_forecast(site=site, period=period, as_of=today))
                      for site in _sites_with_limits(rule.enterprise_id, today.year)]
    findings = []
    for site, forecast in forecasts:
        # A site's own limits under an enterprise rule are keyed with the site (ids of targets are unique anyway,
        # but a quota's id is per model).
        prefix = f"site{site.pk}:" if site is not None and not rule.site_id else ""
        findings += [Finding(key=f"{prefix}{c['kind']}:{c['id']}:{period}", value=_dec(c["projected"]),
                             limit=_dec(c["limit"]), unit=c["unit"], site_id=site.pk if site else None,
                             detail={"kind": rule.kind, "comparison": c["kind"], "indicator": c["indicator"],
                                     "period": str(period), "as_of": str(today),
                                     **({"site": site.code} if site else {}),
                                     "method": forecast["quantities"][c["indicator"]].get("method")
                                     if c["indicator"] in ("energy_tce", "total_tco2") else None})
                     for c in forecast["comparisons"] if c["breach"]]
    return findings


def _silent(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """A meter is silent when its latest reading is at least N reading intervals old (never read: since it became
    active). One index lookup per meter (latest ts on the (meter, ts) key), in one statement."""
    latest = Reading.objects.filter(meter_id=OuterRef("pk")).order_by("-ts").values("ts")[:1]
    out = []
    for meter in _scope_meters(rule, now).annotate(last_ts=Subquery(latest)):
        since = meter.last_ts or meter.active_from
        elapsed = (now - since) / dt.timedelta(minutes=meter.interval_minutes)
        if elapsed >= rule.intervals:
            out.append(Finding(key=f"silent:{meter.pk}", value=_dec(int(elapsed)), limit=Decimal(rule.intervals),
                               unit="intervals", site_id=meter.site_id, meter_id=meter.pk,
                               detail={"kind": rule.kind, "meter": meter.code, "site": meter.site.code,
                                       "last_reading": meter.last_ts.isoformat() if meter.last_ts else None,
                                       "interval_minutes": meter.interval_minutes}))
    return out


def _last_complete_hour(now: dt.datetime, tz: str) -> dt.datetime:
    local = now.astimezone(zoneinfo.ZoneInfo(tz)).replace(minute=0, second=0, microsecond=0)
    return local - dt.timedelta(hours=1)


def _load_change(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """The last complete hour's quantity against the mean of the same hour on the previous `baseline_days` days (hourly
    rollups). An incomplete hour is skipped (the silent-meter rule covers missing data), as is a zero baseline."""
    meters = [m for m in _scope_meters(rule, now) if m.interval_minutes <= 60]
    out = []
    by_hour: dict[dt.datetime, list[Meter]] = {}
    for m in meters:
        by_hour.setdefault(_last_complete_hour(now, m.site.timezone), []).append(m)
    for hour, group in by_hour.items():
        ids = [m.pk for m in group]
        current = {r.meter_id: r for r in MeterRollup.objects.filter(
            meter_id__in=ids, granularity=MeterRollup.Granularity.HOUR, bucket_start=hour)}
        same_hours = [hour - dt.timedelta(days=k) for k in range(1, rule.baseline_days + 1)]
        baseline = {r["meter_id"]: r for r in MeterRollup.objects.filter(
            meter_id__in=ids, granularity=MeterRollup.Granularity.HOUR, bucket_start__in=same_hours).values(
            "meter_id").annotate(mean=Avg("quantity"), n=Count("pk")).order_by()}
        for m in group:
            row, base = current.get(m.pk), baseline.get(m.pk)
            if row is None or base is None or not base["mean"] or row.received_intervals < row.expected_intervals:
                continue
            change = (Decimal(repr(row.quantity)) - Decimal(repr(base["mean"]))) / Decimal(repr(base["mean"])) * 100
            if abs(change) >= rule.threshold:
                out.append(Finding(key=f"load:{m.pk}", value=_dec(change), limit=rule.threshold, unit="%",
                                   site_id=m.site_id, meter_id=m.pk,
                                   detail={"kind": rule.kind, "meter": m.code, "site": m.site.code,
                                           "hour": hour.isoformat(), "quantity": round(row.quantity, 3),
                                           "baseline": round(base["mean"], 3), "baseline_hours": base["n"],
                                           "meter_unit": m.unit}))
    return out


def _gateway_offline(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """A gateway is offline when nothing was heard from it (a batch, a token use, an MQTT message) for
    `offline_minutes`; never heard from: since it was created."""
    qs = Gateway.objects.filter(site__enterprise_id=rule.enterprise_id).select_related("site")
    if rule.site_id:
        qs = qs.filter(site_id=rule.site_id)
    out = []
    for gateway in gateways_with_health(qs, now=now):
        last_seen = gateway_last_seen(gateway)
        minutes = (now - (last_seen or gateway.created_at)) / dt.timedelta(minutes=1)
        if minutes >= rule.offline_minutes:
            out.append(Finding(key=f"gateway:{gateway.pk}", value=_dec(int(minutes)),
                               limit=Decimal(rule.offline_minutes), unit="min", site_id=gateway.site_id,
                               detail={"kind": rule.kind, "gateway": gateway.name, "site": gateway.site.code,
                                       "last_seen": last_seen.isoformat() if last_seen else None,
                                       "session": gateway.session_state}))
    return out


EVALUATORS = {AlertRule.Kind.THRESHOLD: _threshold, AlertRule.Kind.PROJECTION: _projection,
              AlertRule.Kind.SILENT_METER: _silent, AlertRule.Kind.LOAD_CHANGE: _load_change,
              AlertRule.Kind.GATEWAY_OFFLINE: _gateway_offline}


@transaction.atomic
def _sync(*, rule: AlertRule, findings: list[Finding], now: dt.datetime) -> tuple[int, int]:
    """Create an alert per new condition, refresh those still active, resolve those that cleared."""
    AlertRule.objects.select_for_update().filter(pk=rule.pk).first()  # serialise concurrent evaluations of a rule
    active = {a.condition_key: a for a in Alert.objects.filter(rule=rule, resolved_at__isnull=True)}
    raised = 0
    for f in findings:
        alert = active.pop(f.key, None)
        if alert is None:
            Alert.objects.create(rule=rule, enterprise_id=rule.enterprise_id, site_id=f.site_id, meter_id=f.meter_id,
                                 condition_key=f.key, value=f.value, limit=f.limit, unit=f.unit, detail=f.detail,
                                 last_seen_at=now)
            raised += 1
        else:
            alert.value, alert.limit, alert.detail, alert.last_seen_at = f.value, f.limit, f.detail, now
            alert.save(update_fields=["value", "limit", "detail", "last_seen_at"])
    for alert in active.values():
        alert.status, alert.resolved_at = Alert.Status.RESOLVED, now
        alert.save(update_fields=["status", "resolved_at"])
    return raised, len(active)


def alert_rule_evaluate(*, rule: AlertRule, now: dt.datetime | None = None) -> tuple[int, int]:
    """Evaluate one rule; returns (alerts raised, alerts resolved). A disabled rule resolves its active alerts."""
    now = now or timezone.now()
    error = ""
    try:
        findings = EVALUATORS[rule.kind](rule, now) if rule.enabled else []
    except ApplicationError as exc:
        # Missing reference data (a coefficient, a factor) must not stop the other rules; shown on the rule.
        findings, error = None, f"{exc.code}: {exc.detail}"[:500]
    AlertRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now, last_error=error)
    if findings is None:
        return 0, 0
    return _sync(rule=rule, findings=findings, now=now)


def alert_rules_evaluate(*, now: dt.datetime | None = None, enterprise_id: int | None = None) -> dict:
    """Evaluate every rule (or an enterprise's), then e-mail the new alerts. Safe to run any number of times."""
    now = now or timezone.now()
    rules = AlertRule.objects.select_related("enterprise", "site", "meter").order_by("pk")
    if enterprise_id is not None:
        rules = rules.filter(enterprise_id=enterprise_id)
    raised = resolved = 0
    for rule in rules:
        r, s = alert_rule_evaluate(rule=rule, now=now)
        raised += r
        resolved += s
    return {"raised": raised, "resolved": resolved, "emailed": alerts_notify(now=now)}


def _recipients(rule: AlertRule) -> list[str]:
    if rule.recipients():
        return rule.recipients()
    users = get_user_model().objects.filter(
        pk__in=Membership.objects.filter(enterprise_id=rule.enterprise_id,
                                         role__in=[Role.ENERGY_MANAGER, Role.ENTERPRISE_ADMIN]).values("user_id"),
        is_active=True).exclude(email="").order_by("email")
    return list(users.values_list("email", flat=True))


def alerts_notify(*, now: dt.datetime | None = None) -> int:
    """E-mail every active alert not yet sent (Django's mail framework, EMAIL_BACKEND). A failed send leaves the alert
    unsent, so the next evaluation tries again."""
    now = now or timezone.now()
    sent = 0
    pending = Alert.objects.filter(emailed_at__isnull=True, resolved_at__isnull=True).select_related(
        "rule", "site", "meter", "enterprise").order_by("pk")
    for alert in pending:
        to = _recipients(alert.rule)
        if not to:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject, body_main = alert_subject(alert), alert_text(alert)
        with translation.override("en"):
            body_en = alert_text(alert)
        body = body_main if body_en == body_main else f"{body_main}\n\n{body_en}"
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
        except OSError:
            log.warning("alert %s: e-mail to %s failed; retried at the next evaluation", alert.pk, to, exc_info=True)
            continue
        Alert.objects.filter(pk=alert.pk).update(emailed_at=now, emailed_to=", ".join(to))
        sent += 1
    return sent


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user, note: str = "", request=None) -> Alert:
    """Record that an energy manager or admin of the alert's enterprise has seen the alert."""
    if not tenancy.has_role(user, alert.enterprise_id, Role.ENERGY_MANAGER):
        raise ApplicationError("permission_denied", "Only energy managers and admins acknowledge alerts.",
                               status_code=403)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.OPEN:
        raise ApplicationError("not_open", f"The alert is {alert.status}, not open.", status_code=409)
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = user
    alert.acknowledgement_note = (note or "")[:500]
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement_note"])
    audit_record(actor=user, action="alert.acknowledge", obj=alert, detail={"note": alert.acknowledgement_note},
                 request=request)
    return alert
