"""UI write services for data-quality resolution: acknowledge a rejected row; enter an estimated reading.

Estimated readings are stored as `Reading(estimated=True)`; the rollups count them in `estimated_intervals`, and the
meter tree marks months holding estimates. An estimate never overwrites a measured reading.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from energy_platform.errors import ApplicationError
from meters.models import Meter, Reading, RejectedRow
from meters.rollup import rollup_meter_days

log = logging.getLogger("ui.quality")


def rejected_row_acknowledge(*, row: RejectedRow, user) -> RejectedRow:
    """Mark a rejected ingestion row as seen (it stays listed in the batch, no longer as an open issue)."""
    if row.acknowledged_at is None:
        row.acknowledged_at = timezone.now()
        row.save(update_fields=["acknowledged_at"])
        log.info("rejected row %s acknowledged by %s", row.pk, user.pk)
    return row


def reading_estimate(*, meter: Meter, ts: dt.datetime, value: float, reason: str, user) -> Reading:
    """Store an estimated reading where none exists, then recompute that meter-day's rollups."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("reason_required", _("An estimate needs a reason."))
    if value < 0 and meter.reading_kind == Meter.ReadingKind.INTERVAL:
        raise ApplicationError("invalid_value", _("An interval quantity cannot be negative."))
    with transaction.atomic():
        if Reading.objects.filter(meter=meter, ts=ts).exists():
            raise ApplicationError("reading_exists", _("A reading already exists at this time."), status_code=409)
        reading = Reading.objects.create(meter=meter, ts=ts, value=value, estimated=True)
    day = timezone.localtime(ts, timezone=_tz(meter.site.timezone)).date()
    rollup_meter_days(meter_days={meter.pk: {day}})
    log.info("estimate meter=%s ts=%s value=%s by %s: %s", meter.pk, ts.isoformat(), value, user.pk, reason)
    return reading


def _tz(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
