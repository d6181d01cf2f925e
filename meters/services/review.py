"""Review of ingestion anomalies: accepting a held register reset stores the reading it held back; filling a gap
over a range with estimates (linear for registers, a weekday profile for interval meters)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from energy_platform.errors import ApplicationError
from meters.models import GapFill, IngestBatch, Meter, Reading, RegisterEvent, ReviewStatus
from meters.rollup import rollup_sweep

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from .ingest.dirty import dirty_pairs, dirty_pairs_mark
from .ingest.validate import MeterInfo, ValidRow
from .ingest.write import REGISTER_LOOKBACK_DAYS
from .partitions import reading_partitions_for


@transaction.atomic
def register_reset_accept(*, event: RegisterEvent) -> bool:
    """Confirm a reset/anomaly (e.g. a meter exchange): store the held reading as the register's new baseline and mark
    its meter-days dirty; the event becomes resolved. Later readings are then compared with this value. Returns
    False when the event is not an open/acknowledged reset or a reading already exists at that time."""
    event = RegisterEvent.objects.select_for_update().select_related("meter__site").get(pk=event.pk)
    if event.kind != RegisterEvent.Kind.RESET or event.status == ReviewStatus.RESOLVED:
        return False
    created = Reading.objects.bulk_create(
        [Reading(meter_id=event.meter_id, ts=event.ts, value=event.value, batch_id=event.batch_id)],
        ignore_conflicts=True)
    stored = Reading.objects.filter(meter_id=event.meter_id, ts=event.ts, value=event.value).exists()
    if created and stored:
        meter = event.meter
        info = MeterInfo(meter.pk, True, None, meter.active_from, meter.active_to, True, meter.interval_minutes)
        row = ValidRow(0, meter.pk, event.ts, event.value)
        dirty_pairs_mark(dirty_pairs(site=meter.site, readings=[row], meters={meter.pk: info}), site=meter.site)
    event.status = ReviewStatus.RESOLVED
    event.save(update_fields=["status"])
    return stored


# ---------------------------------------------------------------------------------------------------------------
# Gap filling over a range, in one action
# ---------------------------------------------------------------------------------------------------------------

#: The longest range one gap fill covers (a month of quarter-hours is 2,976 readings).
GAP_FILL_MAX_DAYS = 31
#: Weeks looked back for the profile of an interval meter (the same weekday and time of day).
GAP_FILL_PROFILE_WEEKS = 4


def _slots_sql(*, pg: bool, first: dt.datetime, n: int, step_minutes: int) -> tuple[str, list[Any]]:
    """A subquery `s(i, ts)` of the n slots first + i*step (generate_series on PostgreSQL, a recursive CTE on the
    embedded SQLite default), with its parameters."""
    if pg:
        return ("(SELECT i, %s::timestamptz + i * make_interval(mins => %s) AS ts "
                "FROM generate_series(0, %s) AS g(i)) s", [first, step_minutes, n - 1])
    start = connection.ops.adapt_datetimefield_value(first)
    return ("(WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i + 1 < %s) "
            "SELECT i, datetime(%s, '+' || (i * %s) || ' minutes') AS ts FROM g) s", [n, start, step_minutes])


def _profile_sql(*, pg: bool, tz: str) -> tuple[str, list[Any]]:
    """The average measured value of the same local weekday and time in the previous weeks, per slot `s.ts`."""
    if pg:
        return ("(SELECT AVG(r.value) FROM meters_reading r WHERE r.meter_id = %s AND NOT r.estimated AND r.ts IN ("
                "SELECT ((s.ts AT TIME ZONE %s) - make_interval(days => 7 * k)) AT TIME ZONE %s "
                "FROM generate_series(1, %s) AS w(k)))", [tz, tz, GAP_FILL_PROFILE_WEEKS])
    weeks = ", ".join(f"datetime(s.ts, '-{7 * k} days')" for k in range(1, GAP_FILL_PROFILE_WEEKS + 1))
    return (f"(SELECT AVG(r.value) FROM meters_reading r WHERE r.meter_id = %s AND r.estimated = 0 "  # noqa: S608
            f"AND r.ts IN ({weeks}))", [])


def _aligned(meter: Meter, ts: dt.datetime) -> bool:
    """On the meter's interval grid: whole minutes since local midnight divisible by its interval."""
    local = timezone.localtime(ts, timezone=zoneinfo.ZoneInfo(meter.site.timezone))
    return local.second == 0 and local.microsecond == 0 and (local.hour * 60 + local.minute) % \
        meter.interval_minutes == 0


