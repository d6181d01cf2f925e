"""Cost computed from the meters' interval data, set-based in SQL next to the readings (docs/cost.md).

Per meter and local day: the interval quantities (an interval meter's values, a cumulative register's deltas, times
the multiplier: the same semantics as meters.rollup) are joined to a quarter-hour table of the tariff valid on the day
(band and price per month, day type and quarter-hour of the day), summed per band (`MeterBandDay`) and per day
(`MeterCostDay`, with the day's maximum demand: the highest interval quantity divided by the interval's hours).
Months (`MeterCostMonth`) are sums of their days plus, for billing meters, the capacity charge and the power-factor
adjustment. Frozen months (`costs_freeze_month`) are never recomputed.

Incremental work: `costs_sweep()` finds the meter-days whose day rollup differs from the rollup figures the cost was
computed against (so it follows the rollup sweep without a hook in meters) and recomputes those days and their
months; `costs_recompute()` after a tariff edit; `costs_recompute_all()` is the full recompute they must equal.

Why one module of about 550 lines: the day, band and month statements share the quarter-hour tariff table and the
interval CTE they are built from, and the incremental and full paths must run exactly the same SQL (the property test
holds them equal); splitting the statements from their one caller would only scatter that one computation.
"""

# ruff: noqa: S608  -- SQL is assembled from fixed fragments and validated time-zone names; values are parameters.
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from energy_platform.errors import ApplicationError
from meters.models import Carrier, Meter
from meters.rollup import _Sql
from plants.models import Enterprise

from .models import BANDS, Band, ElectricityTariff, MeterCostMonth, PowerFactorStep, TouPeriod

SLOTS_PER_DAY = 96
_CENT4 = Decimal("0.0001")
#: Meters whose electricity is not bought (their quantity gets no tariff).
_UNPRICED_ROLES = (Meter.Role.GENERATION, Meter.Role.EXPORT)


class _Local:
    """Local-time fragments of one time zone, for PostgreSQL and the embedded SQLite."""

    def __init__(self, tz: str):
        self.sql = _Sql(tz)
        self.pg = self.sql.pg
        self.q = self.sql.q
        self.off = self.sql.off

    def local(self, expr: str) -> str:
        return f"({expr} AT TIME ZONE {self.q})" if self.pg else f"datetime({expr}, '{self.off:+d} minutes')"

    def day(self, expr: str) -> str:
        return f"CAST({self.local(expr)} AS date)" if self.pg else f"date({self.local(expr)})"

    def month(self, expr: str) -> str:
        loc = self.local(expr)
        return (f"CAST(EXTRACT(MONTH FROM {loc}) AS integer)" if self.pg
                else f"CAST(strftime('%m', {loc}) AS integer)")

    def slot(self, expr: str) -> str:
        loc = self.local(expr)
        if self.pg:
            return (f"(CAST(EXTRACT(HOUR FROM {loc}) AS integer) * 4 "
                    f"+ CAST(EXTRACT(MINUTE FROM {loc}) AS integer) / 15)")
        # Doubled percent signs: the fragment goes into a query run with parameters (Django's SQLite wrapper
        # turns %% back into %; a bare %H breaks its query logging under DEBUG).
        return f"(CAST(strftime('%%H', {loc}) AS integer) * 4 + CAST(strftime('%%M', {loc}) AS integer) / 15)"

    def day_start(self, day_expr: str) -> str:
        """The UTC instant a local day (a date expression) starts."""
        if self.pg:
            return f"(CAST({day_expr} AS timestamp) AT TIME ZONE {self.q})"
        return f"datetime({day_expr}, '{-self.off:+d} minutes')"

    def month_of(self, day_expr: str) -> str:
        return (f"CAST(date_trunc('month', CAST({day_expr} AS timestamp)) AS date)" if self.pg
                else f"date({day_expr}, 'start of month')")

    @property
    def temp(self) -> str:
        return "CREATE TEMP TABLE IF NOT EXISTS"

    @property
    def on_commit(self) -> str:
        return " ON COMMIT DROP" if self.pg else ""


