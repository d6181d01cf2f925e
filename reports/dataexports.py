"""Exports of rolled-up data (`meters.MeterRollup`): hourly, daily or monthly rows per meter, site or production unit,
as CSV or XLSX, generated row by row so that a year of hourly data for hundreds of meters never sits in memory.

Subjects:
- a meter: its own rollups;
- a site: the site's energy per carrier and bucket, counted like `carbon.energy.site_energy` (top-level boundary
  meters: purchase, facility total and generation +, export −; green electricity excluded), or with
  `rows="meters"` every meter of the site;
- a production unit (with its sub-units): per carrier, the unit's meters that are not below another of its meters
  (like `carbon.kpis.unit_kpis`), or every meter with `rows="meters"`.

Every row carries the bucket's start and end (ISO 8601 with the site's UTC offset) and the unit in its own column.
A site's monthly totals carry a `closed` column: a closed month's rows are its closed figures (energy by carrier as
recorded at close, `carbon.models.ClosingSnapshot`), not the rollups; hourly and daily buckets are always the rollups.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Case, F, FloatField, IntegerField, Sum, Value, When
from django.db.models.functions import Cast

from energy_platform.cells import cell_row
from energy_platform.errors import ApplicationError
from meters.models import Carrier, Meter, MeterRollup
from meters.units import finite_rollups_q

GRANULARITIES = ("hour", "day", "month")
ROWS = ("total", "meters")
MAX_DAYS = 400  # one year plus margin per request
CHUNK = 5000
XLSX_MAX_ROWS = 1_048_575  # one header row per sheet


@dataclass
class Subject:
    kind: str  # meter | site | unit
    code: str
    site: object
    meter_ids: list[int]
    #: meters that count in the total (with their sign); None for a meter subject
    signs: dict[int, int] | None = None
    enterprise: object = None


def subject_for_meter(meter: Meter) -> Subject:
    return Subject("meter", meter.code, meter.site, [meter.pk], None, meter.site.enterprise)


def subject_for_site(site) -> Subject:
    from carbon.energy import BOUNDARY_IN, NOT_CONSUMPTION

    meters = list(Meter.objects.filter(site=site).values("pk", "parent_id", "role", "carrier"))
    signs = {}
    for m in meters:
        if m["parent_id"] is not None or m["carrier"] in NOT_CONSUMPTION:
            continue
        if m["role"] in BOUNDARY_IN or m["role"] == Meter.Role.GENERATION:
            signs[m["pk"]] = 1
        elif m["role"] == Meter.Role.EXPORT:
            signs[m["pk"]] = -1
    return Subject("site", site.code, site, [m["pk"] for m in meters], signs, site.enterprise)


def subject_for_unit(unit) -> Subject:
    from plants.models import ProductionUnit

    ids, frontier = {unit.pk}, [unit.pk]
    while frontier:
        frontier = list(ProductionUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    meters = list(Meter.objects.filter(site=unit.site, production_unit_id__in=ids).values("pk", "parent_id",
                                                                                         "carrier"))
    inside = {m["pk"] for m in meters}
    signs = {m["pk"]: 1 for m in meters if m["parent_id"] not in inside and m["carrier"] != Carrier.GREEN_ELECTRICITY}
    return Subject("unit", unit.code, unit.site, [m["pk"] for m in meters], signs, unit.site.enterprise)


def parse_range(*, start: str | None, end: str | None, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """`start`/`end` as YYYY-MM-DD local dates of the site; end exclusive, at most MAX_DAYS apart."""
    try:
        first, last = dt.date.fromisoformat(start or ""), dt.date.fromisoformat(end or "")
    except ValueError as exc:
        raise ApplicationError("invalid_range", "start and end must be dates YYYY-MM-DD (end exclusive).",
                               status_code=400) from exc
    if not first < last or (last - first).days > MAX_DAYS:
        raise ApplicationError("invalid_range", f"start must be before end, at most {MAX_DAYS} days apart.",
                               status_code=400)
    zone = zoneinfo.ZoneInfo(tz)
    return dt.datetime.combine(first, dt.time(), zone), dt.datetime.combine(last, dt.time(), zone)


def _bucket_end(start: dt.datetime, granularity: str) -> dt.datetime:
    if granularity == "hour":
        return start + dt.timedelta(hours=1)
    if granularity == "day":
        return (start.replace(tzinfo=None) + dt.timedelta(days=1)).replace(tzinfo=start.tzinfo)
    nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return dt.datetime.combine(nxt, dt.time(), start.tzinfo)


def _closed_months(subject: Subject, granularity: str, rows: str) -> bool:
    """Whether the export's rows are a site's monthly totals, where a closed month shows its closed figures."""
    return subject.kind == "site" and rows == "total" and granularity == "month"


def header(subject: Subject, rows: str, granularity: str = "") -> list[str]:
    if subject.kind == "meter" or rows == "meters":
        return ["meter", "carrier", "start", "end", "quantity", "unit", "expected_intervals", "received_intervals",
                "estimated_intervals", "completeness"]
    closed = ["closed"] if _closed_months(subject, granularity, rows) else []
    return [subject.kind, "carrier", "start", "end", "quantity", "unit", "expected_intervals", "received_intervals",
            "estimated_intervals", "completeness", *closed]


def _frozen_rows(subject: Subject, start: dt.datetime, end: dt.datetime, zone) -> dict[dt.date, list[list]]:
    """{month: rows} of the closed months in [start, end): energy by carrier as recorded at close (the closing
    snapshot, equivalent method), flagged closed; intervals are not part of the snapshot (empty)."""
    from carbon.closed import closed_month_cores
    from carbon.models import ConversionMethod
    from carbon.periods import month_add

    first = start.astimezone(zone).date().replace(day=1)
    last = end.astimezone(zone).date()
    months = []
    while first < last:
        months.append(first)
        first = month_add(first, 1)
    out: dict[dt.date, list[list]] = {}
    frozen = closed_month_cores(site=subject.site, months=months, method=ConversionMethod.EQUIVALENT)
    for month, core in sorted(frozen.items()):
        local = dt.datetime.combine(month, dt.time(), zone)
        if local < start:
            continue
        completeness = core["energy"]["completeness"]
        out[month] = [[subject.code, c["carrier"], local.isoformat(), _bucket_end(local, "month").isoformat(),
                       c["quantity"], c["unit"], None, None, None,
                       round(completeness, 4) if completeness is not None else None, "true"]
                      for c in core["energy"]["by_carrier"]]
    return out


def _with_closed_months(raw: Iterator[list], frozen: dict[dt.date, list[list]], zone) -> Iterator[list]:
    """Monthly rows in bucket order: a closed month's rows from its snapshot (its rollups, which late data may have
    changed, are left out), an open month's from the rollups."""
    pending = sorted(frozen)
    for row in raw:
        month = dt.datetime.fromisoformat(row[2]).astimezone(zone).date().replace(day=1)
        while pending and pending[0] < month:
            yield from frozen[pending.pop(0)]
        if month in frozen:
            continue
        yield [*row, "false"]
    for month in pending:
        yield from frozen[month]


