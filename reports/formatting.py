"""Print formatting of report figures (PDF, portal pages): exact decimals, thousands separators, no float noise."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _


def fmt_number(value, *, places: int | None = None) -> str:
    """Decimals as stored (metered float noise cut at 6 places), grouped by thousands: 100000.0 → '100,000.0'.

    `places` rounds for charts; tables print the figure exactly as the accounting engine returned it.
    """
    if isinstance(value, float):
        value = Decimal(repr(value))
    value = Decimal(value)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    elif value.as_tuple().exponent < -6:
        value = value.quantize(Decimal("0.000001"))
    return f"{value:,f}"


def fmt_cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal | float | int):
        return fmt_number(value) if not isinstance(value, int) or abs(value) >= 10000 else str(value)
    return str(value)