def _adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _fill(cur, table: str, columns: str, rows: list[tuple]) -> None:
    cur.execute(f"DELETE FROM {table}")
    if not rows:
        return
    marks = ", ".join(["%s"] * len(rows[0]))
    if connection.vendor == "postgresql":
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", [tuple(map(_adapt, r)) for r in rows])


def _temp_tables(cur, loc: _Local) -> None:
    ts = "timestamptz" if loc.pg else "datetime"
    real = "double precision" if loc.pg else "real"
    for ddl in (
        f"costs_ranges (meter_id bigint, lo {ts}, hi {ts}, lo_day date, hi_day date, next_ts {ts})",
        f"costs_q (meter_id bigint, ts {ts}, q {real}, ivl integer, day date, month integer, slot integer)",
        "costs_md (meter_id bigint, day date, tariff_id bigint, price_id bigint, holiday boolean)",
        f"costs_slots (tariff_id bigint, month integer, holiday boolean, slot integer, band varchar(16), price {real})",
    ):
        cur.execute(f"{loc.temp} {ddl}{loc.on_commit}")


def tariff_slots(tariff: ElectricityTariff) -> dict[tuple[int, bool], list[str]]:
    """The band of each quarter-hour of a day, per (month, holiday): `all` spans first, then the day type's own
    spans over them, each group in priority order; a quarter-hour no span covers is flat (平段)."""
    periods = list(TouPeriod.objects.filter(calendar_id=tariff.calendar_id))
    out: dict[tuple[int, bool], list[str]] = {}
    for month in range(1, 13):
        for holiday in (False, True):
            own = TouPeriod.DayType.HOLIDAY if holiday else TouPeriod.DayType.WORKDAY
            slots = [Band.FLAT.value] * SLOTS_PER_DAY
            chosen = [p for p in periods if month in p.month_list() and p.day_type in (TouPeriod.DayType.ALL, own)]
            chosen.sort(key=lambda p: (p.day_type == own, p.priority))
            for p in chosen:
                first = (p.start.hour * 60 + p.start.minute) // 15
                last = SLOTS_PER_DAY if p.end == dt.time(0) else (p.end.hour * 60 + p.end.minute) // 15
                for k in range(first, last):
                    slots[k] = p.band
            out[(month, holiday)] = slots
    return out


def _slot_rows(tariff_ids: list[int]) -> list[tuple]:
    rows = []
    for tariff in ElectricityTariff.objects.filter(pk__in=tariff_ids):
        prices = {b.value: tariff.price(b.value) for b in BANDS}
        for (month, holiday), slots in tariff_slots(tariff).items():
            for k, band in enumerate(slots):
                if prices[band] is None:
                    raise ApplicationError("tariff_incomplete",
                                           f"Tariff {tariff} has no price for the band {band} its calendar uses.")
                rows.append((tariff.pk, month, holiday, k, band, float(prices[band])))
    return rows


def _frozen(loc: _Local, meter: str, day: str) -> str:
    return (f"EXISTS (SELECT 1 FROM costs_metercostmonth f WHERE f.meter_id = {meter} "
            f"AND f.month = {loc.month_of(day)} AND f.frozen_at IS NOT NULL)")


