"""Energy accounting: meter quantities from monthly rollups, converted to standard coal (GB/T 2589 in force).

Comprehensive energy consumption of a site (DOMAIN.md §1): E = Σ purchased + Σ self-generated − Σ supplied to others,
per carrier, each times its coefficient. Only boundary meters count: top-level meters (no parent) whose role is
`purchase`, `facility_total` (purchased energy entering a data center), `generation` (added) or `export`
(subtracted). Sub-meters (`sub`, `it_load`) are inside the boundary and never added on top of their parent.
Purchased green electricity (carrier `green_electricity`) is a contractual instrument delivered through the grid
meter, so it is not added to consumption; it only enters the renewable share and the market-based view.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import NamedTuple

from django.db.models import BooleanField, ExpressionWrapper, Q, Sum

from energy_platform.errors import ApplicationError
from energy_platform.numbers import exact, metered
from meters.models import Carrier, Meter, MeterRollup
from meters.units import quantity_problem, unit_scale
from plants.models import Enterprise, Site

from .models import ConversionMethod, EnergyCoefficient
from .periods import Period

BOUNDARY_IN = {Meter.Role.PURCHASE, Meter.Role.FACILITY_TOTAL}
NOT_CONSUMPTION = {Carrier.GREEN_ELECTRICITY}


class MeterQuantity(NamedTuple):  # a tuple: built ~4x faster than a frozen dataclass, 1,000 times a dashboard read
    meter_id: int
    code: str
    carrier: str
    unit: str
    role: str
    parent_id: int | None
    production_unit_id: int | None
    quantity: float
    received: int
    expected: int


class MeterQuantities(list):
    """The usable meters' quantities of a period (a list of MeterQuantity), with `excluded`: the meters left out
    because their data cannot be accounted ({"meter", "reason", "detail"}: a unit their carrier does not allow, a
    non-finite, negative or implausibly large quantity). Deciding it here, once, keeps one bad meter from breaking
    any figure, page or report built on these quantities; each of them reports the exclusions as incomplete."""

    excluded: list[dict]

    def __init__(self, rows=(), excluded: list[dict] | None = None):
        super().__init__(rows)
        self.excluded = excluded or []


def excluded_of(quantities: list[MeterQuantity]) -> list[dict]:
    """The meters left out of these quantities (see MeterQuantities); none for a plain list."""
    return list(getattr(quantities, "excluded", []))


def meter_quantities(*, site: Site, period: Period, meter_filter: Q | None = None) -> list[MeterQuantity]:
    """Each meter's consumption in the period, from monthly rollups (one aggregate query); for a period in progress
    (`period.until`), from daily rollups up to that day."""
    return meter_quantities_multi(site=site, periods=[period], meter_filter=meter_filter)[period]


def meter_quantities_multi(*, site: Site, periods: list[Period],
                           meter_filter: Q | None = None) -> dict[Period, list[MeterQuantity]]:
    """`meter_quantities` of several periods at once (a dashboard: month and year to date, this year and last):
    one conditional aggregate per rollup granularity and one read of the meters, instead of two queries a period.
    `meter_filter` is a Q over Meter: only those meters (and their rollups) are read."""
    tz = zoneinfo.ZoneInfo(site.timezone)
    windows: dict[Period, tuple[str, dt.datetime, dt.datetime]] = {}
    for period in periods:
        start, end = period.start(site.timezone), period.end(site.timezone)
        if period.until is not None:
            windows[period] = (MeterRollup.Granularity.DAY, start,
                               min(end, dt.datetime.combine(period.until, dt.time(), tz)))
        else:
            windows[period] = (MeterRollup.Granularity.MONTH, start, end)
    # Which meters were active in each period is decided in SQL (one boolean a period), so the rows carry no
    # datetimes to parse: this read serves the dashboard, and per-row Python work is most of its time.
    active = {f"a{i}": ExpressionWrapper(Q(active_from__lt=end) & (Q(active_to__isnull=True) | Q(active_to__gt=start)),
                                         output_field=BooleanField())
              for i, (start, end) in enumerate((p.start(site.timezone), p.end(site.timezone)) for p in windows)}
    meters = list(Meter.objects.filter(site=site).filter(meter_filter or Q()).annotate(**active).values_list(
        "id", "code", "carrier", "unit", "role", "parent_id", "production_unit_id", "interval_minutes",
        "multiplier", "max_reading", *active))
    sums: list[dict[int, tuple]] = [{} for _ in windows]  # per period (in `windows` order): meter id -> sums
    for granularity in {w[0] for w in windows.values()}:
        mine = [(i, w) for i, w in enumerate(windows.values()) if w[0] == granularity]
        # The meters' ids as literals, not a join on the site: PostgreSQL then walks the granularity's unique index
        # on (meter, bucket_start) per meter instead of scanning the whole rollup table.
        qs = MeterRollup.objects.filter(granularity=granularity, bucket_start__gte=min(w[1] for _, w in mine),
                                        bucket_start__lt=max(w[2] for _, w in mine))
        qs = qs.filter(meter_id__any_of=[m[0] for m in meters])  # one array parameter (energy_platform.lookups)
        aggregates: dict[str, Sum] = {}
        for i, (_g, start, end) in mine:
            within = Q(bucket_start__gte=start, bucket_start__lt=end)
            aggregates |= {f"q{i}": Sum("quantity", filter=within), f"rec{i}": Sum("received_intervals", filter=within),
                           f"exp{i}": Sum("expected_intervals", filter=within)}
        for r in qs.values("meter_id").annotate(**aggregates).values_list("meter_id", *aggregates):
            for k, (i, _w) in enumerate(mine):
                q, rec, exp = r[1 + 3 * k: 4 + 3 * k]
                if exp is not None:  # the meter has rollup rows inside this period
                    sums[i][r[0]] = (q, rec, exp)
    out: dict[Period, list[MeterQuantity]] = {}
    for i, period in enumerate(windows):
        expected_of: dict[int, int] = {}  # meters without rollup rows, per reading interval
        found, rows, excluded = sums[i], MeterQuantities(), []
        for mid, code, carrier, unit, role, parent_id, unit_id, ivl, mult, own_max, *flags in meters:
            if not flags[i]:
                continue
            row = found.get(mid)
            quantity = metered(float(row[0] or 0)) if row is not None else 0.0
            problem = quantity_problem(carrier=carrier, unit=unit, quantity=quantity, multiplier=mult,
                                       own_max=own_max, intervals=int(row[2]) if row is not None else 1)
            if problem is not None:
                excluded.append({"meter": code, "site": site.code, "reason": problem[0], "detail": problem[1]})
                continue
            if row is not None:
                rows.append(MeterQuantity(mid, code, carrier, unit, role, parent_id, unit_id, quantity,
                                          int(row[1] or 0), int(row[2])))
                continue
            if ivl not in expected_of:
                expected_of[ivl] = _expected_intervals(period, site, ivl)
            rows.append(MeterQuantity(mid, code, carrier, unit, role, parent_id, unit_id, 0.0, 0, expected_of[ivl]))
        rows.excluded = excluded
        out[period] = rows
    return out


def _expected_intervals(period: Period, site: Site, interval_minutes: int) -> int:
    if interval_minutes >= 28 * 1440:
        return period.n_months
    minutes = (period.end(site.timezone) - period.start(site.timezone)) / dt.timedelta(minutes=1)
    return int(minutes // interval_minutes)


_MEMO: ContextVar[dict | None] = ContextVar("carbon_lookup_memo", default=None)


@contextmanager
def lookup_memo():
    """Inside this block, coefficient and emission-factor lookups with equal arguments read the database once (a
    dashboard computing several periods of several sites). Nothing is kept after the block."""
    token = _MEMO.set({}) if _MEMO.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _MEMO.reset(token)


def memo_active() -> dict | None:
    """The lookup memo of the enclosing `lookup_memo()` block, or None outside one."""
    return _MEMO.get()


def memoized(key: tuple, compute):
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def coefficient_for(*, carrier: str, on: dt.date, enterprise: Enterprise | None = None,
                    method: str = ConversionMethod.EQUIVALENT) -> EnergyCoefficient:
    """The coefficient valid on a date: an enterprise's own row first, then the national one. Electricity by the
    equal-value method needs that year's thermal generation coal rate, which must be loaded by an administrator.

    Substitution rule (docs/accounting.md): a date no loaded edition covers (before GB/T 2589-2008 came into force on
    2008-06-01) takes the nearest edition in time — the earliest one after the date, else the latest one before it;
    the returned row then carries `substituted_for` (the date) so that answers name it as substituted."""
    return memoized(("coefficient", carrier, on, enterprise.pk if enterprise else None, method),
                    lambda: _coefficient_for(carrier=carrier, on=on, enterprise=enterprise, method=method))


def _coefficient_for(*, carrier: str, on: dt.date, enterprise: Enterprise | None, method: str) -> EnergyCoefficient:
    electric = carrier in (Carrier.ELECTRICITY, Carrier.PV_GENERATION, Carrier.GREEN_ELECTRICITY)
    use_method = method if electric else ConversionMethod.EQUIVALENT
    mine = Q(enterprise=enterprise) | Q(enterprise__isnull=True)
    base = EnergyCoefficient.objects.filter(carrier=carrier, method=use_method).filter(mine)
    qs = base.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    if use_method == ConversionMethod.EQUAL_VALUE:
        qs = qs.filter(Q(year=on.year) | Q(year__isnull=True))
    rows = list(qs.order_by("-valid_from"))
    own = [r for r in rows if r.enterprise_id is not None]
    row: EnergyCoefficient | None = (own or rows)[0] if (own or rows) else None
    if row is None and use_method == ConversionMethod.EQUIVALENT:
        # No edition covers the date: the nearest edition in time, named as substituted.
        row = (base.filter(enterprise__isnull=True, valid_from__gt=on).order_by("valid_from").first()
               or base.filter(enterprise__isnull=True, valid_to__lt=on).order_by("-valid_to").first())
        if row is not None:
            row.substituted_for = on
    if row is None:
        if use_method == ConversionMethod.EQUAL_VALUE:
            raise ApplicationError("no_equal_value_rate",
                                   f"No equal-value electricity rate (thermal generation coal rate) is loaded for "
                                   f"{on.year}; add it under Energy coefficients or use the equivalent method.")
        raise ApplicationError("no_coefficient", f"No standard-coal coefficient for {carrier} valid on {on}.")
    return row


def coefficient_disclosure(coefficient: EnergyCoefficient) -> dict:
    """What an answer says about the coefficient it used: edition, source, provisional, and any substitution."""
    substituted_for = coefficient.substituted_for
    return {"coefficient_edition": coefficient.edition or coefficient.source,
            "coefficient_valid_from": coefficient.valid_from, "coefficient_valid_to": coefficient.valid_to,
            "coefficient_substituted": substituted_for is not None,
            "coefficient_substitution": (
                f"No edition of GB/T 2589 in force on {substituted_for}: {coefficient.edition} (valid from "
                f"{coefficient.valid_from}) is substituted, the nearest edition in time."
                if substituted_for is not None else None)}


def to_tce(*, quantity: Decimal, meter_unit: str, coefficient: EnergyCoefficient) -> Decimal:
    """quantity (meter unit) × scale to the coefficient's denominator × kgce per unit ÷ 1000 = tce."""
    denominator = coefficient.coefficient_unit.split("/")[1]
    scale = unit_scale(from_unit=meter_unit, to_unit=denominator)  # the units table (meters.units)
    if scale is None:
        raise ApplicationError("unit_mismatch", f"Cannot convert {meter_unit} with a coefficient in "
                                                f"{coefficient.coefficient_unit}.")
    return quantity * scale * coefficient.coefficient / Decimal(1000)


