"""Callbacks run when readings are stored, registered by higher apps (meters never imports them).

The carbon app registers `carbon.ledger.meter_days_flag`, which marks closed months *restatement pending* in the
same transaction as the late or corrected readings (ingestion, imports, estimates, reviewed conflicts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

#: Callables `hook(*, meter_days: list[tuple[int, dt.date]], enterprise_id: int | None)`: the (meter id, site-local
#: day) pairs whose readings were just stored, and their enterprise when the caller knows it (every meter of an
#: ingestion batch is of one site), so that the hook need not look it up per meter.
READINGS_STORED_HOOKS: list[Callable[..., None]] = []


def readings_stored(*, meter_days: Iterable[tuple[int, dt.date]], enterprise_id: int | None = None) -> None:
    pairs = list(meter_days)
    if not pairs:
        return
    for hook in READINGS_STORED_HOOKS:
        hook(meter_days=pairs, enterprise_id=enterprise_id)