def _compute_zone(cur, loc: _Local, ranges: dict[int, tuple[dt.date, dt.date]]) -> None:
    zone = zoneinfo.ZoneInfo(loc.sql.tz)
    _temp_tables(cur, loc)
    _fill(cur, "costs_ranges", "meter_id, lo, hi, lo_day, hi_day", [
        (m, dt.datetime.combine(lo, dt.time(), zone), dt.datetime.combine(hi, dt.time(), zone), lo, hi)
        for m, (lo, hi) in ranges.items()])
    cur.execute("UPDATE costs_ranges SET next_ts = (SELECT MIN(r.ts) FROM meters_reading r "
                "WHERE r.meter_id = costs_ranges.meter_id AND r.ts >= costs_ranges.hi)")
    # Interval quantities of the ranges (the delta of a register's last reading needs the next reading after hi).
    cur.execute("DELETE FROM costs_q")
    # The local time is converted once per reading (`lt`); day, month and quarter-hour come from it.
    if loc.pg:
        lt = f"(r.ts AT TIME ZONE {loc.q})"
        day, month = "CAST(x.lt AS date)", "CAST(EXTRACT(MONTH FROM x.lt) AS integer)"
        slot = "(CAST(EXTRACT(HOUR FROM x.lt) AS integer) * 4 + CAST(EXTRACT(MINUTE FROM x.lt) AS integer) / 15)"
    else:
        lt = f"datetime(r.ts, '{loc.off:+d} minutes')"
        day, month = "date(x.lt)", "CAST(strftime('%m', x.lt) AS integer)"
        slot = "(CAST(strftime('%H', x.lt) AS integer) * 4 + CAST(strftime('%M', x.lt) AS integer) / 15)"
    cur.execute(f"""
        INSERT INTO costs_q (meter_id, ts, q, ivl, day, month, slot)
        SELECT x.meter_id, x.ts,
               (CASE WHEN x.kind = 'interval' THEN x.v
                     WHEN x.nv >= x.v THEN x.nv - x.v
                     WHEN x.roll IS NOT NULL AND x.v >= 0.9 * x.roll AND x.nv <= 0.1 * x.roll THEN x.nv + x.roll - x.v
                     ELSE x.nv END) * x.mult,
               x.ivl, {day}, {month}, {slot}
        FROM (
            SELECT r.meter_id, r.ts, {lt} AS lt, r.value AS v, g.hi, m.reading_kind AS kind,
                   m.interval_minutes AS ivl, CAST(m.multiplier AS double precision) AS mult,
                   CAST(m.rollover_value AS double precision) AS roll,
                   LEAD(r.value) OVER (PARTITION BY r.meter_id ORDER BY r.ts) AS nv
            FROM costs_ranges g
            JOIN meters_reading r ON r.meter_id = g.meter_id AND r.ts >= g.lo
                                  AND r.ts <= COALESCE(g.next_ts, {loc.sql.infinity})
            JOIN meters_meter m ON m.id = g.meter_id
        ) x
        WHERE x.ts < x.hi AND (x.kind = 'interval' OR x.nv IS NOT NULL)
    """)
    # The meter-days to write: every day with intervals or a day rollup in the ranges, outside frozen months.
    cur.execute("DELETE FROM costs_md")
    cur.execute(f"""
        INSERT INTO costs_md (meter_id, day)
        SELECT meter_id, day FROM (
            SELECT q.meter_id, q.day FROM costs_q q
            UNION
            SELECT r.meter_id, {loc.day('r.bucket_start')} FROM costs_ranges g
            JOIN meters_meterrollup r ON r.meter_id = g.meter_id AND r.granularity = 'day'
                                      AND r.bucket_start >= g.lo AND r.bucket_start < g.hi
        ) u WHERE NOT {_frozen(loc, 'u.meter_id', 'u.day')}
    """)
    # The tariff valid on each day: the meter's own before the site's, the latest version first.
    electricity = f"m.carrier = '{Carrier.ELECTRICITY.value}' AND m.role NOT IN ('{_UNPRICED_ROLES[0].value}', " \
                  f"'{_UNPRICED_ROLES[1].value}')"
    cur.execute(f"""
        UPDATE costs_md SET tariff_id = (
            SELECT t.id FROM costs_electricitytariff t JOIN meters_meter m ON m.site_id = t.site_id
            WHERE m.id = costs_md.meter_id AND {electricity}
              AND (t.meter_id = m.id OR t.meter_id IS NULL)
              AND t.valid_from <= costs_md.day AND (t.valid_to IS NULL OR t.valid_to >= costs_md.day)
            ORDER BY CASE WHEN t.meter_id IS NULL THEN 1 ELSE 0 END, t.valid_from DESC, t.id DESC LIMIT 1),
        price_id = (
            SELECT p.id FROM costs_carrierprice p JOIN meters_meter m ON m.site_id = p.site_id
            WHERE m.id = costs_md.meter_id AND p.carrier = m.carrier
              AND p.valid_from <= costs_md.day AND (p.valid_to IS NULL OR p.valid_to >= costs_md.day)
            ORDER BY p.valid_from DESC, p.id DESC LIMIT 1)
    """)
    cur.execute("""
        UPDATE costs_md SET holiday = EXISTS (
            SELECT 1 FROM costs_touholiday h JOIN costs_electricitytariff t ON t.calendar_id = h.calendar_id
            WHERE t.id = costs_md.tariff_id AND h.day = costs_md.day)
    """)
    cur.execute("SELECT DISTINCT tariff_id FROM costs_md WHERE tariff_id IS NOT NULL")
    _fill(cur, "costs_slots", "tariff_id, month, holiday, slot, band, price",
          _slot_rows([row[0] for row in cur.fetchall()]))
    if loc.pg:  # temporary tables have no statistics until analysed: without them the joins below nest loops
        cur.execute("ANALYZE costs_q, costs_md, costs_slots")
    # Replace the ranges' unfrozen days.
    for table in ("costs_meterbandday", "costs_metercostday"):
        cur.execute(f"""
            DELETE FROM {table} WHERE EXISTS (
                SELECT 1 FROM costs_ranges g WHERE g.meter_id = {table}.meter_id
                AND {table}.day >= g.lo_day AND {table}.day < g.hi_day)
            AND NOT {_frozen(loc, f'{table}.meter_id', f'{table}.day')}
        """)
    cur.execute("""
        INSERT INTO costs_meterbandday (meter_id, day, band, energy_kwh, energy_cny)
        SELECT q.meter_id, q.day, s.band, ROUND(CAST(SUM(q.q) AS numeric), 4),
               ROUND(CAST(SUM(q.q * s.price) AS numeric), 4)
        FROM costs_q q
        JOIN costs_md d ON d.meter_id = q.meter_id AND d.day = q.day
        JOIN costs_slots s ON s.tariff_id = d.tariff_id AND s.month = q.month AND s.holiday = d.holiday
                           AND s.slot = q.slot
        GROUP BY q.meter_id, q.day, s.band
    """)
    now = "now()" if loc.pg else "datetime('now')"
    cur.execute(f"""
        INSERT INTO costs_metercostday (meter_id, day, quantity, energy_cny, funds_cny, max_demand_kw, max_demand_at,
                                        tariff_id, carrier_price_id, rollup_quantity, rollup_received, computed_at)
        SELECT d.meter_id, d.day, COALESCE(a.quantity, 0),
               CASE WHEN d.tariff_id IS NOT NULL THEN COALESCE(bd.cny, 0)
                    WHEN d.price_id IS NOT NULL
                    THEN ROUND(COALESCE(a.quantity, 0) * (SELECT p.price_cny FROM costs_carrierprice p
                                                          WHERE p.id = d.price_id), 4) END,
               CASE WHEN d.tariff_id IS NOT NULL
                    THEN ROUND(COALESCE(a.quantity, 0) * (SELECT t.funds_cny_per_kwh FROM costs_electricitytariff t
                                                          WHERE t.id = d.tariff_id), 4) END,
               pk.kw, pk.ts, d.tariff_id, d.price_id, r.quantity, r.received_intervals, {now}
        FROM costs_md d
        LEFT JOIN (SELECT meter_id, day, ROUND(CAST(SUM(q) AS numeric), 4) AS quantity FROM costs_q
                   GROUP BY meter_id, day) a ON a.meter_id = d.meter_id AND a.day = d.day
        LEFT JOIN (SELECT meter_id, day, ROUND(CAST(q * 60.0 / ivl AS numeric), 4) AS kw, ts FROM (
                       SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.meter_id, c.day ORDER BY c.q DESC, c.ts) AS n
                       FROM costs_q c JOIN meters_meter m ON m.id = c.meter_id
                       WHERE m.carrier = '{Carrier.ELECTRICITY.value}' AND c.ivl <= 60) w
                   WHERE n = 1) pk ON pk.meter_id = d.meter_id AND pk.day = d.day
        LEFT JOIN (SELECT b.meter_id, b.day, SUM(b.energy_cny) AS cny FROM costs_meterbandday b
                   JOIN costs_md d2 ON d2.meter_id = b.meter_id AND d2.day = b.day
                   GROUP BY b.meter_id, b.day) bd ON bd.meter_id = d.meter_id AND bd.day = d.day
        LEFT JOIN meters_meterrollup r ON r.meter_id = d.meter_id AND r.granularity = 'day'
                                       AND r.bucket_start = {loc.day_start('d.day')}
    """)
    _months(cur, loc)


