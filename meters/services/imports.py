"""Uploads of readings and monthly bills (CSV or XLSX) by energy managers: create → validate (preview) → commit.

Public API (used by the REST endpoints in meters/apis_imports.py and by the web UI):
- `import_job_create(*, site, kind, uploaded_file, user, enqueue) -> ImportJob`: stores the file; validation runs in
  a Celery task (status `validating` → `preview`, or `invalid` when the file cannot be read).
- `import_job_preview(*, job) -> dict`: status, progress and the rejected rows found by validation (nothing written).
- `import_job_commit(*, job, user, enqueue) -> ImportJob`: status `queued`; a Celery task ingests the file in chunks of
  CHUNK_ROWS through `readings_ingest` (status `running`, `processed_rows`/`total_rows`, then `done`).

Readings files have the header `meter,ts,value` (ts with UTC offset; XLSX date cells carry none and are read in the
site's time zone). Bills files have `meter,period_start,period_end,quantity,amount_cny,document_no`: each row is
stored as a Bill and its quantity as an interval reading at the local start of the period (00:00 of period_start in
the site's time zone), so rollups and accounting include it; the meter must be an interval meter.

`enqueue` is the task's `delay` (meters.tasks), passed in by the adapter: the tasks import these services, so the
services do not import the tasks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from energy_platform.errors import ApplicationError
from energy_platform.uploads import upload_commit, upload_file_name, upload_run
from meters.models import Bill, ImportJob

from .ingest import RawRow, readings_ingest
from .ingest.validate import meters_resolve, rows_validate

CHUNK_ROWS = 5000
PREVIEW_LIMIT = 1000
READINGS_HEADER = ["meter", "ts", "value"]
BILLS_HEADER = ["meter", "period_start", "period_end", "quantity", "amount_cny", "document_no"]


# ---------------------------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------------------------

def _records(job: ImportJob) -> Iterator[tuple[int, list]]:
    """Yield (line number, cells) for each data row; raise ApplicationError when the file cannot be read."""
    expected = READINGS_HEADER if job.kind == ImportJob.Kind.READINGS else BILLS_HEADER
    name = (job.original_name or job.file.name or "").lower()
    with job.file.open("rb") as fh:
        if name.endswith(".xlsx"):
            import openpyxl

            try:
                wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            except Exception as exc:  # noqa: BLE001  (openpyxl raises many types for a bad file)
                raise ApplicationError("unreadable_file", f"The XLSX file cannot be read: {exc}.") from exc
            try:
                rows = wb.worksheets[0].iter_rows(values_only=True)
                header = [str(c or "").strip().lower() for c in next(rows, [])]
                _check_header(header, expected)
                for line, cells in enumerate(rows, start=2):
                    if cells and any(c not in (None, "") for c in cells):
                        yield line, list(cells)
            finally:
                wb.close()
        else:
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
            try:
                reader = csv.reader(text)
                header = [h.strip().lower() for h in next(reader, [])]
                _check_header(header, expected)
                for line, cells in enumerate(reader, start=2):
                    if any(c.strip() for c in cells):
                        yield line, cells
            except (csv.Error, UnicodeDecodeError) as exc:
                raise ApplicationError("unreadable_file", f"The CSV file cannot be read: {exc}.") from exc


def _check_header(header: list[str], expected: list[str]) -> None:
    need = expected if expected is READINGS_HEADER else expected[:4]
    if header[: len(need)] != need:
        raise ApplicationError("bad_header", f"The first row must be {','.join(expected)}; got {','.join(header)}.")


def _chunks(job: ImportJob) -> Iterator[list[tuple[int, list]]]:
    chunk: list[tuple[int, list]] = []
    for rec in _records(job):
        chunk.append(rec)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cell(cells: list, i: int):
    return cells[i] if i < len(cells) else None


def _ts_text(value, tz: zoneinfo.ZoneInfo):
    """XLSX date cells have no offset: read them in the site's time zone. Text stays as given (must carry one)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).isoformat()
    return value


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _bill_parse(line: int, cells: list, tz) -> tuple[RawRow, dict | None, tuple[str, str] | None]:
    """A bill row as (the interval reading it implies, the bill fields, or a row error (code, detail))."""
    meter = _cell(cells, 0)
    meter = str(meter).strip() if meter is not None else None
    start, end = _date(_cell(cells, 1)), _date(_cell(cells, 2))
    quantity = _cell(cells, 3)
    if start is None or end is None:
        return RawRow(line, meter, None, quantity), None, ("invalid_period", "period_start and period_end must be "
                                                           "dates (YYYY-MM-DD).")
    if end < start:
        return RawRow(line, meter, None, quantity), None, ("invalid_period", "period_end is before period_start.")
    amount = _cell(cells, 4)
    try:
        amount = Decimal(str(amount).strip()) if amount not in (None, "") else None
        if amount is not None and not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        return RawRow(line, meter, None, quantity), None, ("invalid_amount", "amount_cny is not a number.")
    ts = dt.datetime.combine(start, dt.time(0), tzinfo=tz).isoformat()
    fields = {"period_start": start, "period_end": end, "amount_cny": amount,
              "document_no": str(_cell(cells, 5) or "").strip()[:64]}
    return RawRow(line, meter, ts, quantity), fields, None