def _sign(m: MeterQuantity) -> int:
    """+1 for energy entering the boundary, −1 for energy supplied to others, 0 for meters inside the boundary."""
    if m.parent_id is not None or m.carrier in NOT_CONSUMPTION:
        return 0
    if m.role in BOUNDARY_IN or m.role == Meter.Role.GENERATION:
        return 1
    if m.role == Meter.Role.EXPORT:
        return -1
    return 0


def site_energy(*, site: Site, period: Period, method: str = ConversionMethod.EQUIVALENT,
                quantities: list[MeterQuantity] | None = None) -> dict:
    """Comprehensive energy consumption of a site in a period, by carrier, with the coefficients used."""
    if quantities is None:
        quantities = meter_quantities(site=site, period=period)
    on = period.first
    by_carrier: dict[str, dict] = {}
    total = Decimal(0)
    received = expected = 0
    coefficients: dict[str, EnergyCoefficient] = {}
    spans: dict[str, list[str]] = {}
    excluded = excluded_of(quantities)
    for m in quantities:
        sign = _sign(m)
        if sign == 0:
            continue
        coef = coefficients.get(m.carrier)
        if coef is None:
            coef = coefficients[m.carrier] = coefficient_for(carrier=m.carrier, on=on, enterprise=site.enterprise,
                                                             method=method)
            if period.n_months > 1:  # a quarter or year across an edition change (2021) names both editions
                last = coefficient_for(carrier=m.carrier, on=period.months()[-1], enterprise=site.enterprise,
                                       method=method)
                if last.pk != coef.pk:
                    spans[m.carrier] = [coefficient_disclosure(coef)["coefficient_edition"],
                                        coefficient_disclosure(last)["coefficient_edition"]]
        qty = exact(m.quantity) * sign
        try:
            tce = to_tce(quantity=qty, meter_unit=m.unit, coefficient=coef)
        except ApplicationError as exc:  # an allowed unit the coefficient cannot take: leave the meter out
            excluded.append({"meter": m.code, "site": site.code, "reason": exc.code, "detail": exc.detail})
            continue
        entry = by_carrier.setdefault(m.carrier, {"carrier": m.carrier, "unit": m.unit, "quantity": Decimal(0),
                                                  "tce": Decimal(0), "coefficient": str(coef.coefficient),
                                                  "coefficient_unit": coef.coefficient_unit,
                                                  "coefficient_id": coef.pk, "coefficient_source": coef.source,
                                                  **coefficient_disclosure(coef),
                                                  "provisional": coef.provisional})
        entry["quantity"] += qty
        entry["tce"] += tce
        total += tce
        received += m.received
        expected += m.expected
    for carrier, editions in spans.items():
        by_carrier[carrier]["coefficient_editions"] = editions
    return {
        "site": site.code, "period": str(period), "method": method, "energy_tce": total,
        "by_carrier": sorted(by_carrier.values(), key=lambda e: e["carrier"]),
        "completeness": (received / expected) if expected else None,
        "excluded_meters": excluded, "complete": not excluded,
    }