def _months(cur, loc: _Local) -> None:
    """Rebuild every unfrozen month the ranges touch from its days; then the billing meters' capacity charge and
    power-factor adjustment."""
    month = loc.month_of("c.day")
    touched = (f"EXISTS (SELECT 1 FROM costs_ranges g WHERE g.meter_id = c.meter_id "
               f"AND {month} >= {loc.month_of('g.lo_day')} AND {month} < g.hi_day)")
    cur.execute(f"""
        DELETE FROM costs_metercostmonth WHERE frozen_at IS NULL AND EXISTS (
            SELECT 1 FROM costs_ranges g WHERE g.meter_id = costs_metercostmonth.meter_id
            AND costs_metercostmonth.month >= {loc.month_of('g.lo_day')} AND costs_metercostmonth.month < g.hi_day)
    """)
    now = "now()" if loc.pg else "datetime('now')"
    billing = (f"m.parent_id IS NULL AND m.role IN ('{Meter.Role.PURCHASE.value}', "
               f"'{Meter.Role.FACILITY_TOTAL.value}') AND m.carrier = '{Carrier.ELECTRICITY.value}'")
    cur.execute(f"""
        INSERT INTO costs_metercostmonth (meter_id, month, quantity, energy_cny, funds_cny, max_demand_kw,
                                          max_demand_at, tariff_id, billing, computed_at)
        SELECT a.meter_id, a.month, a.quantity, a.energy_cny, a.funds_cny, a.max_demand_kw,
               (SELECT c2.max_demand_at FROM costs_metercostday c2 WHERE c2.meter_id = a.meter_id
                AND c2.day >= a.month AND c2.day <= a.month_end AND c2.max_demand_kw IS NOT NULL
                ORDER BY c2.max_demand_kw DESC, c2.day LIMIT 1),
               (SELECT c3.tariff_id FROM costs_metercostday c3 WHERE c3.meter_id = a.meter_id
                AND c3.day >= a.month AND c3.day <= a.month_end AND c3.tariff_id IS NOT NULL
                ORDER BY c3.day DESC LIMIT 1),
               a.billing, {now}
        FROM (
            SELECT c.meter_id, {month} AS month, MAX(c.day) AS month_end, SUM(c.quantity) AS quantity,
                   SUM(c.energy_cny) AS energy_cny, SUM(c.funds_cny) AS funds_cny,
                   MAX(c.max_demand_kw) AS max_demand_kw, MAX(CASE WHEN {billing} THEN 1 ELSE 0 END) = 1 AS billing
            FROM costs_metercostday c JOIN meters_meter m ON m.id = c.meter_id
            WHERE {touched} AND NOT EXISTS (SELECT 1 FROM costs_metercostmonth f WHERE f.meter_id = c.meter_id
                                            AND f.month = {month})
            GROUP BY c.meter_id, {month}
        ) a
    """)
    # Totals of the months without a capacity charge or power-factor adjustment: energy + funds.
    fresh = ("frozen_at IS NULL AND EXISTS (SELECT 1 FROM costs_ranges g "
             "WHERE g.meter_id = costs_metercostmonth.meter_id "
             f"AND costs_metercostmonth.month >= {loc.month_of('g.lo_day')} AND costs_metercostmonth.month < g.hi_day)")
    cur.execute(f"UPDATE costs_metercostmonth SET total_cny = CASE WHEN energy_cny IS NULL THEN NULL "
                f"ELSE energy_cny + COALESCE(funds_cny, 0) END WHERE {fresh}")
    cur.execute(f"SELECT id FROM costs_metercostmonth WHERE {fresh} AND billing = %s AND tariff_id IS NOT NULL", [True])
    ids = [row[0] for row in cur.fetchall()]
    months = list(MeterCostMonth.objects.filter(pk__in=ids).select_related("tariff"))
    _billing_charges(months, loc)


