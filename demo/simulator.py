"""A simulated gateway per demo site that keeps posting the current quarter-hour through the ingestion service (the
one the readings API calls after authenticating a gateway), with a few realistic faults:

- a silent meter (`SILENT_METER`): never posted, so its gap grows and the silent-meter rule fires;
- a conflict: on a whole hour an earlier interval of `CONFLICT_METER` is sent again with another value (a gateway
  that re-reads after a reconnect), which the data-quality page lists for review;
- a rejected row: the interval of `CONFLICT_METER` that starts on a whole hour first arrives negative (a reversed CT),
  refused as `negative_interval_quantity` and listed as a rejected row; the next batch resends it corrected.

One conflict and one rejected row wait for review at a time: the next comes the hour after the manager has resolved
or acknowledged the last, so the data-quality page always has one of each, not a pile.

Values follow the demo's own history: an interval meter repeats the same slot one week earlier, a register advances by
that slot's consumption one week earlier. Only meters read every hour or more often are simulated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from meters.models import Gateway, Meter, Reading, ReadingConflict, RejectedRow
from meters.services.gateways import gateway_provision
from meters.services.ingest import RawRow, readings_ingest
from plants.models import Enterprise, Site

from .loader import DEMO_CODE

GATEWAY_NAME = "sim-gw"
SILENT_METER = "RM-E-AUX"
CONFLICT_METER = "RM-E-W1"
#: How far back a tick fills a meter's missing intervals (a demo server that was stopped for a night catches up the
#: last hours; older days stay gaps, as they would after a real outage).
CATCH_UP = dt.timedelta(hours=6)
WEEK = dt.timedelta(days=7)


@dataclass
class TickResult:
    accepted: int = 0
    conflicts: int = 0
    rejected: int = 0
    batches: int = 0


def _floor(ts: dt.datetime, minutes: int) -> dt.datetime:
    step = minutes * 60
    return dt.datetime.fromtimestamp(int(ts.timestamp()) // step * step, tz=dt.UTC)


def _value_at(history: dict[dt.datetime, float], ts: dt.datetime) -> float | None:
    return history.get(ts - WEEK)


def _site_rows(site: Site, *, now: dt.datetime, silent: str, conflict: str) -> list[RawRow]:
    # One fault of each kind waits for review at a time: a new one only once the manager has dealt with the last.
    reject = not RejectedRow.objects.filter(batch__gateway__name=GATEWAY_NAME, batch__site=site, meter_code=conflict,
                                            acknowledged_at__isnull=True).exists()
    offer = not ReadingConflict.objects.filter(meter__site=site, meter__code=conflict, status="open").exists()
    meters = list(Meter.objects.filter(site=site, interval_minutes__lte=60, active_from__lte=now).exclude(
        code=silent).order_by("code"))
    last = dict(Reading.objects.filter(meter__in=meters).values("meter_id").annotate(ts=Max("ts")).values_list(
        "meter_id", "ts"))
    rows: list[RawRow] = []
    for meter in meters:
        step = dt.timedelta(minutes=meter.interval_minutes)
        cumulative = meter.reading_kind == Meter.ReadingKind.CUMULATIVE
        # An interval reading covers [ts, ts + step): only finished intervals are posted; a register is read now.
        newest = _floor(now, meter.interval_minutes) - (dt.timedelta(0) if cumulative else step)
        start = max((last.get(meter.pk) or newest - step) + step, newest - CATCH_UP)
        if start > newest:
            continue
        history = dict(Reading.objects.filter(meter=meter, ts__gte=start - WEEK - step, ts__lte=newest - WEEK)
                       .values_list("ts", "value"))
        previous = Reading.objects.filter(meter=meter, ts__lt=start).order_by("-ts").values_list("value", flat=True)
        register = previous.first() if cumulative else None
        ts = start
        while ts <= newest:
            week_ago = _value_at(history, ts)
            if cumulative:
                before = _value_at(history, ts - step)
                delta = (week_ago - before) if week_ago is not None and before is not None else None
                if delta is not None and delta < 0 and meter.rollover_value:  # the week-ago register wrapped
                    delta += float(meter.rollover_value)
                if register is not None and delta is not None and delta >= 0:
                    register = register + delta
                    if meter.rollover_value and register >= float(meter.rollover_value):
                        register -= float(meter.rollover_value)
                    rows.append(RawRow(len(rows), meter.code, ts.isoformat(), round(register, 3)))
            elif week_ago is not None:
                value = round(week_ago, 3)
                if reject and meter.code == conflict and ts == newest and ts.minute == 0:  # (whole-hour offsets)
                    value = -value if value else -1.0  # the hourly rejected row: a reversed CT
                rows.append(RawRow(len(rows), meter.code, ts.isoformat(), value))
            ts += step
    faulty = next((m for m in meters if m.code == conflict), None)
    if offer and faulty is not None and _floor(now, 60) == _floor(now, 15):
        # The hourly conflict: the interval before the last stored one, offered again 5 % higher.
        stored = Reading.objects.filter(meter=faulty, ts__lt=_floor(now, 15) - dt.timedelta(minutes=15)).order_by(
            "-ts").values_list("ts", "value").first()
        if stored is not None:
            rows.append(RawRow(len(rows), faulty.code, stored[0].isoformat(), round(stored[1] * 1.05 + 1, 3)))
    return rows


def demo_gateways(enterprise: Enterprise) -> dict[int, Gateway]:
    """The simulated gateway of each demo site, created (with a token nobody needs) when missing."""
    out = {}
    for site in enterprise.sites.order_by("code"):
        gateway = Gateway.objects.filter(site=site, name=GATEWAY_NAME).first()
        if gateway is None:
            gateway, _token = gateway_provision(site=site, name=GATEWAY_NAME)
        out[site.pk] = gateway
    return out


def demo_gateway_tick(*, now: dt.datetime | None = None, silent: str = SILENT_METER,
                      conflict: str = CONFLICT_METER) -> TickResult:
    """Post every demo site's new intervals up to `now` as one batch per site (idempotent per quarter-hour)."""
    now = now or timezone.now()
    result = TickResult()
    enterprise = Enterprise.objects.filter(credit_code=DEMO_CODE).first()
    if enterprise is None:
        return result
    slot = _floor(now, 15)
    for site_id, gateway in demo_gateways(enterprise).items():
        rows = _site_rows(gateway.site, now=now, silent=silent, conflict=conflict)
        if not rows:
            continue
        answer = readings_ingest(site=gateway.site, gateway=gateway, rows=rows, source="http:simulated",
                                 batch_key=f"{GATEWAY_NAME}-{site_id}-{timezone.localtime(slot):%Y%m%dT%H%M}",
                                 now=now)
        if answer.replayed:  # this quarter-hour's batch was posted already
            continue
        result.batches += 1
        result.accepted += answer.accepted
        result.conflicts += answer.conflicts
        result.rejected += len(answer.rejected)
    return result
