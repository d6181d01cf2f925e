"""Callbacks run when monthly economic or production data is stored, registered by higher apps (plants never
imports them). The carbon app registers one that marks a closed month *restatement pending* in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

#: Callables `hook(*, enterprise_id: int, month: dt.date, kind: str)`; kind is "economic" or "production".
MONTHLY_DATA_HOOKS: list[Callable[..., None]] = []


def monthly_data_stored(*, enterprise_id: int, month: dt.date, kind: str) -> None:
    for hook in MONTHLY_DATA_HOOKS:
        hook(enterprise_id=enterprise_id, month=month, kind=kind)