def power_factor_adjustment_pct(*, table_id: int, power_factor: Decimal) -> Decimal:
    """The table's adjustment for a monthly power factor, rounded half up to two decimals first; below the lowest
    step, the lowest step's adjustment."""
    pf = power_factor.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    steps = PowerFactorStep.objects.filter(table_id=table_id)
    step = steps.filter(power_factor__lte=pf).order_by("-power_factor").first() or steps.order_by(
        "power_factor").first()
    return step.adjustment_pct if step else Decimal(0)


def _billing_charges(months: list[MeterCostMonth], loc: _Local) -> None:
    """Capacity charge and power-factor adjustment of billing meters' months (one row per billing meter and month)."""
    reactive = _reactive_kvarh(months, loc)
    for m in months:
        t = m.tariff
        assert t is not None
        capacity = Decimal(0)
        if t.capacity_basis == ElectricityTariff.CapacityBasis.MAX_DEMAND_KW and m.max_demand_kw is not None:
            capacity = (t.capacity_price_cny or 0) * m.max_demand_kw
        elif t.capacity_basis == ElectricityTariff.CapacityBasis.TRANSFORMER_KVA:
            capacity = (t.capacity_price_cny or 0) * (t.transformer_kva or 0)
        m.capacity_cny = capacity.quantize(_CENT4, rounding=ROUND_HALF_UP)
        m.reactive_kvarh = m.power_factor = m.pf_adjustment_pct = m.pf_adjustment_cny = None
        kvarh = reactive.get((t.reactive_meter_id, m.month)) if t.reactive_meter_id else None
        if t.pf_table_id and kvarh is not None and m.quantity > 0:
            m.reactive_kvarh = kvarh.quantize(_CENT4)
            m.power_factor = (m.quantity / (m.quantity ** 2 + kvarh ** 2).sqrt()).quantize(_CENT4)
            m.pf_adjustment_pct = power_factor_adjustment_pct(table_id=t.pf_table_id, power_factor=m.power_factor)
            m.pf_adjustment_cny = ((m.energy_cny or 0) + m.capacity_cny) * m.pf_adjustment_pct / 100
            m.pf_adjustment_cny = m.pf_adjustment_cny.quantize(_CENT4, rounding=ROUND_HALF_UP)
        m.total_cny = ((m.energy_cny or 0) + (m.funds_cny or 0) + m.capacity_cny + (m.pf_adjustment_cny or 0))
    MeterCostMonth.objects.bulk_update(months, ["capacity_cny", "reactive_kvarh", "power_factor",
                                                "pf_adjustment_pct", "pf_adjustment_cny", "total_cny"])


