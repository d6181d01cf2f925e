"""UI page-speed benchmark (not a test): server time of each UI page with a year of 15-minute data for 200 meters,
served from rollups.

Run with `.venv/bin/python tests/services.py .venv/bin/python bench/ui.py` (throwaway PostgreSQL/Redis), or
`python bench/ui.py --meters 20` for a short run against DATABASE_URL.

1. creates `<name>_ui` next to DATABASE_URL, migrates, creates one enterprise with 4 sites, `--meters` meters
   (per site: 5 main electricity meters, the rest their children), a manager;
2. seeds hour/day/month MeterRollup rows for the last 365 days directly with INSERT … SELECT generate_series
   (a year of 15-minute data means 96 intervals per day: expected = received = 96 per day, 4 per hour), plus
   one week of 15-minute readings for the main meters of site 1 (what the load curve may read);
3. GETs each page with the Django test client (after one warm-up) `--repeat` times and prints the median ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from common import bench_database  # bench/common.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", metavar="PAGE", help="print a cProfile of one GET of this page label")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL) or run through tests/services.py.")
    os.environ["DATABASE_URL"] = bench_database(os.environ["DATABASE_URL"], "ui")
    os.environ["DJANGO_SETTINGS_MODULE"] = "energy_platform.settings.test"
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Role
    from meters.models import Meter
    from plants.models import Enterprise, Site
    from plants.validators import credit_code_check_character

    first17 = "91110000MA0BENCH2"
    ent = Enterprise.objects.create(name="Bench UI", credit_code=first17 + credit_code_check_character(first17),
                                    industry_code="C3130", region_code="110101")
    sites = [Site.objects.create(enterprise=ent, code=f"S{i}", name=f"site {i}", kind="factory",
                                 region_code="110101") for i in range(4)]
    per_site = args.meters // 4
    t0 = timezone.now() - dt.timedelta(days=400)
    meters = []
    for site in sites:
        mains = Meter.objects.bulk_create([Meter(site=site, code=f"{site.code}-M{j}", carrier="electricity",
                                                 unit="kWh", reading_kind="interval", level="enterprise",
                                                 role="purchase", active_from=t0) for j in range(5)])
        subs = Meter.objects.bulk_create([Meter(site=site, code=f"{site.code}-S{j}", carrier="electricity",
                                                unit="kWh", reading_kind="interval", level="sub_unit", role="sub",
                                                parent=mains[j % 5], active_from=t0) for j in range(per_site - 5)])
        meters += mains + subs
    user = get_user_model().objects.create_user(username="bench", password="x")  # noqa: S106
    Membership.objects.create(user=user, enterprise=ent, role=Role.ENERGY_MANAGER)
    ids = [m.pk for m in meters]
    t = time.perf_counter()
    with connection.cursor() as cur:
        # Hour buckets of the last 365 local days (Asia/Shanghai), 4 intervals of 25 kWh each -> 100 kWh per hour.
        cur.execute("""
            INSERT INTO meters_meterrollup (meter_id, granularity, bucket_start, quantity, expected_intervals,
                                            received_intervals, estimated_intervals, computed_at)
            SELECT m, 'hour', h, 100, 4, 4, 0, now()
            FROM unnest(%s::bigint[]) m,
                 generate_series(date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') - interval '365 days',
                                 date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') - interval '1 hour',
                                 interval '1 hour') AS l(hl),
                 LATERAL (SELECT hl AT TIME ZONE 'Asia/Shanghai' AS h) z""", [ids])
        for gran, trunc in (("day", "day"), ("month", "month")):
            cur.execute(f"""
                INSERT INTO meters_meterrollup (meter_id, granularity, bucket_start, quantity, expected_intervals,
                                                received_intervals, estimated_intervals, computed_at)
                SELECT meter_id, '{gran}', date_trunc('{trunc}', bucket_start AT TIME ZONE 'Asia/Shanghai')
                       AT TIME ZONE 'Asia/Shanghai', sum(quantity), sum(expected_intervals),
                       sum(received_intervals), 0, now()
                FROM meters_meterrollup WHERE granularity = 'hour' GROUP BY 1, 3""")  # noqa: S608
        # One week (plus a day) of 15-minute interval readings for site 1's main meters: the load curve's source.
        cur.execute("""
            INSERT INTO meters_reading (meter_id, ts, value, estimated)
            SELECT m, t, 25, false FROM unnest(%s::bigint[]) m,
                   generate_series(date_trunc('day', now()) - interval '9 days', date_trunc('day', now()) - interval
                                   '15 minutes', interval '15 minutes') t""", [ids[:5]])
        cur.execute("ANALYZE meters_meterrollup")
        cur.execute("ANALYZE meters_reading")
        cur.execute("SELECT granularity, count(*) FROM meters_meterrollup GROUP BY 1 ORDER BY 1")
        counts = cur.fetchall()
    print(f"seeded rollups {counts} in {time.perf_counter() - t:.1f} s", flush=True)

    client = Client()
    client.force_login(user)
    s1 = sites[0].pk
    pages = {"overview": "/", "site": f"/sites/{s1}/", "meter tree": f"/sites/{s1}/meters/",
             "data quality": "/quality/", "data entry": "/entry/", "targets": "/targets/", "reports": "/reports/",
             "api: monthly by carrier": f"/api/v1/ui/sites/{s1}/monthly/",
             "api: load curve (week)": f"/api/v1/ui/sites/{s1}/load/?days=7&day="
                                       f"{(timezone.localdate() - dt.timedelta(days=8)).isoformat()}",
             "api: meter series": f"/api/v1/ui/meters/{meters[0].pk}/series/",
             "api: KPI trend, 12 months": f"/api/v1/ui/sites/{s1}/kpi-trend/?metric=emissions"}
    print(f"{args.meters} meters, median of {args.repeat} GETs after one warm-up:")
    for label, url in pages.items():
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        print(f"  {label:28s} {statistics.median(times):8.1f} ms", flush=True)
    # The overview's KPI figures: as before (four separate passes without shared reads: month and year to date and
    # the same spans a year earlier) and now (`enterprise_kpis_current`: one multi-period pass), same data and process.
    from carbon.kpis import enterprise_kpis, enterprise_kpis_current
    from carbon.periods import Period

    today = timezone.localdate()

    def four_passes():
        for p in (Period.month(today.year, today.month).to_date(today), Period.year(today.year).to_date(today)):
            enterprise_kpis(enterprise=ent, period=p, with_yoy=False)
            enterprise_kpis(enterprise=ent, period=p.previous_year(), with_yoy=False)

    for label, fn in (("KPIs: 4 separate passes (before)", four_passes),
                      ("KPIs: enterprise_kpis_current", lambda: enterprise_kpis_current(enterprise=ent))):
        fn()
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        print(f"  {label:34s} {statistics.median(times):8.1f} ms", flush=True)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        client.get(pages[args.profile])
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        from django.db import reset_queries
        from django.test.utils import CaptureQueriesContext

        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            client.get(pages[args.profile])
        print(f"{len(ctx.captured_queries)} queries")
        slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
        print(f"slowest ({slowest['time']} s): {slowest['sql'][:300]} …")
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
            print("\n".join(r[0] for r in cur.fetchall()))


if __name__ == "__main__":
    main()