def enterprise_energy(*, enterprise: Enterprise, period: Period, method: str = ConversionMethod.EQUIVALENT) -> dict:
    sites = [site_energy(site=s, period=period, method=method) for s in enterprise.sites.all()]
    by_carrier: dict[str, dict] = defaultdict(lambda: {"quantity": Decimal(0), "tce": Decimal(0)})
    for s in sites:
        for c in s["by_carrier"]:
            agg = by_carrier[c["carrier"]]
            agg.update(carrier=c["carrier"], unit=c["unit"])
            agg["quantity"] += c["quantity"]
            agg["tce"] += c["tce"]
    excluded = [e for s in sites for e in s["excluded_meters"]]
    return {"enterprise": enterprise.pk, "period": str(period), "method": method,
            "energy_tce": sum((s["energy_tce"] for s in sites), Decimal(0)),
            "by_carrier": sorted(by_carrier.values(), key=lambda e: e["carrier"]), "sites": sites,
            "excluded_meters": excluded, "complete": not excluded}


def electricity_kwh(*, quantities: list[MeterQuantity], roles: set[str], top_level_only: bool = True,
                    carriers: tuple[str, ...] = (Carrier.ELECTRICITY,)) -> Decimal:
    """Sum of electricity meters of the given roles (kWh, multiplier applied; units scaled by the units table), as
    an exact decimal: summing the floats would print 6612.835999999999 for 6612.836."""
    return sum((exact(m.quantity) * (unit_scale(from_unit=m.unit, to_unit="kWh") or Decimal(0)) for m in quantities
                if m.carrier in carriers and m.role in roles and (m.parent_id is None or not top_level_only)),
               Decimal(0))
