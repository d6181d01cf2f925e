"""The one importer of CSV or XLSX files exported by meter vendors' software or the utility: readings and monthly
bills (value added and output are read with the same cell rules, energy_platform.tabular). create → validate
(preview) → commit.

Public API (used by the REST endpoints in meters/apis_imports.py and by the web UI):
- `import_mapping_clean(*, mapping, kind) -> dict`: a mapping as stored (defaults filled in), or ApplicationError.
- `import_preset_save(*, enterprise, name, kind, mapping, user) -> ImportPreset`: a named mapping, saved again
  under the same name replaces it.
- `import_job_create(*, site, kind, uploaded_file, user, enqueue, mapping=None, preset=None) -> ImportJob`: stores
  the file; validation runs in a Celery task (status `validating` → `preview`, or `invalid` when the file cannot be
  read with its mapping).
- `import_job_preview(*, job) -> dict`: status, progress, counts (new, already stored, conflicts, rejected), the
  first rows exactly as they will be stored and every rejected row (nothing written).
- `import_job_commit(*, job, user, enqueue) -> ImportJob`: status `queued`; a Celery task ingests the file in chunks of
  CHUNK_ROWS through `readings_ingest` (status `running`, `processed_rows`/`total_rows`, then `done`).
- `import_row_reason(row) -> str`: the translated reason of a rejected or conflicting row.

The mapping of a readings file (all keys optional; an empty mapping is the plain `meter,ts,value` layout with
timestamps carrying their UTC offset):
- `timestamp_column` (default "ts"), `timestamp_format` ("iso" or a strptime format, e.g. "%d/%m/%Y %H:%M" for
  day-first files), `timestamp_label` ("start" or "end": an end-labelled timestamp of an interval meter is moved back
  by the meter's interval so that the stored ts is the interval's start; a register value labels its instant),
  `timezone` (of timestamps without an offset, default Asia/Shanghai);
- long files: `meter_column` and `value_column`; wide files (one column per meter): `columns`, a list of
  {"column", "meter", "unit"};
- `unit` (of the values when a column names none; empty: the meter's own unit), converted to the meter's unit
  (meters.units.unit_scale); `decimal_comma` ("1.234,5" is 1234.5); `delimiter` (auto, comma, semicolon, tab).
Bills files have `meter,period_start,period_end,quantity,amount_cny,document_no`: each row is stored as a Bill and its
quantity as an interval reading at the local start of the period (00:00 of period_start in the site's time zone),
so rollups and accounting include it; the meter must be an interval meter. Their mapping uses `decimal_comma`,
`delimiter` and the date part of `timestamp_format`.

`enqueue` is the task's `delay` (meters.tasks), passed in by the adapter: the tasks import these services, so the
services do not import the tasks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from energy_platform.errors import ApplicationError
from energy_platform.tabular import (
    DELIMITERS,
    CellError,
    datetime_parse,
    delimiter_guess,
    mapping_text,
    number_parse,
    strptime_format_check,
)
from energy_platform.uploads import upload_commit, upload_file_name, upload_run
from meters.models import Bill, ImportJob, ImportPreset, Meter, Reading, ReadingConflict
from plants.services import monthly_mapping_clean
from plants.validators import normalize_code

from ..units import unit_scale
from .ingest import ROW_ERROR_DETAILS, RawRow, readings_ingest
from .ingest.validate import MeterInfo, ValidRow, meters_resolve, rows_validate

CHUNK_ROWS = 5000
#: Rejected (and conflicting) rows kept for the preview and for the result; the counts are always complete.
PREVIEW_LIMIT = 5000
#: Rows shown "exactly as they will be stored" in the preview.
SAMPLE_ROWS = 10
MAX_VALUE_COLUMNS = 99
DEFAULT_TIMEZONE = "Asia/Shanghai"
READINGS_HEADER = ["meter", "ts", "value"]
BILLS_HEADER = ["meter", "period_start", "period_end", "quantity", "amount_cny", "document_no"]

#: Timestamp formats offered by the upload form (the API takes any strptime format).
TIMESTAMP_FORMATS = [
    ("iso", gettext_lazy("ISO 8601 (2026-12-06 14:15 or 2026-12-06T14:15+08:00)")),
    ("%d/%m/%Y %H:%M", gettext_lazy("Day first: 06/12/2026 14:15")),
    ("%d.%m.%Y %H:%M", gettext_lazy("Day first: 06.12.2026 14:15")),
    ("%m/%d/%Y %H:%M", gettext_lazy("Month first: 12/06/2026 14:15")),
    ("%Y/%m/%d %H:%M", gettext_lazy("Year first: 2026/12/06 14:15")),
    ("%Y-%m-%d %H:%M:%S", gettext_lazy("2026-12-06 14:15:00")),
]

#: The reason of each row outcome, about the file (not a gateway), translated when shown.
ROW_REASONS = {
    "unknown_meter": gettext_lazy("No meter with this code at the file's site."),
    "meter_not_allowed": gettext_lazy("This meter cannot be imported at the file's site."),
    "meter_inactive": gettext_lazy("The meter is not active at this time."),
    "missing_field": gettext_lazy("The row has no meter, time or value."),
    "missing_timestamp": gettext_lazy("The row has no time."),
    "invalid_timestamp": gettext_lazy("The time does not match the file's timestamp format."),
    "timestamp_without_offset": gettext_lazy("The time has no UTC offset; choose the file's time zone in the "
                                             "mapping."),
    "timestamp_in_future": gettext_lazy("The time is in the future."),
    "not_finite": gettext_lazy("The value is not a number."),
    "not_a_number": gettext_lazy("The value is not a number."),
    "negative_interval_quantity": gettext_lazy("An interval quantity cannot be negative."),
    "register_backwards": gettext_lazy("The cumulative register went backwards; held for review as a reset."),
    "implausible_value": gettext_lazy("The value is larger than the meter's plausibility limit."),
    "unit_not_allowed": gettext_lazy("The meter's unit is not one its carrier allows; correct the meter first."),
    "unit_mismatch": gettext_lazy("The file's unit cannot be converted into the meter's unit."),
    "conflict": gettext_lazy("A different value is already stored for this meter and time; the stored value stays "
                             "and the conflict is listed for review."),
    "meter_not_interval": gettext_lazy("A bill quantity needs an interval meter, not a cumulative register."),
    "invalid_period": gettext_lazy("The period start and end must be dates, the end not before the start."),
    "invalid_amount": gettext_lazy("The amount is not a number."),
}
_PARSE_DETAILS = {
    "not_a_number": "The value is not a number.",
    "missing_timestamp": "The row has no time.",
    "invalid_timestamp": "The time does not match the file's timestamp format.",
    "unit_mismatch": "The file's unit cannot be converted into the meter's unit.",
    "unknown_meter": "No meter with this code at the file's site.",
}


def import_row_reason(row: dict) -> str:
    """The translated reason of a rejected or conflicting row (stored rows keep the stable code)."""
    reason = ROW_REASONS.get(row.get("code", ""))
    if reason is None:
        return str(row.get("detail", ""))
    text = str(reason)
    if row.get("code") == "conflict" and row.get("stored") is not None:
        text += " " + _("Stored: %(stored)s; in the file: %(offered)s.") % {
            "stored": f"{row['stored']:g}", "offered": f"{row['offered']:g}"}
    return text


# ---------------------------------------------------------------------------------------------------------------
# The mapping
# ---------------------------------------------------------------------------------------------------------------

def _bad(detail: str) -> ApplicationError:
    return ApplicationError("invalid_mapping", detail)


_text = mapping_text


def _unit_check(unit: str) -> str:
    if unit and unit_scale(from_unit=unit, to_unit=unit) is None:
        raise _bad(_("Unknown unit “%(unit)s”.") % {"unit": unit})
    return unit


def import_mapping_clean(*, mapping: dict | None, kind: str) -> dict:
    """The mapping as stored: defaults filled in and every key checked (ApplicationError `invalid_mapping`, 400).
    An empty mapping stays empty (the plain layout)."""
    if not mapping:
        return {}
    if not isinstance(mapping, dict):
        raise _bad(_("The mapping must be an object."))
    known = {"timestamp_column", "timestamp_format", "timestamp_label", "timezone", "meter_column", "value_column",
             "columns", "unit", "decimal_comma", "delimiter"}
    if extra := sorted(set(mapping) - known):
        raise _bad(_("Unknown mapping keys: %(keys)s.") % {"keys": ", ".join(extra)})
    fmt = _text(mapping, "timestamp_format", "iso") or "iso"
    if fmt != "iso":
        if "%" not in fmt:
            raise _bad(_("The timestamp format must be iso or a strptime format such as %%d/%%m/%%Y %%H:%%M."))
        if not strptime_format_check(fmt):
            raise _bad(_("The timestamp format is not valid."))
    label = _text(mapping, "timestamp_label", "start") or "start"
    if label not in ("start", "end"):
        raise _bad(_("timestamp_label must be start or end."))
    tz = _text(mapping, "timezone", DEFAULT_TIMEZONE) or DEFAULT_TIMEZONE
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise _bad(_("Unknown time zone “%(tz)s”.") % {"tz": tz}) from exc
    delimiter = _text(mapping, "delimiter", "auto") or "auto"
    if delimiter not in DELIMITERS:
        raise _bad(_("delimiter must be one of %(names)s.") % {"names": ", ".join(DELIMITERS)})
    if not isinstance(mapping.get("decimal_comma", False), bool):
        raise _bad(_("decimal_comma must be true or false."))
    out: dict[str, Any] = {"timestamp_format": fmt, "timestamp_label": label, "timezone": tz,
                           "decimal_comma": mapping.get("decimal_comma", False), "delimiter": delimiter,
                           "unit": _unit_check(_text(mapping, "unit"))}
    if kind != ImportJob.Kind.READINGS:
        return out
    out["timestamp_column"] = _text(mapping, "timestamp_column", "ts") or "ts"
    columns = mapping.get("columns") or []
    if not isinstance(columns, list) or len(columns) > MAX_VALUE_COLUMNS:
        raise _bad(_("columns must be a list of at most %(n)d value columns.") % {"n": MAX_VALUE_COLUMNS})
    if columns:
        cleaned = []
        for col in columns:
            if not isinstance(col, dict) or not _text(col, "column") or not _text(col, "meter"):
                raise _bad(_("Each value column needs its column and its meter."))
            cleaned.append({"column": _text(col, "column"), "meter": normalize_code(_text(col, "meter")),
                            "unit": _unit_check(_text(col, "unit"))})
        out["columns"] = cleaned
    else:
        out["meter_column"] = _text(mapping, "meter_column", "meter") or "meter"
        out["value_column"] = _text(mapping, "value_column", "value") or "value"
    return out


@transaction.atomic
def import_preset_save(*, enterprise, name: str, kind: str, mapping: dict, user) -> ImportPreset:
    """Save a named mapping for the enterprise (the same name again replaces the mapping)."""
    name = (name or "").strip()[:100]
    if not name:
        raise ApplicationError("invalid_preset", _("Give the preset a name."))
    if kind not in dict(ImportPreset.KINDS):
        raise ApplicationError("invalid_kind", _("Unknown kind of upload."))
    if kind in ImportJob.Kind.values:
        cleaned = import_mapping_clean(mapping=mapping, kind=kind)
    else:  # value added and output files: the mapping of their importer
        cleaned = monthly_mapping_clean(mapping=mapping, kind=kind)
    preset, created = ImportPreset.objects.update_or_create(
        enterprise=enterprise, name=name, defaults={"kind": kind, "mapping": cleaned, "created_by": user})
    audit_record(actor=user, action="import_preset.create" if created else "import_preset.update", obj=preset,
                 detail={"name": name, "kind": kind})
    return preset


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    header: str
    meter: str | None  # wide files: the column's meter; long files: None (the meter column says)
    unit: str


@dataclass(frozen=True, slots=True)
class _Layout:
    explicit: bool
    ts: int
    meter: int | None
    values: tuple[_Column, ...]
    fmt: str
    end_labelled: bool
    tz: zoneinfo.ZoneInfo
    decimal_comma: bool


def _layout(mapping: dict, header: list[str], site_tz: zoneinfo.ZoneInfo) -> _Layout:
    """Where each mapped column is in the file (ApplicationError `missing_column` naming the file's columns)."""
    names = [h.strip().lower() for h in header]

    def at(name: str) -> int:
        try:
            return names.index(name.strip().lower())
        except ValueError:
            raise ApplicationError("missing_column", _("The file has no column “%(name)s”; its columns are: "
                                                       "%(columns)s.") % {"name": name,
                                                                          "columns": ", ".join(header)}) from None

    if not mapping:
        if names[:3] != READINGS_HEADER:
            raise ApplicationError("bad_header", _("The first row must be %(expected)s; got %(got)s.") % {
                "expected": ",".join(READINGS_HEADER), "got": ",".join(names)})
        return _Layout(False, 1, 0, (_Column(2, "value", None, ""),), "iso", False, site_tz, False)
    ts = at(mapping["timestamp_column"])
    if mapping.get("columns"):
        values = tuple(_Column(at(c["column"]), c["column"], c["meter"], c.get("unit") or mapping.get("unit", ""))
                       for c in mapping["columns"])
        meter = None
    else:
        values = (_Column(at(mapping["value_column"]), mapping["value_column"], None, mapping.get("unit", "")),)
        meter = at(mapping["meter_column"])
    return _Layout(True, ts, meter, values, mapping["timestamp_format"],
                   mapping["timestamp_label"] == "end", zoneinfo.ZoneInfo(mapping["timezone"]),
                   bool(mapping.get("decimal_comma")))


# ---------------------------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------------------------

def _table(job: ImportJob) -> Iterator[tuple[int, list]]:
    """Yield (1, header) and then (line number, cells) for each non-blank data row; raise ApplicationError when the
    file cannot be read."""
    name = (job.original_name or job.file.name or "").lower()
    with job.file.open("rb") as fh:
        if name.endswith(".xlsx"):
            import openpyxl

            try:
                wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            except Exception as exc:  # noqa: BLE001  (openpyxl raises many types for a bad file)
                raise ApplicationError("unreadable_file", _("The XLSX file cannot be read.")) from exc
            try:
                rows = wb.worksheets[0].iter_rows(values_only=True)
                yield 1, [str(c if c is not None else "").strip() for c in next(rows, [])]
                for line, cells in enumerate(rows, start=2):
                    if cells and any(c not in (None, "") for c in cells):
                        yield line, list(cells)
            finally:
                wb.close()
        else:
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
            try:
                first = text.readline()
                chosen = DELIMITERS.get((job.mapping or {}).get("delimiter", "auto")) or delimiter_guess(first)
                yield 1, [h.strip() for h in next(csv.reader([first], delimiter=chosen), [])]
                for line, cells in enumerate(csv.reader(text, delimiter=chosen), start=2):
                    if any(c.strip() for c in cells):
                        yield line, cells
            except (csv.Error, UnicodeDecodeError) as exc:
                raise ApplicationError("unreadable_file", _("The CSV file cannot be read (it must be UTF-8 text).")
                                       ) from exc


def _header_and_chunks(job: ImportJob) -> tuple[list[str], Iterator[list[tuple[int, list]]]]:
    records = _table(job)
    _line, header = next(records, (1, []))

    def chunks() -> Iterator[list[tuple[int, list]]]:
        chunk: list[tuple[int, list]] = []
        for rec in records:
            chunk.append(rec)
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    return header, chunks()


def _cell(cells: list, i: int):
    return cells[i] if i < len(cells) else None


def _date(value, fmt: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    try:
        if fmt != "iso":
            return dt.datetime.strptime(text, fmt.split(" ")[0]).date()  # noqa: DTZ007  (a calendar date)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class _MeterMeta:
    unit: str
    interval_minutes: int
    cumulative: bool


def _meter_meta(job: ImportJob, codes: set[str]) -> dict[str, _MeterMeta]:
    """Unit, interval and kind of the file's meters, in one query."""
    found = Meter.objects.filter(site=job.site, code__in={normalize_code(c) for c in codes}).values_list(
        "code", "unit", "interval_minutes", "reading_kind")
    by_code = {code: _MeterMeta(unit, interval or 15, kind == Meter.ReadingKind.CUMULATIVE)
               for code, unit, interval, kind in found}
    return {c: by_code[normalize_code(c)] for c in codes if normalize_code(c) in by_code}


@dataclass
class _Chunk:
    """One chunk of the file as ingestion rows, with where each came from and the rows refused before ingestion."""

    rows: list[RawRow]
    origin: dict[int, tuple[int, str]]  # RawRow.index -> (line, column header)
    bills: dict[int, dict]
    errors: list[dict]
    blank: int = 0


_ROW_DETAILS: dict[str, str] = {str(k): v for k, v in ROW_ERROR_DETAILS.items()}


def _error(line: int, column: str, meter: object, code: str, detail: str | None = None) -> dict:
    return {"index": line, "row": line, "column": column, "meter": meter if isinstance(meter, str) else "",
            "code": code, "detail": detail or _PARSE_DETAILS.get(code) or _ROW_DETAILS.get(code, code)}


def _readings_chunk(job: ImportJob, layout: _Layout, chunk: list[tuple[int, list]]) -> _Chunk:
    codes = {c.meter for c in layout.values if c.meter} if layout.meter is None else {
        str(m).strip() for _line, cells in chunk if (m := _cell(cells, layout.meter)) not in (None, "")}
    meta = _meter_meta(job, codes)
    out = _Chunk([], {}, {}, [])
    wide = len(layout.values) > 1
    for line, cells in chunk:
        meter_cell = _cell(cells, layout.meter) if layout.meter is not None else None
        line_meter = str(meter_cell).strip() if meter_cell not in (None, "") else None
        stamp: dt.datetime | None = None
        stamp_error = None
        raw_ts = _cell(cells, layout.ts)
        if layout.explicit:
            try:
                stamp = datetime_parse(raw_ts, fmt=layout.fmt)
                if stamp.tzinfo is None:
                    stamp = stamp.replace(tzinfo=layout.tz)
            except CellError as exc:
                stamp_error = exc.code
        for k, col in enumerate(layout.values):
            meter = col.meter or line_meter
            raw_value = _cell(cells, col.index)
            if wide and raw_value in (None, ""):
                out.blank += 1  # a wide file leaves a meter's cell empty when it has no reading at that time
                continue
            index = line * 100 + k if wide else line
            out.origin[index] = (line, col.header)
            if not layout.explicit:
                ts_text = (raw_ts if raw_ts.tzinfo else raw_ts.replace(tzinfo=layout.tz)).isoformat() if isinstance(
                    raw_ts, dt.datetime) else raw_ts
                # The plain layout is read like a gateway's CSV: the value as written (no thousands separators).
                out.rows.append(RawRow(index, meter, ts_text, raw_value))
                continue
            if stamp_error is not None:
                out.errors.append(_error(line, col.header, meter, stamp_error))
                continue
            info = meta.get(meter) if meter else None
            if meter and info is None:
                out.errors.append(_error(line, col.header, meter, "unknown_meter"))
                continue
            assert stamp is not None  # parsed: stamp_error is None  # noqa: S101
            ts = stamp
            if info is not None and layout.end_labelled and not info.cumulative:
                ts = stamp - dt.timedelta(minutes=info.interval_minutes)
            value: object = raw_value
            if raw_value not in (None, ""):
                try:
                    number = number_parse(raw_value, decimal_comma=layout.decimal_comma)
                except CellError as exc:
                    out.errors.append(_error(line, col.header, meter, exc.code))
                    continue
                if col.unit and info is not None and col.unit != info.unit:
                    scale = unit_scale(from_unit=col.unit, to_unit=info.unit)
                    if scale is None:
                        out.errors.append(_error(line, col.header, meter, "unit_mismatch"))
                        continue
                    number *= scale
                value = str(number)
            out.rows.append(RawRow(index, meter, ts.astimezone(dt.UTC).isoformat(), value))
    return out


def _value_text(value: object, decimal_comma: bool) -> object:
    """A value cell for ingestion: numbers as read (decimal comma and separators resolved), anything else as it is
    (ingestion rejects it as not a number)."""
    if value in (None, ""):
        return None
    try:
        return str(number_parse(value, decimal_comma=decimal_comma))
    except CellError:
        return value


def _bills_chunk(job: ImportJob, header: list[str], chunk: list[tuple[int, list]]) -> _Chunk:
    mapping = job.mapping or {}
    fmt, comma = mapping.get("timestamp_format", "iso"), bool(mapping.get("decimal_comma"))
    tz = zoneinfo.ZoneInfo(job.site.timezone)
    out = _Chunk([], {}, {}, [])
    for line, cells in chunk:
        meter = _cell(cells, 0)
        meter = str(meter).strip() if meter is not None else None
        out.origin[line] = (line, "")
        start, end = _date(_cell(cells, 1), fmt), _date(_cell(cells, 2), fmt)
        quantity = _value_text(_cell(cells, 3), comma)
        if start is None or end is None or end < start:
            out.errors.append(_error(line, "period_start", meter, "invalid_period",
                                     "period_start and period_end must be dates, the end not before the start."))
            continue
        amount = _cell(cells, 4)
        try:
            amount = number_parse(amount, decimal_comma=comma) if amount not in (None, "") else None
        except CellError:
            out.errors.append(_error(line, "amount_cny", meter, "invalid_amount", "amount_cny is not a number."))
            continue
        ts = dt.datetime.combine(start, dt.time(0), tzinfo=tz).isoformat()
        out.bills[line] = {"period_start": start, "period_end": end, "amount_cny": amount,
                           "document_no": str(_cell(cells, 5) or "").strip()[:64]}
        out.rows.append(RawRow(line, meter, ts, quantity))
    return out


def _bills_header_check(header: list[str]) -> None:
    names = [h.strip().lower() for h in header]
    if names[:4] != BILLS_HEADER[:4]:
        raise ApplicationError("bad_header", _("The first row must be %(expected)s; got %(got)s.") % {
            "expected": ",".join(BILLS_HEADER), "got": ",".join(names)})


def _prepare(job: ImportJob) -> tuple[list[str], Callable[[list[tuple[int, list]]], _Chunk],
                                     Iterator[list[tuple[int, list]]]]:
    """The file's header, the function turning a chunk of lines into ingestion rows, and the chunks."""
    header, chunks = _header_and_chunks(job)
    if job.kind == ImportJob.Kind.BILLS:
        _bills_header_check(header)
        return header, lambda chunk: _bills_chunk(job, header, chunk), chunks
    layout = _layout(job.mapping or {}, header, zoneinfo.ZoneInfo(job.site.timezone))
    return header, lambda chunk: _readings_chunk(job, layout, chunk), chunks


def _interval_only(job: ImportJob, rows: list[RawRow], meters: dict[str, MeterInfo],
                   origin: dict[int, tuple[int, str]]) -> tuple[list[RawRow], list[dict]]:
    if job.kind != ImportJob.Kind.BILLS:
        return rows, []
    kept, errors = [], []
    for r in rows:
        info = meters.get(r.meter) if isinstance(r.meter, str) else None
        if info is not None and info.cumulative:
            errors.append(_error(origin[r.index][0], "", r.meter, "meter_not_interval",
                                 "A bill quantity needs an interval meter, not a cumulative register."))
        else:
            kept.append(r)
    return kept, errors


def _placed(rows: list[dict], origin: dict[int, tuple[int, str]]) -> list[dict]:
    """Ingestion's row reports with the file's line and column instead of the ingestion index."""
    out = []
    for r in rows:
        line, column = origin.get(r["index"], (r["index"], ""))
        out.append({**r, "index": line, "row": line, "column": column,
                    "detail": _PARSE_DETAILS.get(r["code"], r["detail"]) if r["code"] == "unknown_meter"
                    else r["detail"]})
    return out


def _stored_values(valid: list[ValidRow]) -> dict[tuple[int, dt.datetime], float]:
    """The stored values at the (meter, ts) of the file's valid rows (one indexed query per chunk)."""
    if not valid:
        return {}
    pairs = {(v.meter_id, v.ts) for v in valid}
    found = Reading.objects.filter(meter_id__in={m for m, _ts in pairs}, ts__in={t for _m, t in pairs}).values_list(
        "meter_id", "ts", "value")
    return {(m, t): value for m, t, value in found if (m, t) in pairs}


# ---------------------------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------------------------

def import_job_create(*, site, kind: str, uploaded_file, user, enqueue: Callable[[int], object],
                      mapping: dict | None = None, preset: ImportPreset | None = None) -> ImportJob:
    """Store an upload with its mapping (a preset's when given) and enqueue its validation, `enqueue(job.pk)` after
    the commit (never inside the request)."""
    if kind not in ImportJob.Kind.values:
        raise ApplicationError("invalid_kind", _("Unknown kind of upload."))
    if preset is not None and preset.enterprise_id != site.enterprise_id:
        raise ApplicationError("invalid_preset", _("This preset belongs to another enterprise."))
    if preset is not None and preset.kind != kind:
        raise ApplicationError("invalid_preset", _("This preset maps another kind of file."))
    cleaned = import_mapping_clean(mapping=mapping if mapping else (preset.mapping if preset else None), kind=kind)
    name = upload_file_name(uploaded_file)
    with transaction.atomic():
        job = ImportJob.objects.create(site=site, kind=kind, file=uploaded_file, original_name=name,
                                       created_by=user, status=ImportJob.Status.VALIDATING, mapping=cleaned,
                                       preset=preset)
        audit_record(actor=user, action="import.create", obj=job,
                     detail={"kind": kind, "file": name, "preset": preset.name if preset else None})
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """Validate every row without writing readings: count what will be new, already stored, in conflict and
    rejected; keep the first rows exactly as they will be stored and the first PREVIEW_LIMIT refused rows."""
    job = ImportJob.objects.select_related("site").get(pk=job_id)
    if job.status != ImportJob.Status.VALIDATING:
        return job  # already validated (task retried)
    site_tz = zoneinfo.ZoneInfo(job.site.timezone)
    now = timezone.now()
    total = lines_total = blank = duplicates = 0
    rejected: list[dict] = []
    conflicts: list[dict] = []
    n_rejected = n_conflicts = 0
    sample: list[dict] = []
    seen: dict[tuple[int, dt.datetime], float] = {}
    try:
        header, convert, chunks = _prepare(job)
        for lines in chunks:
            chunk = convert(lines)
            lines_total += len(lines)
            blank += chunk.blank
            total += len(chunk.rows) + len(chunk.errors)
            meters = meters_resolve(site=job.site, gateway=None, codes=(r.meter for r in chunk.rows))
            rows, kind_errors = _interval_only(job, chunk.rows, meters, chunk.origin)
            valid, bad = rows_validate(rows, meters, now)
            errors = chunk.errors + kind_errors + _placed(
                [{"index": raw.index, "meter": raw.meter if isinstance(raw.meter, str) else "", "code": str(code),
                  "detail": detail or ROW_ERROR_DETAILS[code]} for raw, code, detail in bad], chunk.origin)
            n_rejected += len(errors)
            rejected += sorted(errors, key=lambda e: (e["row"], e["column"]))[: max(0, PREVIEW_LIMIT - len(rejected))]
            stored = _stored_values(valid)
            codes = {info.id: code for code, info in meters.items()}
            for v in valid:
                key = (v.meter_id, v.ts)
                previous = seen.get(key, stored.get(key))
                if previous is None:
                    seen[key] = v.value
                    if len(sample) < SAMPLE_ROWS:
                        line, column = chunk.origin[v.index]
                        sample.append({"row": line, "column": column, "meter": codes.get(v.meter_id, ""),
                                       "ts_utc": v.ts.isoformat(),
                                       "ts_local": v.ts.astimezone(site_tz).strftime("%Y-%m-%d %H:%M"),
                                       "value": v.value})
                elif previous == v.value:
                    duplicates += 1
                else:
                    n_conflicts += 1
                    if len(conflicts) < PREVIEW_LIMIT:
                        line, column = chunk.origin[v.index]
                        conflicts.append({"index": line, "row": line, "column": column,
                                          "meter": codes.get(v.meter_id, ""), "code": "conflict",
                                          "detail": "A different value is already stored for this meter and time.",
                                          "stored": previous, "offered": v.value})
    except ApplicationError as exc:
        job.status, job.error = ImportJob.Status.INVALID, exc.detail
        job.save(update_fields=["status", "error"])
        return job
    units = dict(Meter.objects.filter(site=job.site, code__in={s["meter"] for s in sample}).values_list(
        "code", "unit"))
    for s in sample:
        s["unit"] = units.get(s["meter"], "")
    new = total - n_rejected - n_conflicts - duplicates
    job.total_rows, job.status = lines_total, ImportJob.Status.PREVIEW
    job.preview = {"rows": total, "lines": lines_total, "columns": header, "valid_count": new, "duplicates": duplicates,
                   "conflicts": n_conflicts, "rejected_count": n_rejected, "blank": blank, "sample": sample,
                   "rejected": rejected, "conflict_rows": conflicts,
                   "truncated": n_rejected > len(rejected) or n_conflicts > len(conflicts)}
    job.save(update_fields=["total_rows", "status", "preview"])
    return job


def _with_reasons(rows: list[dict]) -> list[dict]:
    return [{**r, "reason": import_row_reason(r)} for r in rows]


def import_job_preview(*, job: ImportJob) -> dict:
    """What the upload page and the API show: status, progress, the preview (counts, the first rows as they will be
    stored, the refused rows with their translated reasons) and the result with every refused row."""
    preview = dict(job.preview or {})
    for key in ("rejected", "conflict_rows"):
        if key in preview:
            preview[key] = _with_reasons(preview[key])
    return {"id": job.pk, "site": job.site_id, "kind": job.kind, "file": job.original_name, "status": job.status,
            "mapping": job.mapping, "preset": job.preset_id,
            "total_rows": job.total_rows, "processed_rows": job.processed_rows, "accepted": job.accepted,
            "duplicates": job.duplicates, "conflicts": job.conflicts, "rejected": job.rejected,
            "refused_rows": _with_reasons(job.refused_rows or []),
            "error": job.error, "preview": preview, "created_at": job.created_at, "finished_at": job.finished_at}


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
        _header, convert, chunks = _prepare(job)
        seen = 0
        for lines in chunks:
            seen += len(lines)
            if seen <= job.processed_rows:
                continue  # committed by an earlier run of this task
            _ingest_chunk(job, convert(lines), len(lines))

    return upload_run(ImportJob.objects.select_related("site").get(pk=job_id), write)


def _conflict_values(result, rows: list[RawRow], meters: dict[str, MeterInfo]) -> list[dict]:
    """The chunk's conflicts with the stored and the offered value (from the ReadingConflict rows of its batch)."""
    if not result.conflict_rows:
        return []
    recorded = {(m, t): (stored, offered) for m, t, stored, offered in ReadingConflict.objects.filter(
        batch_id=result.batch_id).values_list("meter_id", "ts", "stored_value", "offered_value")}
    by_index = {r.index: r for r in rows}
    out = []
    for c in result.conflict_rows:
        raw = by_index.get(c["index"])
        info = meters.get(raw.meter) if raw is not None and isinstance(raw.meter, str) else None
        pair = recorded.get((info.id, dt.datetime.fromisoformat(str(raw.ts)))) if info and raw else None
        out.append({**c, "stored": pair[0], "offered": pair[1]} if pair else c)
    return out


@transaction.atomic
def _ingest_chunk(job: ImportJob, chunk: _Chunk, lines: int) -> None:
    meters = meters_resolve(site=job.site, gateway=None, codes=(r.meter for r in chunk.rows))
    rows, kind_errors = _interval_only(job, chunk.rows, meters, chunk.origin)
    result = readings_ingest(site=job.site, rows=rows, source="upload")
    if chunk.bills:
        refused = {e["index"] for e in result.rejected} | {e["index"] for e in result.conflict_rows}
        Bill.objects.bulk_create(
            [Bill(meter_id=meters[str(r.meter)].id, import_job=job, quantity=Decimal(str(r.value)),
                  **chunk.bills[r.index])
             for r in rows if r.index not in refused],
            update_conflicts=True, unique_fields=["meter", "period_start"],
            update_fields=["period_end", "quantity", "amount_cny", "document_no", "import_job"],
        )
    refused_rows = sorted(chunk.errors + kind_errors + _placed(
        result.rejected + _conflict_values(result, rows, meters), chunk.origin), key=lambda e: (e["row"], e["column"]))
    locked = ImportJob.objects.select_for_update().only("refused_rows").get(pk=job.pk)
    kept = list(locked.refused_rows or [])
    kept += refused_rows[: max(0, PREVIEW_LIMIT - len(kept))]
    # processed_rows and total_rows count the file's lines (the progress bar, and where a retried run resumes); the
    # outcome counters count readings (a line of a wide file holds one per meter column).
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + lines, accepted=F("accepted") + result.accepted,
        duplicates=F("duplicates") + result.duplicates, conflicts=F("conflicts") + result.conflicts,
        rejected=F("rejected") + len(result.rejected) + len(chunk.errors) + len(kind_errors), refused_rows=kept,
    )
