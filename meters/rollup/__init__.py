"""Rollups of readings into hourly, daily and monthly consumption per meter, computed in SQL next to the data.

Semantics (documented in docs/accounting.md):
- an interval meter's value is the quantity of the interval starting at its timestamp;
- a cumulative register's delta between two consecutive readings is the quantity of the interval starting at the
  earlier reading (LEAD over the readings); a negative delta is a rollover when the register wrapped from its top tenth
  to its bottom tenth of `rollover_value` (delta + rollover_value; the value is the register's modulus, the value at
  which it returns to zero: 100,000 for a register showing at most 99,999.9), otherwise a reset (new counts from 0);
- quantities are multiplied by the meter's multiplier (CT/PT ratio) and kept in the meter's unit;
- buckets are hours, days and months of the site's local time; each knows its expected intervals
  (bucket length / meter interval; a meter read monthly or less often expects one reading per month) and the
  intervals received, so gaps show as incompleteness instead of silently low figures.

Incremental work: ingestion records `DirtyMeterDay` rows in the readings' transaction; `rollup_sweep()` claims them,
widens each meter's range back to the day of the reading before it (whose delta the new reading changes), and
recomputes exactly those hour and day buckets and the months around them (`rollup_ranges()`).

Full recompute (`rollup_all()`): on SQLite through `rollup_ranges()` over every meter; on PostgreSQL a rebuild of the
rollup table in chunks of meters (`rebuild_begin` / `rebuild_fill` / `rebuild_finish`, in-process or as Celery
tasks), swapped in when complete. The rebuild computes the same buckets with the same arithmetic; tests check that
both paths agree.
"""


from .rebuild import (
    REBUILD_CHUNK_METERS,
    rebuild_abort,
    rebuild_begin,
    rebuild_fill,
    rebuild_finish,
    rebuild_in_progress,
)
from .sql import MONTHLY_MINUTES, _Sql
from .sweep import rollup_all, rollup_meter_days, rollup_ranges, rollup_sweep

__all__ = [
    "MONTHLY_MINUTES", "REBUILD_CHUNK_METERS", "_Sql", "rebuild_abort", "rebuild_begin", "rebuild_fill",
    "rebuild_finish", "rebuild_in_progress", "rollup_all", "rollup_meter_days", "rollup_ranges", "rollup_sweep",
]
