"""Exact numbers and the one rounding rule of the platform (issue #13, Deliver 8).

Accounting results are `Decimal` from the rollup to the document: `exact()` turns the float a rollup stores into the
decimal it prints as (`Decimal(repr(x))`, so 0.1 stays 0.1 and never 0.1000000000000000055…). Rounding happens once,
at presentation, by quantity (`present()`): tce and tCO₂ to 3 decimals, ratios to 4, percentages to 2, physical
quantities (kWh, t, m³, GJ …) to 3 (the meters' resolution: no meter reads finer than a thousandth of its unit).
The KPI API, the UI and the report renderers (reports.formatting) all call it, so a figure prints the same
everywhere; half-way values round away from zero (ROUND_HALF_UP, as an auditor rounds by hand).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import overload

#: Decimal places per kind of quantity, at presentation.
PLACES = {"tce": 3, "tco2": 3, "ratio": 4, "percent": 2, "physical": 3, "money": 2}

#: Units and the kind of quantity they present (anything else: physical).
UNIT_KIND = {"tce": "tce", "tCO2": "tco2", "tCO2e": "tco2", "ratio": "ratio", "%": "percent", "CNY": "money",
             "10^4 CNY": "money"}


@overload
def exact(value: None) -> None: ...
@overload
def exact(value: Decimal | float | int | str) -> Decimal: ...
def exact(value: Decimal | float | int | str | None) -> Decimal | None:
    """The exact decimal of a stored number: a float as it prints (shortest repr), never its binary expansion;
    None for None. Non-finite floats are refused: the accounting leaves such meters out before this point."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Decimal(repr(value))
    return Decimal(value)


#: Decimal places a metered quantity is read with from the rollups: they sum doubles, so digits below a millionth of
#: the unit are float noise (0.1 + 0.1 + 0.1 = 0.30000000000000004), never measurement.
METERED_PLACES = 6


def metered(value: float) -> float:
    """A rollup's float sum with its float noise removed (6612.835999999999 → 6612.836); non-finite values pass
    through for the caller to refuse."""
    return round(value, METERED_PLACES) if math.isfinite(value) else value


def kind_of_unit(unit: str | None) -> str:
    if not unit:
        return "physical"
    if unit in UNIT_KIND:
        return UNIT_KIND[unit]
    if "/" in unit:  # an intensity such as tce/10^4 CNY or kgce/t
        return "ratio"
    return "physical"


def present(value: Decimal | float | int | None, kind: str = "physical") -> Decimal | None:
    """`value` rounded for presentation by kind of quantity (see PLACES); None stays None."""
    if value is None:
        return None
    return exact(value).quantize(Decimal(1).scaleb(-PLACES[kind]), rounding=ROUND_HALF_UP)


def present_in(value: Decimal | float | int | None, unit: str | None) -> Decimal | None:
    """`present()` with the kind deduced from a unit (tce, tCO2, ratio, kWh …)."""
    return present(value, kind_of_unit(unit))
