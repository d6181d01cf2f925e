"""UI write services: data-quality resolution (acknowledge a rejected row or a gap, resolve a conflicting reading,
enter an estimated reading), bills and fuel purchases by form, targets, and background uploads of monthly data.

Estimated readings are stored as `Reading(estimated=True)`; the rollups count them in `estimated_intervals`, and the
meter tree, the data-quality page and the meter chart mark days and months holding estimates. An estimate never
overwrites a measured reading. Writes outside the API viewsets and the admin are recorded with `audit_record`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from carbon.models import Target
from energy_platform.errors import ApplicationError
from energy_platform.uploads import upload_commit, upload_file_name, upload_run
from meters.hooks import readings_stored
from meters.models import Bill, Meter, Reading, ReadingConflict, RejectedRow, ReviewStatus
from meters.rollup import rollup_meter_days
from plants.models import Enterprise
from plants.services import monthly_data_import, monthly_mapping_clean, monthly_records_import, monthly_records_read

from .models import GapAcknowledgement, MonthlyUpload

UPLOAD_MAX_BYTES = 8 * 1024 * 1024
#: Rows saved per transaction by a monthly upload; the progress bar advances by chunk.
CHUNK_ROWS = 100

log = logging.getLogger("ui.quality")


def rejected_row_acknowledge(*, row: RejectedRow, user) -> RejectedRow:
    """Mark a rejected ingestion row as seen (it stays listed in the batch, no longer as an open issue)."""
    if row.acknowledged_at is None:
        row.acknowledged_at = timezone.now()
        row.save(update_fields=["acknowledged_at"])
        log.info("rejected row %s acknowledged by %s", row.pk, user.pk)
        audit_record(actor=user, action="quality.rejected_row.acknowledge", obj=row.batch,
                     detail={"row": row.pk, "code": row.code})
    return row


def gap_acknowledge(*, meter: Meter, day_start: dt.datetime, note: str, user) -> GapAcknowledgement:
    """Accept a meter-day with missing intervals as it is (`day_start` = the day rollup's bucket_start): it leaves the
    open gaps of the data-quality page."""
    ack, created = GapAcknowledgement.objects.get_or_create(
        meter=meter, day_start=day_start, defaults={"note": (note or "").strip()[:300], "acknowledged_by": user})
    if created:
        audit_record(actor=user, action="quality.gap.acknowledge", obj=meter,
                     detail={"day_start": day_start, "note": ack.note})
    return ack


@transaction.atomic
def conflict_resolve(*, conflict: ReadingConflict, take_offered: bool, user) -> ReadingConflict:
    """Decide a conflicting reading: keep the stored value, or replace it by the offered one (the meter's rollups of
    that local day and the next — a register delta may cross midnight — are recomputed)."""
    conflict = ReadingConflict.objects.select_for_update().select_related("meter__site").get(pk=conflict.pk)
    if conflict.status == ReviewStatus.RESOLVED:
        raise ApplicationError("already_resolved", _("This conflict is already resolved."), status_code=409)
    if take_offered:
        updated = Reading.objects.filter(meter_id=conflict.meter_id, ts=conflict.ts).update(
            value=conflict.offered_value, estimated=False)
        if not updated:
            Reading.objects.create(meter_id=conflict.meter_id, ts=conflict.ts, value=conflict.offered_value)
        day = timezone.localtime(conflict.ts, timezone=_tz(conflict.meter.site.timezone)).date()
        readings_stored(meter_days=[(conflict.meter_id, day)])  # a closed month: restatement pending at once
        transaction.on_commit(lambda: rollup_meter_days(
            meter_days={conflict.meter_id: {day, day + dt.timedelta(days=1)}}))
    conflict.status = ReviewStatus.RESOLVED
    conflict.save(update_fields=["status"])
    audit_record(actor=user, action="quality.conflict.resolve", obj=conflict.meter,
                 detail={"conflict": conflict.pk, "ts": conflict.ts, "stored": conflict.stored_value,
                         "offered": conflict.offered_value, "kept": "offered" if take_offered else "stored"})
    return conflict


def reading_estimate(*, meter: Meter, ts: dt.datetime, value: float, reason: str, user) -> Reading:
    """Store an estimated reading where none exists, then recompute that meter-day's rollups."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("reason_required", _("An estimate needs a reason."))
    if value < 0 and meter.reading_kind == Meter.ReadingKind.INTERVAL:
        raise ApplicationError("invalid_value", _("An interval quantity cannot be negative."))
    # The gateways' tolerance for clock skew (meters.services.ingest): an estimate fills a past gap.
    if ts > timezone.now() + dt.timedelta(seconds=settings.INGEST_FUTURE_TOLERANCE_SECONDS):
        raise ApplicationError("timestamp_in_future", _("An estimate cannot be dated in the future."))
    with transaction.atomic():
        if Reading.objects.filter(meter=meter, ts=ts).exists():
            raise ApplicationError("reading_exists", _("A reading already exists at this time."), status_code=409)
        reading = Reading.objects.create(meter=meter, ts=ts, value=value, estimated=True)
        day = timezone.localtime(ts, timezone=_tz(meter.site.timezone)).date()
        readings_stored(meter_days=[(meter.pk, day)])  # a closed month: restatement pending at once
    rollup_meter_days(meter_days={meter.pk: {day}})
    log.info("estimate meter=%s ts=%s value=%s by %s: %s", meter.pk, ts.isoformat(), value, user.pk, reason)
    audit_record(actor=user, action="quality.estimate.create", obj=meter,
                 detail={"ts": ts, "value": value, "reason": reason})
    return reading


def bill_record(*, meter: Meter, period_start: dt.date, period_end: dt.date, quantity: Decimal,
                amount_cny: Decimal | None, document_no: str, user) -> Bill:
    """A bill or fuel purchase entered by form, stored like a row of a bills upload (meters.services.imports): the
    Bill, and its quantity as an interval reading at 00:00 of period_start in the site's time zone, so that rollups
    and accounting include it. A different reading already stored at that time is a conflict (409), never
    overwritten; the same bill entered again only updates amount and document number. The caller rolls up after it
    (meters.tasks.rollups_after_write), since services do not import tasks."""
    from meters.services.ingest import RawRow, readings_ingest

    if meter.reading_kind != Meter.ReadingKind.INTERVAL:
        raise ApplicationError("meter_not_interval", _("A bill quantity needs an interval meter, not a cumulative "
                                                       "register."))
    if period_end < period_start:
        raise ApplicationError("invalid_period", _("The period ends before it starts."))
    if quantity < 0:
        raise ApplicationError("invalid_value", _("The quantity cannot be negative."))
    ts = dt.datetime.combine(period_start, dt.time(0), tzinfo=_tz(meter.site.timezone))
    with transaction.atomic():
        result = readings_ingest(site=meter.site, rows=[RawRow(1, meter.code, ts.isoformat(), str(quantity))],
                                 source="form")
        if result.rejected:
            raise ApplicationError(result.rejected[0].get("code", "rejected"), result.rejected[0].get("detail", ""))
        if result.conflicts:
            raise ApplicationError("reading_conflict", _("Another quantity is already stored for this meter and "
                                                         "period start; resolve it on the data-quality page."),
                                   status_code=409)
        bill, _created = Bill.objects.update_or_create(
            meter=meter, period_start=period_start,
            defaults={"period_end": period_end, "quantity": quantity, "amount_cny": amount_cny,
                      "document_no": (document_no or "").strip()[:64]})
        audit_record(actor=user, action="bill.record", obj=bill,
                     detail={"meter": meter.code, "period_start": period_start, "quantity": quantity})
    return bill


def target_save(*, enterprise: Enterprise, data: dict, user, target: Target | None = None) -> Target:
    """Create or change a reduction target of the enterprise (or of one of its sites)."""
    site = data.get("site")
    if site is not None and site.enterprise_id != enterprise.pk:
        raise ApplicationError("invalid_site", _("The site belongs to another enterprise."))
    if data["target_year"] <= data["baseline_year"]:
        raise ApplicationError("invalid_years", _("The target year must come after the baseline year."))
    if not (Decimal(0) < data["reduction_pct"] < Decimal(100)):
        raise ApplicationError("invalid_reduction", _("The reduction must be between 0 and 100 %."))
    created = target is None
    target = target or Target(enterprise=enterprise)
    for field in ("site", "indicator", "baseline_year", "baseline_value", "target_year", "reduction_pct", "note"):
        setattr(target, field, data.get(field))
    target.note = target.note or ""
    target.save()
    audit_record(actor=user, action="target.create" if created else "target.update", obj=target,
                 detail={k: data.get(k) for k in ("indicator", "baseline_year", "baseline_value", "target_year",
                                                  "reduction_pct")})
    return target


# ---------------------------------------------------------------------------------------------------------------
# Background uploads of monthly value added / product output
# ---------------------------------------------------------------------------------------------------------------

def monthly_upload_create(*, enterprise: Enterprise, kind: str, uploaded_file, user,
                          enqueue: Callable[[int], object], decimal_comma: bool = False,
                          mapping: dict | None = None) -> MonthlyUpload:
    """Store the file with its mapping (plants.services.monthly_mapping_clean; empty: the plain layout) and enqueue
    its validation: `enqueue(pk)` (ui.tasks' `delay`, passed in by the view, since the tasks import these services)
    after the commit, never inside the request."""
    if kind not in MonthlyUpload.Kind.values:
        raise ApplicationError("invalid_kind", _("Unknown kind of upload."))
    cleaned = monthly_mapping_clean(mapping=mapping, kind=kind)
    if cleaned:
        decimal_comma = bool(cleaned["decimal_comma"])
    name = upload_file_name(uploaded_file)
    if uploaded_file.size > UPLOAD_MAX_BYTES:
        raise ApplicationError("file_too_large", _("The file is larger than 8 MB."), status_code=413)
    with transaction.atomic():
        upload = MonthlyUpload.objects.create(enterprise=enterprise, kind=kind, original_name=name,
                                              data=uploaded_file.read(), created_by=user,
                                              decimal_comma=decimal_comma, mapping=cleaned)
        transaction.on_commit(lambda: enqueue(upload.pk))
    return upload


def monthly_upload_validate(*, upload_id: int) -> MonthlyUpload:
    """Validate every row (nothing written): counts and the rejected rows with their reasons for the preview."""
    upload = MonthlyUpload.objects.select_related("created_by").get(pk=upload_id)
    if upload.status != MonthlyUpload.Status.VALIDATING:
        return upload
    try:
        result = monthly_data_import(kind=upload.kind, name=upload.original_name, data=bytes(upload.data),
                                     user=upload.created_by, commit=False, decimal_comma=upload.decimal_comma,
                                     mapping=upload.mapping or None)
    except ApplicationError as exc:
        upload.status, upload.error, upload.finished_at = MonthlyUpload.Status.INVALID, exc.detail, timezone.now()
        upload.save(update_fields=["status", "error", "finished_at"])
        return upload
    upload.status, upload.total_rows = MonthlyUpload.Status.PREVIEW, result["rows"]
    upload.preview = {"rows": result["rows"], "valid": result["valid"], "rejected": result["rejected"],
                      "sample": result["sample"]}
    upload.save(update_fields=["status", "total_rows", "preview"])
    return upload


def monthly_upload_commit(*, upload: MonthlyUpload, user, enqueue: Callable[[int], object]) -> MonthlyUpload:
    """Queue the saving of a validated upload's valid rows (`enqueue(pk)`, a task's delay, after the commit)."""
    def audit(upload: MonthlyUpload) -> None:
        audit_record(actor=user, action="upload.monthly.commit", obj=upload,
                     detail={"kind": upload.kind, "file": upload.original_name, "rows": upload.total_rows})

    return upload_commit(upload, enqueue=enqueue, refusal=_("Only a validated upload can be saved."),
                         on_queued=audit)


def monthly_upload_run(*, upload_id: int) -> MonthlyUpload:
    """Save the file's valid values CHUNK_ROWS at a time through `monthly_records_import(commit=True)`; each chunk
    and its progress commit together, so a retried task resumes after the last committed chunk and never saves a row
    twice. Row numbers of refused rows are those of the file (header = row 1), as in the preview."""

    def write(upload: MonthlyUpload) -> None:
        body = monthly_records_read(kind=upload.kind, name=upload.original_name, data=bytes(upload.data),
                                    mapping=upload.mapping or None)
        for offset in range(0, len(body), CHUNK_ROWS):
            if offset < upload.processed_rows:
                continue  # committed by an earlier run of this task
            chunk = body[offset:offset + CHUNK_ROWS]
            with transaction.atomic():
                result = monthly_records_import(kind=upload.kind, records=chunk, user=upload.created_by,
                                                commit=True, decimal_comma=upload.decimal_comma)
                refused = result["rejected"]
                MonthlyUpload.objects.filter(pk=upload.pk).update(
                    processed_rows=F("processed_rows") + len(chunk), saved=F("saved") + result["created"],
                    rejected=upload.rejected + refused)
                upload.rejected = upload.rejected + refused

    return upload_run(MonthlyUpload.objects.select_related("created_by").get(pk=upload_id), write)


def _tz(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
