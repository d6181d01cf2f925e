"""Print formatting of report figures (PDF, portal pages): exact decimals, thousands separators, no float noise.

Rounding is the platform's one presentation rule (energy_platform.numbers.present): by the quantity's unit, tce and
tCO₂ to 3 decimals, ratios to 4, physical quantities to 3. Factors and intensities (a unit with "/", already rounded
by the engine: KPI ratios to 4) and figures without a unit print exactly, trailing zeros dropped (never
94,968,233.073000).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from energy_platform.numbers import UNIT_KIND, exact, present_in

#: Units that mark the cell before them as a quantity in that unit ([label, value, unit] rows).
PHYSICAL_UNITS = {"kWh", "MWh", "t", "kg", "m3", "m³", "10^4 m3", "GJ", "MJ", "tce", "kgce", "TB"}


def is_unit(text) -> bool:
    return isinstance(text, str) and len(text) <= 24 and (text in UNIT_KIND or text in PHYSICAL_UNITS or "/" in text)


def fmt_number(value, *, places: int | None = None, unit: str | None = None) -> str:
    """A number grouped by thousands: rounded once by its unit when one is given ('94968233.073', 'kWh' →
    '94,968,233.073'), else exact with trailing zeros dropped. `places` rounds for charts."""
    if isinstance(value, float):
        value = exact(value)
    value = Decimal(value)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    elif unit is not None and "/" not in unit:  # a quantity; factors and intensities print as the engine gave them
        value = present_in(value, unit)
    else:
        if value.as_tuple().exponent < -6:
            value = value.quantize(Decimal("0.000001"))
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
        else:
            value = value.normalize()
    return f"{value:,f}"


class FixedDecimal(Decimal):
    """A figure shown with exactly its own decimals (7.40 kgce/t stays 7.40): the green-factory indicator values,
    rounded by the builder to the places of their quantity."""

    __slots__ = ()

    @property
    def places(self) -> int:
        exp = self.as_tuple().exponent
        return max(-exp, 0) if isinstance(exp, int) else 0


def fmt_cell(value, unit: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, FixedDecimal):
        return fmt_number(value, places=value.places)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal | float | int):
        if isinstance(value, int) and unit is None:
            return fmt_number(value) if abs(value) >= 10000 else str(value)
        return fmt_number(value, unit=unit)
    return str(value)


def row_units(row: list, column_units: list[str | None]) -> list[str | None]:
    """The unit of each cell of a table row: its column's, else the text of the next cell when that is a unit."""
    out = []
    for i, _cell in enumerate(row):
        unit = column_units[i] if i < len(column_units) else None
        if not unit and i + 1 < len(row) and is_unit(row[i + 1]):
            unit = row[i + 1]
        out.append(unit or None)
    return out


def excluded_note(excluded: list[dict]) -> list[str]:
    """A report note naming the meters left out of its figures (carbon.energy.meter_quantities), or none."""
    if not excluded:
        return []
    names = ", ".join(sorted({f"{e.get('site', '')}/{e['meter']} ({e['reason']})" for e in excluded}))
    return [_("Incomplete: these meters are left out because their data cannot be accounted (see the data-quality "
              "page): %(meters)s.") % {"meters": names}]