def _chunk_rows(job: ImportJob, chunk, tz):
    """RawRows for the ingestion service, the bill fields by line, and bill-specific row errors."""
    rows, bills, errors = [], {}, []
    for line, cells in chunk:
        if job.kind == ImportJob.Kind.READINGS:
            meter = _cell(cells, 0)
            rows.append(RawRow(line, str(meter).strip() if meter is not None else None,
                               _ts_text(_cell(cells, 1), tz), _cell(cells, 2)))
            continue
        raw, fields, err = _bill_parse(line, cells, tz)
        if err:
            errors.append({"index": line, "meter": raw.meter or "", "code": err[0], "detail": err[1]})
        else:
            rows.append(raw)
            bills[line] = fields
    return rows, bills, errors


def _interval_only(job: ImportJob, rows: list[RawRow], meters) -> tuple[list[RawRow], list[dict]]:
    if job.kind != ImportJob.Kind.BILLS:
        return rows, []
    kept, errors = [], []
    for r in rows:
        info = meters.get(r.meter)
        if info is not None and info.cumulative:
            errors.append({"index": r.index, "meter": r.meter, "code": "meter_not_interval",
                           "detail": "A bill quantity needs an interval meter, not a cumulative register."})
        else:
            kept.append(r)
    return kept, errors


# ---------------------------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------------------------

def import_job_create(*, site, kind: str, uploaded_file, user, enqueue: Callable[[int], object]) -> ImportJob:
    """Store an upload and enqueue its validation, `enqueue(job.pk)` after the commit (never inside the request)."""
    if kind not in ImportJob.Kind.values:
        raise ApplicationError("invalid_kind", f"kind must be one of {', '.join(ImportJob.Kind.values)}.")
    name = upload_file_name(uploaded_file)
    with transaction.atomic():
        job = ImportJob.objects.create(site=site, kind=kind, file=uploaded_file, original_name=name,
                                       created_by=user, status=ImportJob.Status.VALIDATING)
        audit_record(actor=user, action="import.create", obj=job, detail={"kind": kind, "file": name})
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """Validate every row without writing readings; keep the first PREVIEW_LIMIT rejected rows for the preview."""
    job = ImportJob.objects.select_related("site").get(pk=job_id)
    if job.status != ImportJob.Status.VALIDATING:
        return job  # already validated (task retried)
    tz = zoneinfo.ZoneInfo(job.site.timezone)
    now = timezone.now()
    total, rejected = 0, 0
    shown: list[dict] = []
    try:
        for chunk in _chunks(job):
            total += len(chunk)
            rows, _bills, errors = _chunk_rows(job, chunk, tz)
            meters = meters_resolve(site=job.site, gateway=None, codes=(r.meter for r in rows))
            rows, kind_errors = _interval_only(job, rows, meters)
            _valid, bad = rows_validate(rows, meters, now)
            from .ingest.types import ROW_ERROR_DETAILS

            errors += kind_errors + [
                {"index": raw.index, "meter": raw.meter if isinstance(raw.meter, str) else "", "code": str(code),
                 "detail": detail or ROW_ERROR_DETAILS[code]} for raw, code, detail in bad]
            rejected += len(errors)
            shown += sorted(errors, key=lambda e: e["index"])[: max(0, PREVIEW_LIMIT - len(shown))]
    except ApplicationError as exc:
        job.status, job.error = ImportJob.Status.INVALID, exc.detail
        job.save(update_fields=["status", "error"])
        return job
    job.total_rows, job.status = total, ImportJob.Status.PREVIEW
    job.preview = {"rows": total, "rejected_count": rejected, "valid_count": total - rejected,
                   "rejected": shown, "truncated": rejected > len(shown)}
    job.save(update_fields=["total_rows", "status", "preview"])
    return job


