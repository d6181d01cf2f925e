"""Callbacks run when readings are stored, registered by higher apps (meters never imports them).

The carbon app registers `carbon.ledger.meter_days_flag`, which marks closed months *restatement pending* in the
same transaction as the late or corrected readings (ingestion, imports, estimates, reviewed conflicts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

#: Callables `hook(*, meter_days: list[tuple[int, dt.date]])`: the (meter id, site-local day) pairs whose readings
#: were just stored.
READINGS_STORED_HOOKS: list[Callable[..., None]] = []


def readings_stored(*, meter_days: Iterable[tuple[int, dt.date]]) -> None:
    pairs = list(meter_days)
    if not pairs:
        return
    for hook in READINGS_STORED_HOOKS:
        hook(meter_days=pairs)
