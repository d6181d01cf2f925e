"""Review of ingestion anomalies: accepting a held register reset stores the reading it held back."""

from __future__ import annotations

from django.db import transaction

from meters.models import Reading, RegisterEvent, ReviewStatus

from .ingest.dirty import dirty_pairs, dirty_pairs_mark
from .ingest.validate import MeterInfo, ValidRow


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
        dirty_pairs_mark(dirty_pairs(site=meter.site, readings=[row], meters={meter.pk: info}))
    event.status = ReviewStatus.RESOLVED
    event.save(update_fields=["status"])
    return stored
