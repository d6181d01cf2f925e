"""Read-side helpers for the UI: every queryset goes through accounts.tenancy.scope()."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.tenancy import has_role, scope, visible_enterprises
from carbon.energy import lookup_memo, meter_quantities_multi
from carbon.kpis import KPI_METERS, site_kpis
from carbon.models import AccountingPeriod
from carbon.periods import Period, month_add, period_coverage
from energy_platform.errors import ApplicationError
from meters.models import Carrier, ImportJob, Meter, MeterRollup, ReadingConflict, RegisterEvent, RejectedRow
from meters.services.imports import import_row_reason
from meters.units import finite_rollups_q, plausible_readings_q, usable_meters_q
from plants.models import EconomicData, Enterprise, Product, ProductionData, Site
from plants.services import MONTHLY_ROW_REASONS

from .models import GapAcknowledgement, MonthlyUpload

#: Gaps listed at most (newest first), over the last QUALITY_WINDOW.
GAPS_LISTED = 100
QUALITY_WINDOW = dt.timedelta(days=92)


def current_enterprise(request) -> Enterprise:
    """The enterprise chosen by ?enterprise=<id> (or the first visible one); 404 when not visible."""
    qs = visible_enterprises(request.user).order_by("pk")
    pk = request.GET.get("enterprise")
    if pk:
        if not str(pk).isdigit():
            raise Http404
        ent = qs.filter(pk=int(pk)).first()
    else:
        ent = qs.first()
    if ent is None:
        raise Http404
    return ent


def can_edit(user, enterprise: Enterprise) -> bool:
    """Energy managers and enterprise admins edit; viewers and regulators only read."""
    return has_role(user, enterprise, Role.ENERGY_MANAGER)


def site_for(user, pk: int) -> Site:
    site = scope(Site.objects.select_related("enterprise"), user).filter(pk=pk).first()
    if site is None:
        raise Http404
    return site


def meter_for(user, pk: int) -> Meter:
    meter = scope(Meter.objects.select_related("site", "site__enterprise"), user).filter(pk=pk).first()
    if meter is None:
        raise Http404
    return meter


def meter_tree(*, site: Site, user) -> list[dict]:
    """Meters of a site in hierarchy order with depth, last-month quantity, completeness and calibration status."""
    meters = list(scope(Meter.objects.filter(site=site), user).order_by("code"))
    newest = (MeterRollup.objects.filter(meter_id=OuterRef("meter_id"), granularity=MeterRollup.Granularity.MONTH)
              .order_by("-bucket_start").values("bucket_start")[:1])
    last = (MeterRollup.objects.filter(finite_rollups_q(), meter__in=meters, granularity=MeterRollup.Granularity.MONTH,
                                       bucket_start=Subquery(newest))  # portable: no DISTINCT ON (SQLite demo)
            .values("meter_id", "bucket_start", "quantity", "expected_intervals", "received_intervals",
                    "estimated_intervals"))
    latest = {r["meter_id"]: r for r in last}
    children: dict[int | None, list[Meter]] = {}
    for m in meters:
        children.setdefault(m.parent_id, []).append(m)
    today = timezone.localdate()
    now = timezone.now()
    rows: list[dict] = []
    carriers = {k: str(v) for k, v in Carrier.choices}  # get_carrier_display() hashes the choices on every call

    def walk(parent_id, depth):
        for m in children.get(parent_id, []):
            r = latest.get(m.pk)
            kids = children.get(m.pk, [])
            kid_sum = None
            if r and kids:
                same = [latest.get(k.pk) for k in kids]
                same = [s for s in same if s and s["bucket_start"] == r["bucket_start"]]
                kid_sum = sum(s["quantity"] for s in same) if same else None
            rows.append({
                "meter": m, "depth": depth, "carrier": carriers.get(m.carrier, m.carrier), "indent": depth * 1.25,
                "rollup": r,
                "completeness": _completeness(r, m, now),
                "children_sum": kid_sum,
                "unmetered": (r["quantity"] - kid_sum) if kid_sum is not None else None,
                "calibration_due": bool(m.next_calibration and m.next_calibration <= today),
            })
            walk(m.pk, depth + 1)

    ids = {m.pk for m in meters}
    walk(None, 0)
    # Meters whose parent lies outside the visible set still appear (as roots).
    for pid in [p for p in children if p is not None and p not in ids]:
        walk(pid, 0)
    return rows


def _completeness(r: dict | None, meter: Meter, now: dt.datetime) -> float | None:
    """received / expected intervals of a month rollup; for the month in progress, expected only up to now (a month
    rollup expects the whole month, so a complete month-to-date would otherwise show e.g. 86 %)."""
    if not r or not r["expected_intervals"]:
        return None
    expected = r["expected_intervals"]
    if r["bucket_start"] <= now and meter.interval_minutes < 28 * 1440:
        elapsed = int((now - r["bucket_start"]).total_seconds() // (meter.interval_minutes * 60))
        expected = max(1, min(expected, elapsed))
    return min(1.0, r["received_intervals"] / expected)


def estimated_flags(*, enterprise: Enterprise, user, year_start: dt.datetime, month_start: dt.datetime) -> dict:
    """Whether the enterprise's month rollups of the year to date / the current month hold estimated readings (the
    overview marks those figures as including estimates)."""
    rows = (scope(MeterRollup.objects.filter(meter__site__enterprise=enterprise,
                                             granularity=MeterRollup.Granularity.MONTH, bucket_start__gte=year_start,
                                             estimated_intervals__gt=0), user)
            .values_list("bucket_start", flat=True))
    starts = list(rows)
    return {"year": bool(starts), "month": any(b >= month_start for b in starts)}


def quality_issues(*, enterprise: Enterprise, user) -> dict:
    """Open data-quality items of an enterprise: incomplete days, rejected rows, conflicts, calibration due."""
    today = timezone.localdate()
    since = timezone.now() - QUALITY_WINDOW
    meters = scope(Meter.objects.filter(site__enterprise=enterprise), user)
    gaps = gap_days(enterprise=enterprise, user=user, since=since)
    rejected = (scope(RejectedRow.objects.filter(batch__site__enterprise=enterprise, acknowledged_at__isnull=True),
                      user).select_related("batch").order_by("-pk")[:100])
    conflicts = (scope(ReadingConflict.objects.filter(meter__site__enterprise=enterprise, status="open"), user)
                 .select_related("meter").order_by("-ts")[:100])
    events = (scope(RegisterEvent.objects.filter(meter__site__enterprise=enterprise).exclude(status="resolved"), user)
              .select_related("meter").order_by("-ts")[:100])
    calibration = meters.filter(Q(next_calibration__lte=today)).select_related("site").order_by("next_calibration")
    # Closed months for which late or corrected data was stored: their figures stay as closed until restated.
    restatements = scope(AccountingPeriod.objects.filter(enterprise=enterprise, restatement_pending=True), user)
    return {"gaps": list(gaps), "rejected": list(rejected), "conflicts": list(conflicts),
            "events": list(events), "calibration": list(calibration),
            "restatements_pending": list(restatements.order_by("month")),
            "unusable": unusable_meters(enterprise=enterprise, user=user, today=today)}


def unusable_meters(*, enterprise: Enterprise, user, today: dt.date) -> list[dict]:
    """Meters the accounting leaves out of this year's or last year's figures, with the reason (the one rule of
    carbon.energy.meter_quantities): a unit their carrier does not allow, non-finite or implausible quantities."""
    periods = [Period.year(today.year), Period.year(today.year - 1)]
    seen: dict[tuple[str, str], dict] = {}
    sites = scope(Site.objects.filter(enterprise=enterprise), user).order_by("code")
    with lookup_memo():
        for site in sites:
            for period, rows in meter_quantities_multi(site=site, periods=periods).items():
                for e in getattr(rows, "excluded", []):
                    seen.setdefault((e["site"], e["meter"]), {**e, "period": str(period)})
    return list(seen.values())


def models_f(name: str):
    from django.db.models import F

    return F(name)


def monthly_by_carrier(*, site: Site, user=None, months: int = 12, today: dt.date | None = None) -> dict:
    """Monthly energy of the site by carrier in tce (the KPIs' figures: carbon.kpis.site_kpis per month, closed
    months as recorded at close, the current month to date). Quantities in t, m³ and kWh are never stacked in one
    bar: each carrier is converted to tce with the coefficient the KPIs use, and the carrier's own quantity and unit
    travel with the series (`quantities`, `unit`) for the tooltip and the table."""
    today = today or timezone.localdate(timezone=_zone(site.timezone))
    first = month_add(today.replace(day=1), -(months - 1))
    covs = [period_coverage(period=Period.month(d.year, d.month), today=today)
            for d in (month_add(first, i) for i in range(months))]
    periods = [c.period for c in covs]
    rows: list[dict | None] = []
    with lookup_memo():
        quantities = meter_quantities_multi(site=site, periods=periods, meter_filter=KPI_METERS)
        for p in periods:
            try:
                rows.append(site_kpis(site=site, period=p, with_yoy=False, quantities=quantities))
            except ApplicationError:  # a month without a coefficient: no bar, never a broken chart
                rows.append(None)
    labels = [f"{p.first:%Y-%m}" for p in periods]
    tce: dict[str, dict[str, float]] = {}
    qty: dict[str, dict[str, tuple[float, str]]] = {}
    for label, r in zip(labels, rows, strict=True):
        for c in (r or {}).get("energy_by_carrier", []):
            name = _carrier_label(c["carrier"])
            tce.setdefault(name, {})[label] = _f(c["tce"])
            qty.setdefault(name, {})[label] = (_f(c["quantity"]), c["unit"])
    closed = [lb for lb, r in zip(labels, rows, strict=True) if r and r["period_status"]["closed"]]
    return {"labels": labels, "closed": closed, "unit": "tce", "axes": [{"name": "tce"}],
            "title": _("Energy by carrier (tce)"),
            "series": [{"name": k, "stack": "tce", "unit": "tce", "data": [v.get(lb) for lb in labels],
                        "quantities": [qty[k].get(lb, (None, ""))[0] for lb in labels],
                        "quantity_unit": next(iter(qty[k].values()))[1]}
                       for k, v in sorted(tce.items())]}


def _carrier_label(code: str) -> str:
    try:
        return str(Carrier(code).label)
    except ValueError:
        return code


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def load_curve(*, site: Site, user, day: dt.date, days: int) -> dict:
    """15-minute electricity of the site's main (top-level) meters for a day or a week, from readings (at most a
    week of one site's main meters, read with a day's margin on each side). Interval meters: the stored quantity of the
    interval starting at ts; cumulative registers: the delta to the next reading, placed at the earlier reading
    (negative deltas — resets/rollovers — are left out); both times the multiplier. A meter read less often than every
    15 minutes (e.g. hourly) has its interval's quantity spread evenly over the interval's quarter-hours, so every
    meter is drawn at 15-minute resolution. Slots without data are null so the chart draws gaps. Plain ORM reads and
    Python arithmetic, so the embedded SQLite default works too."""
    from meters.models import Reading

    tz = _zone(site.timezone)
    today = timezone.localdate(timezone=tz)
    first_day = load_curve_first_day(day=day, days=days)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=tz)
    end = start + dt.timedelta(days=days)
    last_day = first_day + dt.timedelta(days=days - 1)
    span = {"first_day": first_day.isoformat(), "last_day": last_day.isoformat(),
            "title": (_("Week %(first)s – %(last)s (Monday to Sunday)") if days == 7 else _("Day %(first)s")) % {
                "first": first_day.isoformat(), "last": last_day.isoformat()}}
    if first_day > today:
        # Nothing can have been measured yet: say so instead of drawing an empty chart.
        return {"labels": [], "series": [], **span, "future": True,
                "message": _("%(day)s is in the future: no readings yet. Choose a day up to %(today)s.") % {
                    "day": day.isoformat(), "today": today.isoformat()}}
    meters = {m.pk: m for m in scope(Meter.objects.filter(usable_meters_q(), site=site, parent__isnull=True,
                                                          carrier="electricity"), user)}
    slots: dict[int, float] = {}
    previous: tuple[int, dt.datetime, float, bool] | None = None
    rows = (Reading.objects.filter(plausible_readings_q(), meter_id__in=list(meters),
                                   ts__gte=start - dt.timedelta(days=1), ts__lt=end + dt.timedelta(days=1))
            .order_by("meter_id", "ts").values_list("meter_id", "ts", "value", "estimated"))
    estimated: set[int] = set()  # slots holding (part of) an estimated reading
    for meter_id, ts, value, is_estimate in rows:
        meter = meters[meter_id]
        if meter.reading_kind == Meter.ReadingKind.INTERVAL:
            t, q, guessed = ts, value, is_estimate
        elif previous is not None and previous[0] == meter_id:
            t, q, guessed = previous[1], value - previous[2], is_estimate or previous[3]
        else:
            t, q, guessed = None, None, False
        previous = (meter_id, ts, value, is_estimate)
        if t is None or q < 0 or not (start <= t < end):
            continue
        q *= float(meter.multiplier)
        k = int((t - start).total_seconds() // 900)
        n = max(1, meter.interval_minutes // 15)
        for j in range(k, min(k + n, days * 96)):
            slots[j] = slots.get(j, 0.0) + q / n
            if guessed:
                estimated.add(j)
    labels, data = [], []
    for k in range(days * 96):
        labels.append((start + dt.timedelta(minutes=15 * k)).strftime("%m-%d %H:%M"))
        data.append(slots.get(k))
    series = [{"name": "kWh", "data": data}]
    if estimated:
        series.append({"name": _("estimated"), "estimated": True,
                       "data": [slots.get(k) if k in estimated else None for k in range(days * 96)]})
    out = {"labels": labels, "series": series, **span}
    if all(v is None for v in data):
        out["message"] = _("No readings of the main electricity meters in this period.")
    return out


def load_curve_first_day(*, day: dt.date, days: int) -> dt.date:
    """The first day a load curve shows: the day itself, or for a week the Monday of the (ISO, Monday-to-Sunday)
    week containing it, so that the week view shows the chosen week and not the seven days after the date."""
    return day - dt.timedelta(days=day.weekday()) if days == 7 else day


def meter_series(*, meter: Meter, days: int = 60) -> dict:
    """A meter's daily quantities; days with no received interval are null (drawn as gaps). Days holding estimated
    readings are repeated in a second series (`"estimated": true`) so the chart marks them."""
    tz = _zone(meter.site.timezone)
    end_day = timezone.localdate(timezone=tz) + dt.timedelta(days=1)
    start = dt.datetime.combine(end_day - dt.timedelta(days=days), dt.time(), tzinfo=tz)
    rows = {r[0]: r for r in MeterRollup.objects.filter(
        finite_rollups_q(), meter=meter, granularity=MeterRollup.Granularity.DAY, bucket_start__gte=start)
        .values_list("bucket_start", "quantity", "received_intervals", "estimated_intervals")}
    labels, data, estimated = [], [], []
    for i in range(days):
        t = start + dt.timedelta(days=i)
        labels.append(t.strftime("%Y-%m-%d"))
        r = rows.get(t.astimezone(dt.UTC))
        data.append(r[1] if r and r[2] else None)
        estimated.append(r[1] if r and r[2] and r[3] else None)
    series = [{"name": meter.unit, "data": data}]
    if any(v is not None for v in estimated):
        series.append({"name": _("estimated"), "data": estimated, "estimated": True})
    return {"labels": labels, "series": series}


def latest_day(*, site: Site, user) -> dt.date | None:
    """Local day of the latest hour rollup of the site's main electricity meters (default day of the load curve)."""
    # Per meter, the newest hour bucket is one backward step of the hour index on (meter, bucket_start); a single
    # ORDER BY over all the meters' hours sorted a year of rows (18 ms with 5 meters).
    newest = (MeterRollup.objects.filter(meter_id=OuterRef("pk"), granularity=MeterRollup.Granularity.HOUR)
              .order_by("-bucket_start").values("bucket_start")[:1])
    stamps = [t for t in scope(Meter.objects.filter(site=site, parent__isnull=True, carrier="electricity"), user)
              .annotate(last=Subquery(newest)).values_list("last", flat=True) if t is not None]
    last = max(stamps, default=None)
    return timezone.localtime(last, timezone=_zone(site.timezone)).date() if last else None