def iter_rows(*, subject: Subject, granularity: str, start: dt.datetime, end: dt.datetime,
              rows: str = "total") -> Iterator[list]:
    """Yield export rows in bucket order, fetched from the database in chunks (server-side cursor)."""
    if granularity not in GRANULARITIES:
        raise ApplicationError("invalid_granularity", "granularity must be hour, day or month.", status_code=400)
    if rows not in ROWS:
        raise ApplicationError("invalid_rows", "rows must be total or meters.", status_code=400)
    zone = zoneinfo.ZoneInfo(subject.site.timezone)
    # Non-finite buckets (absurd stored readings; the meter is listed on the data-quality page) are left out.
    base = MeterRollup.objects.filter(finite_rollups_q(), granularity=granularity, bucket_start__gte=start,
                                      bucket_start__lt=end)
    if subject.kind == "meter" or rows == "meters":
        qs = (base.filter(meter_id__in=subject.meter_ids)
              .order_by("bucket_start", "meter__code")
              .values_list("meter__code", "meter__carrier", "bucket_start", "quantity", "meter__unit",
                           "expected_intervals", "received_intervals", "estimated_intervals"))
    else:
        signs = subject.signs or {}
        sign = Case(*[When(meter_id=mid, then=Value(s)) for mid, s in signs.items()], default=Value(0),
                    output_field=IntegerField())
        qs = (base.filter(meter_id__in=list(signs)).annotate(signed=F("quantity") * Cast(sign, FloatField()))
              .values("bucket_start", "meter__carrier", "meter__unit")
              .annotate(q=Sum("signed"), exp=Sum("expected_intervals"), rec=Sum("received_intervals"),
                        est=Sum("estimated_intervals"))
              .order_by("bucket_start", "meter__carrier", "meter__unit")
              .values_list("meter__carrier", "bucket_start", "q", "meter__unit", "exp", "rec", "est"))
        qs = ((subject.code, *row) for row in qs.iterator(chunk_size=CHUNK))
    if not isinstance(qs, Iterator):
        qs = qs.iterator(chunk_size=CHUNK)
    out = ([code, carrier, (local := bucket.astimezone(zone)).isoformat(),
            _bucket_end(local, granularity).isoformat(), round(quantity, 6), unit, expected, received, estimated,
            round(received / expected, 4) if expected else None]
           for code, carrier, bucket, quantity, unit, expected, received, estimated in qs)
    if _closed_months(subject, granularity, rows):
        out = _with_closed_months(out, _frozen_rows(subject, start, end, zone), zone)
    yield from out


def chain_first(first, rest: Iterator[list]) -> Iterator[list]:
    if first is not None:
        yield first
    yield from rest


class _Echo:
    def write(self, value):
        return value


def csv_chunks(head: list[str], rows: Iterator[list]) -> Iterator[str]:
    """CSV text in pieces for a StreamingHttpResponse (UTF-8 BOM first so spreadsheet programs read it as UTF-8)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(cell_row(head))
    batch = []
    for row in rows:
        batch.append(writer.writerow(cell_row(row)))
        if len(batch) >= 1000:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def xlsx_file(head: list[str], rows: Iterator[list], *, title: str) -> tempfile.SpooledTemporaryFile:
    """An XLSX written with openpyxl's write-only mode into a temporary file (rows go to disk as they come);
    a new sheet starts every 1,048,575 rows."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet_no, ws, n = 0, None, XLSX_MAX_ROWS
    for row in rows:
        if n >= XLSX_MAX_ROWS:
            sheet_no += 1
            ws = wb.create_sheet(title[:28] if sheet_no == 1 else f"{title[:24]}_{sheet_no}")
            ws.append(cell_row(head))
            n = 0
        ws.append(cell_row(row))
        n += 1
    if ws is None:
        wb.create_sheet(title[:28]).append(cell_row(head))
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    wb.save(out)
    out.seek(0)
    return out
