"""Cost benchmark: the full cost computation (`costs_recompute_all`: bands, days, months, capacity charges) of the
same readings next to the full energy rollup (`rollup_all`), with the ratio printed.

Run with `python tests/services.py python bench/costs.py` (throwaway PostgreSQL and Redis), or
`python bench/costs.py --meters 2000 --days 365` against DATABASE_URL/REDIS_URL (the issue's size: 2,000 meters for
a year of 15-minute data, 70 million readings; the default is a short run).

1. creates `<name>_costs` next to DATABASE_URL, migrates, creates one site with N meters (half interval meters, half
   cumulative registers; 10 billing meters), a two-part tariff on a five-band calendar, and COPYs 15-minute readings;
2. runs the energy rollup and the cost computation alternately `--repeat` times and compares their medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
from common import bench_database  # bench/common.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
T0 = dt.datetime(2024, 12, 31, 16, 0, tzinfo=dt.UTC)  # 2025-01-01 00:00 Asia/Shanghai


def _seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", type=int, default=200)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL), or run through tests/services.py.")
    os.environ["DATABASE_URL"] = bench_database(os.environ["DATABASE_URL"], "costs")
    os.environ["DJANGO_SETTINGS_MODULE"] = "energy_platform.settings.test"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from costs.models import ElectricityTariff, MeterCostMonth, TouCalendar, TouPeriod
    from costs.services import costs_recompute_all
    from meters.models import Meter
    from meters.rollup import rollup_all
    from plants.models import Enterprise, Site
    from plants.validators import credit_code_check_character

    first17 = "91110000MA0BENCH2"
    ent = Enterprise.objects.create(name="Bench", credit_code=first17 + credit_code_check_character(first17),
                                    industry_code="C3130", region_code="130203")
    site = Site.objects.create(enterprise=ent, code="B1", name="bench", kind="factory", region_code="130203")
    meters = Meter.objects.bulk_create([
        Meter(site=site, code=f"M{i:05d}", carrier="electricity", unit="kWh",
              reading_kind="cumulative" if i % 2 else "interval", interval_minutes=15, level="sub_unit",
              role="purchase" if i < 10 else "sub", active_from=T0 - dt.timedelta(days=1))
        for i in range(args.meters)])
    cal = TouCalendar.objects.create(province_code="13", name="bench", source="bench", valid_from=dt.date(2024, 1, 1))
    for start, end, band in ((0, 6, "deep_valley"), (6, 8, "valley"), (8, 12, "flat"), (12, 18, "peak"),
                             (18, 20, "critical_peak"), (20, 0, "flat")):
        TouPeriod.objects.create(calendar=cal, start=dt.time(start), end=dt.time(end), band=band)
    ElectricityTariff.objects.create(
        site=site, name="bench", kind="two_part", calendar=cal, source="bench", valid_from=dt.date(2024, 1, 1),
        price_critical_peak=Decimal("1.2"), price_peak=Decimal("1.0"), price_flat=Decimal("0.6"),
        price_valley=Decimal("0.3"), price_deep_valley=Decimal("0.2"), funds_cny_per_kwh=Decimal("0.03"),
        capacity_basis="kw", capacity_price_cny=Decimal("40"))
    per_meter = args.days * 96
    print(f"Loading {per_meter * args.meters:,} readings ({args.meters} meters × {per_meter} quarter-hours) …",
          flush=True)
    rng = np.random.default_rng(1)
    stamps = [(T0 + dt.timedelta(minutes=15 * k)).strftime("%Y-%m-%d %H:%M:%S+00") for k in range(per_meter)]
    with connection.cursor() as cur:
        for m in meters:
            qty = np.round(rng.uniform(5, 15, per_meter), 2)
            values = np.cumsum(qty) if m.reading_kind == "cumulative" else qty
            buf = io.StringIO()
            buf.writelines(f"{m.pk}\t{s}\t{v}\tf\n" for s, v in zip(stamps, values.tolist(), strict=True))
            with cur.copy("COPY meters_reading (meter_id, ts, value, estimated) FROM STDIN") as copy:
                copy.write(buf.getvalue())
        cur.execute("VACUUM ANALYZE meters_reading")
    rollup_all()  # the cost's months read the rollups only for reactive energy; warm both paths once
    if os.environ.get("BENCH_PROFILE"):
        timings = []

        def wrapper(execute, sql, params, many, context):
            t = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - t, " ".join(sql.split())[:150]))

        with connection.execute_wrapper(wrapper):
            costs_recompute_all()
        for t, sql in sorted(timings, reverse=True)[:8]:
            print(f"  {t:.2f} s  {sql}")
    pairs = []
    for k in range(args.repeat):
        r = _seconds(rollup_all)
        c = _seconds(costs_recompute_all)
        pairs.append((r, c))
        print(f"  run {k + 1}: energy rollup {r:.2f} s, cost computation {c:.2f} s ({c / r:.2f}×)", flush=True)
    r, c = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    months = MeterCostMonth.objects.count()
    print(f"medians: energy rollup {r:.2f} s, cost {c:.2f} s; ratio cost / rollup = {c / r:.2f}; "
          f"{months:,} meter-months of cost")


if __name__ == "__main__":
    main()