def import_job_preview(*, job: ImportJob) -> dict:
    """What the upload page shows: status, progress and the rejected rows found by validation."""
    return {"id": job.pk, "site": job.site_id, "kind": job.kind, "file": job.original_name, "status": job.status,
            "total_rows": job.total_rows, "processed_rows": job.processed_rows, "accepted": job.accepted,
            "duplicates": job.duplicates, "conflicts": job.conflicts, "rejected": job.rejected,
            "error": job.error, "preview": job.preview, "created_at": job.created_at, "finished_at": job.finished_at}


def import_job_commit(*, job: ImportJob, enqueue: Callable[[int], object], user=None) -> ImportJob:
    """Queue the ingestion of a validated upload (`enqueue(job.pk)`, a Celery task's delay, after this transaction
    commits)."""
    def audit(queued) -> None:
        audit_record(actor=user, action="import.commit", obj=queued, detail={"kind": queued.kind})

    return upload_commit(job, enqueue=enqueue, refusal="This import is {status}; only a validated import "
                         "(status preview) can be committed.", on_queued=audit)


def import_job_run(*, job_id: int) -> ImportJob:
    """Ingest the file chunk by chunk; each chunk and its progress update commit together, so a retried task
    resumes after the last committed chunk and never writes a row twice."""

    def write(job: ImportJob) -> None:
        tz = zoneinfo.ZoneInfo(job.site.timezone)
        seen = 0
        for chunk in _chunks(job):
            seen += len(chunk)
            if seen <= job.processed_rows:
                continue  # committed by an earlier run of this task
            _ingest_chunk(job, chunk, tz)

    return upload_run(ImportJob.objects.select_related("site").get(pk=job_id), write)


@transaction.atomic
def _ingest_chunk(job: ImportJob, chunk, tz) -> None:
    rows, bills, errors = _chunk_rows(job, chunk, tz)
    meters = meters_resolve(site=job.site, gateway=None, codes=(r.meter for r in rows))
    rows, kind_errors = _interval_only(job, rows, meters)
    result = readings_ingest(site=job.site, rows=rows, source="upload")
    if bills:
        refused = {e["index"] for e in result.rejected} | {e["index"] for e in result.conflict_rows}
        Bill.objects.bulk_create(
            [Bill(meter_id=meters[str(r.meter)].id, import_job=job, quantity=Decimal(str(r.value).strip()),
                  **bills[r.index])
             for r in rows if r.index not in refused],
            update_conflicts=True, unique_fields=["meter", "period_start"],
            update_fields=["period_end", "quantity", "amount_cny", "document_no", "import_job"],
        )
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + len(chunk), accepted=F("accepted") + result.accepted,
        duplicates=F("duplicates") + result.duplicates, conflicts=F("conflicts") + result.conflicts,
        rejected=F("rejected") + len(result.rejected) + len(errors) + len(kind_errors),
    )