def _reactive_kvarh(months: list[MeterCostMonth], loc: _Local) -> dict[tuple[int, dt.date], Decimal]:
    """Monthly reactive energy of the tariffs' reactive meters, from the meters' monthly rollups."""
    from meters.models import MeterRollup

    wanted = {(m.tariff.reactive_meter_id, m.month) for m in months if m.tariff and m.tariff.reactive_meter_id}
    if not wanted:
        return {}
    zone = zoneinfo.ZoneInfo(loc.sql.tz)
    starts = {dt.datetime.combine(month, dt.time(), zone) for _, month in wanted}
    out = {}
    for meter_id, start, quantity in MeterRollup.objects.filter(
            granularity="month", meter_id__in={m for m, _ in wanted}, bucket_start__in=starts).values_list(
            "meter_id", "bucket_start", "quantity"):
        out[(meter_id, start.astimezone(zone).date())] = Decimal(repr(quantity))
    return out


def _zones(meter_ids) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for pk, tz in Meter.objects.filter(pk__in=list(meter_ids)).values_list("pk", "site__timezone"):
        groups[tz].append(pk)
    return groups


def costs_compute(*, ranges: dict[int, tuple[dt.date, dt.date]]) -> int:
    """Recompute the cost of each meter over local days [lo, hi) and of the months they touch (frozen months are
    left alone). Returns the number of meters done."""
    if not ranges:
        return 0
    with transaction.atomic(), connection.cursor() as cur:
        for tz, ids in _zones(ranges).items():
            _compute_zone(cur, _Local(tz), {m: ranges[m] for m in ids})
    return len(ranges)


