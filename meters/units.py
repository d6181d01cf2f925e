"""Units of measure as data: which units each carrier may be metered in, conversions between units of one
dimension, and the plausibility limit of one reading (tables `MeasurementUnit` and `CarrierUnit`, migration 0010).

The tables are small and read on every accounting call, so they are read once per process and kept for
UNITS_CACHE_SECONDS; `units_cache_clear()` drops the copy at once (the admin calls it after an edit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import Q

import math
import time
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

#: No reading of any meter is larger than this in absolute value (any unit): the rollup turns such stored values into
#: a non-finite quantity that the accounting leaves out (carbon.energy.meter_quantities) instead of summing them.
READING_VALUE_CEILING = 1e15
UNITS_CACHE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Table:
    size: dict[str, tuple[str, Decimal]]  # unit -> (dimension, size in base unit)
    allowed: dict[str, dict[str, Decimal]]  # carrier -> {unit: default max reading}
    loaded_at: float


_cache: list[_Table] = []


def _table() -> _Table:
    if _cache and time.monotonic() - _cache[0].loaded_at < UNITS_CACHE_SECONDS:
        return _cache[0]
    from .models import CarrierUnit, MeasurementUnit

    size = {code: (dim, factor) for code, dim, factor in
            MeasurementUnit.objects.values_list("code", "dimension", "base_factor")}
    allowed: dict[str, dict[str, Decimal]] = {}
    for carrier, unit, limit in CarrierUnit.objects.values_list("carrier", "unit_id", "default_max_reading"):
        allowed.setdefault(carrier, {})[str(unit)] = limit  # unit_id is the unit's code (a str primary key)
    table = _Table(size, allowed, time.monotonic())
    _cache[:] = [table]
    return table


def units_cache_clear() -> None:
    _cache.clear()


def allowed_units(carrier: str) -> list[str]:
    return sorted(_table().allowed.get(carrier, {}), key=lambda u: _table().size.get(u, ("", Decimal(0)))[1])


def unit_allowed(*, carrier: str, unit: str) -> bool:
    return unit in _table().allowed.get(carrier, {})


def unit_not_allowed_message(*, carrier: str, unit: str) -> str:
    return _("The unit “%(unit)s” is not allowed for %(carrier)s; allowed: %(allowed)s.") % {
        "unit": unit, "carrier": _carrier_name(carrier), "allowed": ", ".join(allowed_units(carrier)) or "—"}


def _carrier_name(carrier: str) -> str:
    """The carrier's translated name for messages (its code when unknown)."""
    from .models import Carrier

    return str(dict(Carrier.choices).get(carrier, carrier))


def unit_scale(*, from_unit: str, to_unit: str) -> Decimal | None:
    """How many `to_unit` one `from_unit` holds (t → kg: 1000, kWh → MWh: 0.001); None across dimensions or for an
    unknown unit."""
    table = _table().size
    a, b = table.get(from_unit), table.get(to_unit)
    if a is None or b is None or a[0] != b[0]:
        return None
    return a[1] / b[1]


def max_reading(*, carrier: str, unit: str, own: Decimal | float | None) -> float:
    """The plausibility limit of one reading of a meter: its own limit, else its carrier unit's default, else the
    absolute ceiling."""
    if own is not None:
        return min(float(own), READING_VALUE_CEILING)
    default = _table().allowed.get(carrier, {}).get(unit)
    return min(float(default), READING_VALUE_CEILING) if default is not None else READING_VALUE_CEILING


def quantity_problem(*, carrier: str, unit: str, quantity: float, multiplier: Decimal | float,
                     own_max: Decimal | float | None, intervals: int) -> tuple[str, str] | None:
    """Why a meter's stored quantity over some intervals cannot be used, as (code, detail), or None when usable:
    a unit its carrier does not allow, a non-finite or negative quantity, or more than `intervals` readings at the
    plausibility limit could give (× multiplier)."""
    if not unit_allowed(carrier=carrier, unit=unit):
        return "unit_not_allowed", unit_not_allowed_message(carrier=carrier, unit=unit)
    if not math.isfinite(quantity):
        return "implausible_value", _("Stored readings give a non-finite quantity (infinite or absurdly large "
                                      "values); correct or delete them.")
    if quantity < 0:
        return "implausible_value", _("Stored readings give a negative quantity.")
    bound = max_reading(carrier=carrier, unit=unit, own=own_max) * float(multiplier) * max(intervals, 1)
    if quantity > bound:
        return "implausible_value", _("Stored readings give %(q).6g %(unit)s, more than the plausibility limit "
                                      "allows (%(bound).6g).") % {"q": quantity, "unit": unit, "bound": bound}
    return None


def finite_rollups_q() -> Q:
    """Rollup rows a chart or export may show: finite quantities (an absurd stored reading makes its buckets
    infinite; on PostgreSQL NaN sorts above infinity, so it is left out too)."""
    from django.db.models import Q

    return Q(quantity__gte=-1e300, quantity__lte=1e300)


def plausible_readings_q() -> Q:
    """Raw readings a chart may show: within the absolute ceiling."""
    from django.db.models import Q

    return Q(value__gte=-READING_VALUE_CEILING, value__lte=READING_VALUE_CEILING)


def usable_meters_q() -> Q:
    """Meters whose unit their carrier allows (others are left out of every figure and listed as unusable)."""
    from django.db.models import Q

    q = Q(pk__in=[])
    for carrier, units in _table().allowed.items():
        q |= Q(carrier=carrier, unit__in=list(units))
    return q