UPLOAD_PAGE_ROWS = 50


def _paged(rows: list[dict], page: int) -> dict:
    """One page of refused rows (every refused row is listed, UPLOAD_PAGE_ROWS a page)."""
    pages = max(1, -(-len(rows) // UPLOAD_PAGE_ROWS))
    page = min(max(page, 1), pages)
    return {"items": rows[(page - 1) * UPLOAD_PAGE_ROWS: page * UPLOAD_PAGE_ROWS], "page": page, "pages": pages,
            "previous": page - 1 if page > 1 else None, "next": page + 1 if page < pages else None,
            "count": len(rows)}


def _monthly_reason(row: dict) -> str:
    reason = MONTHLY_ROW_REASONS.get(row.get("code", ""))
    return str(reason) if reason is not None else str(row.get("detail", ""))


def _monthly_sample(row: dict) -> dict:
    """A value of a monthly file as it will be stored, in the columns of the preview table (site or site / product,
    month, value, unit)."""
    unit = _("10⁴ CNY") if row["unit"] == "10k_cny" else dict(Product.Unit.choices).get(row["unit"], row["unit"])
    target = f"{row['site']} / {row['product']}" if row.get("product") else row["site"]
    return {"row": row["row"], "column": row.get("column", ""), "meter": target, "ts_local": row["month"], "utc": "",
            "value": row["value"], "unit": str(unit)}


def upload_state(job, *, page: int = 1) -> dict:
    """What the upload panel shows for a MonthlyUpload ("monthly") or a meters ImportJob ("meters"): status, progress
    (processed / total rows), the preview's counts, the first rows as they will be stored and every refused row with
    its translated reason (paged), the result and its tone: "ok" only when every row was saved (or already stored),
    "warn" when some were refused or in conflict, "bad" when none was saved."""
    if isinstance(job, MonthlyUpload):
        source, saved = "monthly", job.saved
        rejected = [{"row": r["row"], "column": "", "meter": "", "reason": _monthly_reason(r)}
                    for r in job.preview.get("rejected", [])]
        preview = {"rows": job.preview.get("rows"), "valid": job.preview.get("valid"), "rejected": len(rejected),
                   "duplicates": 0, "conflicts": 0, "truncated": False,
                   "sample": [_monthly_sample(r) for r in job.preview.get("sample", [])]}
        refused, conflicts, duplicates = len(job.rejected), 0, 0
        refused_rows = [{"row": r["row"], "column": "", "meter": "", "reason": _monthly_reason(r)}
                        for r in job.rejected]
    else:
        source, saved = "meters", job.accepted
        p = job.preview or {}
        rejected = [{"row": r.get("row", r["index"]), "column": r.get("column", ""), "meter": r.get("meter", ""),
                     "reason": import_row_reason(r)}
                    for r in sorted(p.get("rejected", []) + p.get("conflict_rows", []),
                                    key=lambda r: (r.get("row", r["index"]), r.get("column", "")))]
        preview = {"rows": p.get("rows"), "valid": p.get("valid_count"), "duplicates": p.get("duplicates", 0),
                   "conflicts": p.get("conflicts", 0), "rejected": p.get("rejected_count", len(rejected)),
                   "sample": [{**r, "utc": r["ts_utc"][:16].replace("T", " ")} for r in p.get("sample", [])],
                   "truncated": p.get("truncated", False),
                   "columns": p.get("columns", [])}
        refused, conflicts, duplicates = job.rejected + job.conflicts, job.conflicts, job.duplicates
        refused_rows = [{"row": r.get("row", r["index"]), "column": r.get("column", ""), "meter": r.get("meter", ""),
                         "reason": import_row_reason(r)} for r in job.refused_rows or []]
    status = job.status
    total = job.total_rows or 0
    if status == "done":
        percent = 100
    elif status in ("queued", "running") and total:
        percent = min(100, round(job.processed_rows * 100 / total))
    else:
        percent = 0 if status in ("queued", "running") else None
    tone = "ok" if not refused else ("warn" if saved or duplicates else "bad")
    return {"id": job.pk, "source": source, "obj": job, "kind": job.get_kind_display(), "file": job.original_name,
            "status": status, "status_label": job.get_status_display(), "total": total,
            "processed": job.processed_rows, "percent": percent, "preview": preview, "saved": saved,
            "duplicates": duplicates, "conflicts": conflicts, "refused": refused, "rejected_only": refused - conflicts,
            "tone": tone, "preset": getattr(job, "preset", None),
            "preview_rejected": _paged(rejected, page) if status != "done" else None,
            "refused_rows": _paged(refused_rows, page) if status == "done" else None,
            "error": job.error, "polling": status in ("validating", "queued", "running"),
            "committable": status == "preview" and bool(preview["valid"]), "created_at": job.created_at}


def upload_for(user, source: str, pk: int):
    qs = {"monthly": MonthlyUpload.objects.all(),
          "meters": ImportJob.objects.select_related("site", "preset")}.get(source)
    job = scope(qs, user).filter(pk=pk).first() if qs is not None else None
    if job is None:
        raise Http404
    return job


def upload_enterprise_id(job) -> int:
    return job.enterprise_id if isinstance(job, MonthlyUpload) else job.site.enterprise_id


def recent_uploads(*, enterprise: Enterprise, user, limit: int = 5) -> list[dict]:
    monthly = list(scope(MonthlyUpload.objects.filter(enterprise=enterprise), user).defer("data")[:limit])
    meters = list(scope(ImportJob.objects.filter(site__enterprise=enterprise), user).select_related("site")[:limit])
    jobs = sorted(monthly + meters, key=lambda j: j.created_at, reverse=True)[:limit]
    return [upload_state(j) for j in jobs]


TREND_METRICS = ("pue", "base_station", "product", "emissions")


def site_trend_metrics(site: Site) -> list[str]:
    """The monthly KPI trends that apply to a site: PUE (data centres), energy per base station (fleets), energy per
    unit of each product (sites with products), emissions by scope (all)."""
    out = []
    if site.kind == Site.Kind.DATA_CENTER:
        out.append("pue")
    if site.kind == Site.Kind.BASE_STATION_FLEET:
        out.append("base_station")
    if Product.objects.filter(site=site).exists():
        out.append("product")
    return [*out, "emissions"]


def _f(value):
    return float(value) if isinstance(value, Decimal) else value


def site_kpi_trend(*, site: Site, metric: str, months: int = 12, today: dt.date | None = None) -> dict:
    """A KPI of the site for each of the last `months` months (the current one counted to date), each month computed
    by carbon.kpis.site_kpis from rollups; all months' meter quantities are read in one aggregate."""
    today = today or timezone.localdate()
    first = month_add(today.replace(day=1), -(months - 1))
    covs = [period_coverage(period=Period.month(d.year, d.month), today=today)
            for d in (month_add(first, i) for i in range(months))]
    periods = [c.period for c in covs]
    with lookup_memo():
        quantities = meter_quantities_multi(site=site, periods=periods, meter_filter=KPI_METERS)
        rows = [site_kpis(site=site, period=p, with_yoy=False, quantities=quantities) for p in periods]
    labels = [f"{p.first:%Y-%m}" for p in periods]
    if metric == "pue":
        series = [{"name": "PUE", "unit": "ratio", "data": [_f(r.get("pue", {}).get("value")) for r in rows]}]
    elif metric == "base_station":
        series = [{"name": _("kWh per base station"), "unit": "kWh/site",
                   "data": [_f(r.get("energy_per_base_station_kwh", {}).get("value")) for r in rows]}]
    elif metric == "product":
        names = [p.get("name") or p["product"] for p in rows[0]["per_product"]] if rows else []
        series = [{"name": f'{code} ({rows[0]["per_product"][i]["energy_per_unit"]["unit"]})',
                   "unit": rows[0]["per_product"][i]["energy_per_unit"]["unit"],
                   "data": [_f(r["per_product"][i]["energy_per_unit"]["value"]) for r in rows]}
                  for i, code in enumerate(names)]
    else:
        series = [{"name": _("Scope 1 (tCO₂)"), "unit": "tCO2", "data": [_f(r["scope1_tco2"]["value"]) for r in rows]},
                  {"name": _("Scope 2 (tCO₂)"), "unit": "tCO2", "data": [_f(r["scope2_tco2"]["value"]) for r in rows]}]
    # The month in progress: totals to date; its intensities (per base station, per product) have no point.
    last = covs[-1] if covs else None
    return {"labels": labels, "series": series,
            "through": last.through.isoformat() if last is not None and last.through else None,
            "in_progress": [f"{c.period.first:%Y-%m}" for c in covs if c.in_progress]}


def target_progress(*, enterprise: Enterprise, user, today: dt.date | None = None) -> dict[int, dict]:
    """{target id: progress row} of the enterprise's targets visible to `user`, year to date: enterprise targets
    from `enterprise_kpis_current` (what the overview shows), site targets from `site_kpis` of the site's year to
    date (what the site page and the site KPI API show). Both rows come from carbon.kpis._targets, the one
    progress rule."""
    from carbon.kpis import enterprise_kpis_current
    from carbon.models import Target

    today = today or timezone.localdate()
    targets = scope(Target.objects.filter(enterprise=enterprise), user)
    out: dict[int, dict] = {}
    if targets.filter(site__isnull=True).exists():
        for row in enterprise_kpis_current(enterprise=enterprise, today=today)["year"].get("targets", []):
            out[row["id"]] = row
    for site in Site.objects.filter(pk__in=targets.filter(site__isnull=False).values("site")):
        out.update(site_target_progress(site=site, today=today))
    return out


def site_target_progress(*, site: Site, today: dt.date | None = None) -> dict[int, dict]:
    """{target id: progress row} of a site's targets, year to date (carbon.kpis.site_kpis)."""
    today = today or timezone.localdate()
    year = period_coverage(period=Period.year(today.year), today=today).period
    try:
        rows = site_kpis(site=site, period=year).get("targets", [])
    except ApplicationError:  # a year without a coefficient: no progress, never a broken page
        return {}
    return {row["id"]: row for row in rows}


def site_year_kpis(*, site: Site, today: dt.date | None = None) -> dict:
    """The site's KPI answer of the year to date with its targets' progress (carbon.kpis.site_kpis, as the site KPI
    API gives it); empty when the year cannot be computed (a coefficient missing)."""
    today = today or timezone.localdate()
    year = period_coverage(period=Period.year(today.year), today=today).period
    try:
        return site_kpis(site=site, period=year)
    except ApplicationError:
        return {}


def monthly_value_latest(*, kind: str, target, month: dt.date) -> dict | None:
    """The latest stored version of a month's value added (target = Site) or output (target = Product), or None."""
    if kind == "economic":
        qs = EconomicData.objects.filter(site=target, month=month).values(
            "version", value=models_f("value_added_10k_cny"))
    else:
        qs = ProductionData.objects.filter(product=target, month=month).values("version", value=models_f("quantity"))
    return qs.order_by("-version").first()


@dataclass(frozen=True)
class Gap:
    """A past local day of a meter with fewer intervals than expected; `pk` is its day rollup, None for a day without
    any reading (no rollup exists for it)."""

    meter: Meter
    bucket_start: dt.datetime
    expected_intervals: int
    received_intervals: int = 0
    estimated_intervals: int = 0
    pk: int | None = None

    @property
    def meter_id(self) -> int:
        return self.meter.pk

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.bucket_start, timezone=_zone(self.meter.site.timezone)).date()

    @property
    def whole_day(self) -> bool:
        return self.received_intervals == 0


def gap_days(*, enterprise: Enterprise, user, since: dt.datetime, limit: int = GAPS_LISTED) -> list[Gap]:
    """Incomplete past days of the enterprise's meters read at least daily, not acknowledged, newest first: days
    whose day rollup has fewer intervals than expected, and whole days without any reading (which have no rollup)
    between the meter's activation (or `since`) and the last day that ended more than QUALITY_GAP_GRACE_MINUTES
    ago. A day ended less than that ago is not a gap yet: a cumulative register's last interval waits for the next
    day's first reading, and gateways deliver in batches."""
    cutoff = timezone.now() - dt.timedelta(days=1, minutes=settings.QUALITY_GAP_GRACE_MINUTES)
    meters = list(scope(Meter.objects.filter(site__enterprise=enterprise, interval_minutes__lte=1440), user)
                  .select_related("site"))
    by_id = {m.pk: m for m in meters}
    acknowledged = set(GapAcknowledgement.objects.filter(meter__in=meters, day_start__gte=since)
                       .values_list("meter_id", "day_start"))
    window = MeterRollup.objects.filter(meter__in=meters, granularity=MeterRollup.Granularity.DAY,
                                        bucket_start__gte=since, bucket_start__lte=cutoff)
    gaps: list[Gap] = []
    # Partly filled days: selected in SQL.
    for pk, meter_id, start, expected, received, estimated in (
            window.filter(received_intervals__lt=F("expected_intervals"))
            .values_list("pk", "meter_id", "bucket_start", "expected_intervals", "received_intervals",
                         "estimated_intervals")):
        if (meter_id, start) not in acknowledged:
            gaps.append(Gap(by_id[meter_id], start, expected, received, estimated, pk))
    # Days with no rollup at all: each meter's local days in the window (computed, no query) against the number of
    # its day rollups within its active span (one grouped query); only a meter with fewer rollups than days has its
    # days read, to find which are missing. No readings are read.
    spans: dict[int, list[dt.datetime]] = {}
    for m in meters:
        zone = _zone(m.site.timezone)
        lo = max(since, m.active_from)
        hi = min(cutoff, m.active_to) if m.active_to else cutoff
        day = timezone.localtime(lo, timezone=zone).date()
        if dt.datetime.combine(day, dt.time(0), tzinfo=zone) < lo:  # started during that day: next day is first
            day += dt.timedelta(days=1)
        starts = []
        while (start := dt.datetime.combine(day, dt.time(0), tzinfo=zone)) <= hi:
            starts.append(start.astimezone(dt.UTC))
            day += dt.timedelta(days=1)
        spans[m.pk] = starts
    active = (Q(bucket_start__gte=F("meter__active_from"))
              & (Q(meter__active_to__isnull=True) | Q(bucket_start__lte=F("meter__active_to"))))
    counts = dict(window.filter(active).values_list("meter_id").annotate(n=Count("pk")).values_list("meter_id", "n"))
    short = [pk for pk, starts in spans.items() if counts.get(pk, 0) < len(starts)]
    seen = set(window.filter(meter_id__in=short).values_list("meter_id", "bucket_start")) if short else set()
    gaps.extend(Gap(by_id[pk], start, 1440 // by_id[pk].interval_minutes) for pk in short for start in spans[pk]
                if (pk, start) not in seen and (pk, start) not in acknowledged)
    gaps.sort(key=lambda g: (g.bucket_start, g.meter.site.code, g.meter.code), reverse=True)
    return gaps[:limit]