def costs_recompute(*, meter_ids: list[int] | None = None, since: dt.date | None = None) -> int:
    """Full recompute of the given meters (all meters by default) from their first reading, or from `since`:
    after a tariff or price edit. Frozen months stay as they were."""
    qs = Meter.objects.all() if meter_ids is None else Meter.objects.filter(pk__in=meter_ids)
    ranges: dict[int, tuple[dt.date, dt.date]] = {}
    with connection.cursor() as cur:
        ids = list(qs.values_list("pk", flat=True))
        if not ids:
            return 0
        cur.execute("SELECT meter_id, MIN(ts), MAX(ts) FROM meters_reading WHERE meter_id IN ("
                    + ",".join(["%s"] * len(ids)) + ") GROUP BY meter_id", ids)
        spans = cur.fetchall()
    tzs = dict(Meter.objects.filter(pk__in=[s[0] for s in spans]).values_list("pk", "site__timezone"))
    for meter_id, lo, hi in spans:
        if isinstance(lo, str):
            lo = dt.datetime.fromisoformat(lo).replace(tzinfo=dt.UTC)
            hi = dt.datetime.fromisoformat(hi).replace(tzinfo=dt.UTC)
        zone = zoneinfo.ZoneInfo(tzs[meter_id])
        first = lo.astimezone(zone).date()
        if since is not None:
            first = max(first, since)
        ranges[meter_id] = (first, hi.astimezone(zone).date() + dt.timedelta(days=1))
    with transaction.atomic():
        if since is None:
            # Days left over from readings since removed (frozen months stay).
            loc = _Local("UTC")
            marks = ",".join(["%s"] * len(ids))
            with connection.cursor() as cur:
                for table in ("costs_meterbandday", "costs_metercostday"):
                    cur.execute(f"DELETE FROM {table} WHERE meter_id IN ({marks}) "
                                f"AND NOT {_frozen(loc, f'{table}.meter_id', f'{table}.day')}", ids)
        return costs_compute(ranges=ranges)


def costs_recompute_all() -> int:
    """Every meter's cost from scratch (what the incremental sweep must equal)."""
    return costs_recompute()


def costs_stale_days(*, limit: int = 50_000) -> dict[int, set[dt.date]]:
    """Meter-days whose day rollup differs from the figures their cost was computed against (or have no cost yet),
    outside frozen months: one anti-join per time zone."""
    out: dict[int, set[dt.date]] = defaultdict(set)
    tzs = Meter.objects.values_list("site__timezone", flat=True).distinct()
    with connection.cursor() as cur:
        for tz in set(tzs):
            loc = _Local(tz)
            day = loc.day("r.bucket_start")
            cur.execute(f"""
                SELECT r.meter_id, {day} FROM meters_meterrollup r
                JOIN meters_meter m ON m.id = r.meter_id JOIN plants_site s ON s.id = m.site_id
                WHERE r.granularity = 'day' AND s.timezone = %s
                AND NOT EXISTS (SELECT 1 FROM costs_metercostday c WHERE c.meter_id = r.meter_id AND c.day = {day}
                                AND c.rollup_quantity = r.quantity AND c.rollup_received = r.received_intervals)
                AND NOT {_frozen(loc, 'r.meter_id', day)}
                LIMIT %s
            """, [tz, limit])
            for meter_id, d in cur.fetchall():
                out[meter_id].add(dt.date.fromisoformat(d) if isinstance(d, str) else d)
    return out


def costs_sweep(*, limit: int = 50_000) -> int:
    """Recompute the cost of the stale meter-days (after the rollup sweep), then freeze closed months not frozen yet;
    returns the number of meter-days recomputed."""
    stale = costs_stale_days(limit=limit)
    ranges = {m: (min(days), max(days) + dt.timedelta(days=1)) for m, days in stale.items()}
    costs_compute(ranges=ranges)
    costs_freeze_closed()
    return sum(len(d) for d in stale.values())