def readings_gap_fill(*, meter: Meter, start: dt.datetime, end: dt.datetime, reason: str,
                      user: User | None = None,
                      now: dt.datetime | None = None) -> GapFill:
    """Fill the empty range [start, end] of a meter with estimated readings in one action.

    - Cumulative register: linear between the register values around the range (the last reading at or before
      `start`, the first at or after `end`); a reading is estimated at every grid time strictly between them
      inside the range, so 100 at 00:00 and 148 at 12:00 give 47 readings 101 … 147 (48 quarter-hours of +1).
    - Interval meter: every interval starting in [start, end) gets the average measured quantity of the same local
      weekday and time in the previous GAP_FILL_PROFILE_WEEKS weeks.
    Refused ({"code","detail"}) when a reading exists where an estimate would go, or the range cannot be filled.
    The readings are generated in SQL, stored with estimated=True and the fill's batch, marked dirty like any
    ingestion, and rolled up by the sweep."""
    reason = (reason or "").strip()[:300]
    now = now or timezone.now()
    ivl = meter.interval_minutes
    if not reason:
        raise ApplicationError("reason_required", _("A gap fill needs a reason."))
    if ivl > 1440:
        raise ApplicationError("meter_not_fillable", _("Only meters read at least daily can be gap-filled; enter "
                                                       "bills and deliveries as such."))
    if end <= start:
        raise ApplicationError("invalid_range", _("The end of the range must come after its start."))
    if end - start > dt.timedelta(days=GAP_FILL_MAX_DAYS):
        raise ApplicationError("range_too_long", _("A gap fill covers at most %(days)d days.")
                               % {"days": GAP_FILL_MAX_DAYS})
    if end > now + dt.timedelta(seconds=settings.INGEST_FUTURE_TOLERANCE_SECONDS):
        raise ApplicationError("timestamp_in_future", _("A gap cannot be filled in the future."))
    if not (_aligned(meter, start) and _aligned(meter, end)):
        raise ApplicationError("not_on_meter_interval", _("Start and end must lie on the meter's %(minutes)d-minute "
                                                          "intervals.") % {"minutes": ivl})
    if start < meter.active_from or (meter.active_to is not None and end > meter.active_to):
        raise ApplicationError("meter_inactive", _("The meter is not active over the whole range."))
    cumulative = meter.reading_kind == Meter.ReadingKind.CUMULATIVE
    before = after = None
    step = dt.timedelta(minutes=ivl)
    inside = Reading.objects.filter(meter=meter, ts__gt=start, ts__lt=end) if cumulative else \
        Reading.objects.filter(meter=meter, ts__gte=start, ts__lt=end)
    if (found := inside.count()):
        raise ApplicationError("readings_in_range", _("%(count)d readings already exist in this range: a gap fill "
                                                      "only fills a range without readings.") % {"count": found},
                               status_code=409)
    pg = connection.vendor == "postgresql"
    params: list[Any]
    if cumulative:
        lookback = dt.timedelta(days=REGISTER_LOOKBACK_DAYS)
        before = Reading.objects.filter(meter=meter, ts__lte=start, ts__gte=start - lookback).order_by("-ts").first()
        after = Reading.objects.filter(meter=meter, ts__gte=end, ts__lte=end + lookback).order_by("ts").first()
        if before is None or after is None:
            raise ApplicationError("no_register_values", _("Linear filling needs a register reading at or before "
                                                           "the start and one at or after the end."))
        if after.value < before.value:
            raise ApplicationError("register_backwards", _("The register is lower after the gap than before it; "
                                                           "review the reset first."))
        first = max(start, before.ts + step)
        last = min(end, after.ts - step)
        method = GapFill.Method.LINEAR
    else:
        first, last = start, end - step
        method = GapFill.Method.PROFILE
    n = int((last - first) / step) + 1 if last >= first else 0
    if n <= 0:
        raise ApplicationError("nothing_to_fill", _("There is no empty interval in this range."))
    slots, slot_params = _slots_sql(pg=pg, first=first, n=n, step_minutes=ivl)
    if cumulative:
        assert before is not None and after is not None  # checked above
        span = (after.ts - before.ts).total_seconds()
        offset = (first - before.ts).total_seconds()
        # v0 + Δv × (seconds from the reading before) / span: multiplied before divided, so whole steps stay exact.
        value_sql = "%s + %s * (%s + s.i * %s) / %s"
        params = [before.value, after.value - before.value, offset, ivl * 60, span]
    else:
        value_sql, profile_params = _profile_sql(pg=pg, tz=meter.site.timezone)
        params = [meter.pk, *profile_params]
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {slots} WHERE {value_sql} IS NULL",  # noqa: S608
                        [*slot_params, *params])
            (missing,) = cur.fetchone()
        if missing:
            raise ApplicationError("no_profile", _("%(count)d of %(total)d intervals have no measured value on the "
                                                   "same weekday and time in the previous %(weeks)d weeks.")
                                   % {"count": missing, "total": n, "weeks": GAP_FILL_PROFILE_WEEKS})
    if pg:
        reading_partitions_for(timestamps_min=first, timestamps_max=first + step * (n - 1))
    with transaction.atomic():
        batch = IngestBatch.objects.create(site=meter.site, source="estimate", rows=n, accepted=n)
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO meters_reading (meter_id, ts, value, batch_id, estimated) "  # noqa: S608
                        f"SELECT %s, s.ts, {value_sql}, %s, {'true' if pg else '1'} FROM {slots} "
                        "WHERE 1 = 1 ORDER BY s.ts ON CONFLICT (meter_id, ts) DO NOTHING",
                        [meter.pk, *params, batch.pk, *slot_params])
            if cur.rowcount != n:  # a reading arrived meanwhile: refuse the whole fill
                raise ApplicationError("readings_in_range", _("Readings arrived in this range meanwhile; nothing was "
                                                              "filled."), status_code=409)
        fill = GapFill.objects.create(meter=meter, start=start, end=end, method=method, reason=reason, readings=n,
                                      batch=batch, created_by=user)
        info = MeterInfo(meter.pk, cumulative, None, meter.active_from, meter.active_to, True, ivl)
        rows = [ValidRow(0, meter.pk, first + step * k, 0.0) for k in range(0, n, max(1, 1440 // ivl))]
        rows.append(ValidRow(0, meter.pk, first + step * (n - 1), 0.0))
        dirty_pairs_mark(dirty_pairs(site=meter.site, readings=rows, meters={meter.pk: info}), site=meter.site)
        audit_record(actor=user, action="quality.gap.fill", obj=meter,
                     detail={"fill": fill.pk, "start": start, "end": end, "method": method, "readings": n,
                             "reason": reason})
    rollup_sweep(meter_ids=[meter.pk])
    return fill