@transaction.atomic
def costs_freeze_month(*, enterprise: Enterprise, month: dt.date) -> int:
    """Freeze an enterprise's cost figures of a month (call it when the month closes): bring them up to date,
    then mark its month rows frozen; later recomputes leave the month, its days and bands as they are.
    Returns the number of meter-months frozen."""
    month = month.replace(day=1)
    meters = list(Meter.objects.filter(site__enterprise=enterprise).values_list("pk", flat=True))
    if not meters:
        return 0
    end = (month + dt.timedelta(days=32)).replace(day=1)
    already = set(MeterCostMonth.objects.filter(meter_id__in=meters, month=month, frozen_at__isnull=False)
                  .values_list("meter_id", flat=True))
    costs_compute(ranges={m: (month, end) for m in meters if m not in already})
    return MeterCostMonth.objects.filter(meter_id__in=meters, month=month, frozen_at__isnull=True).update(
        frozen_at=timezone.now())


def quarter_hour_load(*, meter_ids: list[int], day: dt.date, tz: str) -> dict[int, float]:
    """The summed average load (kW) of the meters in each quarter-hour of a local day, from their readings (a
    register's delta needs the reading after it: readings up to a day later are read)."""
    if not meter_ids:
        return {}
    loc = _Local(tz)
    zone = zoneinfo.ZoneInfo(tz)
    lo = dt.datetime.combine(day, dt.time(), zone)
    hi = lo + dt.timedelta(days=1)
    marks = ",".join(["%s"] * len(meter_ids))
    with connection.cursor() as cur:
        cur.execute(f"""
            SELECT {loc.slot('x.ts')}, SUM(
                   (CASE WHEN x.kind = 'interval' THEN x.v
                         WHEN x.nv >= x.v THEN x.nv - x.v
                         WHEN x.roll IS NOT NULL AND x.v >= 0.9 * x.roll AND x.nv <= 0.1 * x.roll
                              THEN x.nv + x.roll - x.v
                         ELSE x.nv END) * x.mult * 60.0 / x.ivl)
            FROM (SELECT r.ts, r.value AS v, m.reading_kind AS kind, m.interval_minutes AS ivl,
                         CAST(m.multiplier AS double precision) AS mult,
                         CAST(m.rollover_value AS double precision) AS roll,
                         LEAD(r.value) OVER (PARTITION BY r.meter_id ORDER BY r.ts) AS nv
                  FROM meters_reading r JOIN meters_meter m ON m.id = r.meter_id
                  WHERE r.meter_id IN ({marks}) AND r.ts >= %s AND r.ts < %s) x
            WHERE x.ts < %s AND (x.kind = 'interval' OR x.nv IS NOT NULL) AND x.ivl <= 60
            GROUP BY 1
        """, [*meter_ids, _adapt(lo), _adapt(hi + dt.timedelta(days=1)), _adapt(hi)])
        return {int(slot): round(float(kw), 3) for slot, kw in cur.fetchall()}


def costs_freeze_hook(*, enterprise: Enterprise, month: dt.date) -> list[str]:
    """Period-close hook: freeze the month's cost."""
    costs_freeze_month(enterprise=enterprise, month=month)
    return []


@transaction.atomic
def costs_restate_hook(*, enterprise: Enterprise, month: dt.date) -> list[str]:
    """Restatement hook: the restated month's cost is recomputed from the data as it now is, and frozen again."""
    month = month.replace(day=1)
    MeterCostMonth.objects.filter(meter__site__enterprise=enterprise, month=month).update(frozen_at=None)
    costs_freeze_month(enterprise=enterprise, month=month)
    return []


def costs_freeze_closed() -> int:
    """Freeze the cost of every closed accounting month not frozen yet (the sweep's safety net when the close did not
    call the hook). Returns the number of enterprise-months frozen."""
    from carbon.models import AccountingPeriod

    pending = AccountingPeriod.objects.filter(status=AccountingPeriod.Status.CLOSED).filter(
        Exists(MeterCostMonth.objects.filter(meter__site__enterprise=OuterRef("enterprise"), month=OuterRef("month"),
                                             frozen_at__isnull=True))).select_related("enterprise")
    done = 0
    for period in pending:
        costs_freeze_month(enterprise=period.enterprise, month=period.month)
        done += 1
    return done
