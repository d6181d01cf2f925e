"""Cost from 15-minute data: bands, maximum demand and capacity charge, power-factor adjustment, frozen months,
incremental = full recompute. Hand-worked figures (DOMAIN.md §12), arithmetic in the comments."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costs.models import (
    CarrierPrice,
    ElectricityTariff,
    MeterBandDay,
    MeterCostDay,
    MeterCostMonth,
    PowerFactorTable,
    TouCalendar,
    TouHoliday,
    TouPeriod,
)
from costs.services import costs_freeze_month, costs_recompute_all, costs_sweep, power_factor_adjustment_pct
from meters.models import Carrier, Meter
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import MeterFactory, SiteFactory

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
D = Decimal


def five_band_calendar() -> TouCalendar:
    """00-06 深谷 (24 quarter-hours), 06-08 低谷 (8), 08-12 平段 (16), 12-18 高峰 (24), 18-20 尖峰 (8),
    20-24 平段 (16): 24 + 8 + 16 + 24 + 8 + 16 = 96."""
    cal = TouCalendar.objects.create(province_code="31", name="test", source="test", valid_from=dt.date(2025, 1, 1))
    for start, end, band in ((0, 6, "deep_valley"), (6, 8, "valley"), (8, 12, "flat"), (12, 18, "peak"),
                             (18, 20, "critical_peak"), (20, 0, "flat")):
        TouPeriod.objects.create(calendar=cal, start=dt.time(start), end=dt.time(end), band=band)
    return cal


def tariff(site, calendar, **kw) -> ElectricityTariff:
    fields = {"name": "T", "kind": "single_part", "source": "test", "valid_from": dt.date(2025, 1, 1),
              "price_critical_peak": D("1.2"), "price_peak": D("1.0"), "price_flat": D("0.6"), "price_valley": D("0.3"),
              "price_deep_valley": D("0.2"), "funds_cny_per_kwh": D("0.03")}
    fields.update(kw)
    return ElectricityTariff.objects.create(site=site, calendar=calendar, **fields)


def quarter_hours(code: str, day: dt.date, value: float, overrides: dict[dt.time, float] | None = None) -> list:
    start = dt.datetime.combine(day, dt.time(), SH)
    rows = []
    for k in range(96):
        ts = start + dt.timedelta(minutes=15 * k)
        rows.append(RawRow(k, code, ts.isoformat(), (overrides or {}).get(ts.time(), value)))
    return rows


def ingest(site, rows) -> None:
    assert readings_ingest(site=site, rows=rows).accepted == len(rows)
    rollup_sweep()
    costs_sweep()


def test_one_day_of_96_quarter_hours_gives_cost_per_band_and_total():
    site = SiteFactory()
    meter = MeterFactory(site=site, code="E")
    tariff(site, five_band_calendar())
    # 10 kWh every quarter-hour, 30 kWh at 19:00 (尖峰).
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0}))
    bands = {b.band: (b.energy_kwh, b.energy_cny) for b in MeterBandDay.objects.filter(meter=meter)}
    assert bands == {
        "deep_valley": (D("240.0000"), D("48.0000")),   # 24 × 10 = 240 kWh × 0.2 = 48
        "valley": (D("80.0000"), D("24.0000")),         # 8 × 10 = 80 kWh × 0.3 = 24
        "flat": (D("320.0000"), D("192.0000")),         # (16 + 16) × 10 = 320 kWh × 0.6 = 192
        "peak": (D("240.0000"), D("240.0000")),         # 24 × 10 = 240 kWh × 1.0 = 240
        "critical_peak": (D("100.0000"), D("120.0000")),  # 7 × 10 + 30 = 100 kWh × 1.2 = 120
    }
    day = MeterCostDay.objects.get(meter=meter)
    assert day.quantity == D("980.0000")  # 240 + 80 + 320 + 240 + 100
    assert day.energy_cny == D("624.0000")  # 48 + 24 + 192 + 240 + 120
    assert day.funds_cny == D("29.4000")  # 980 × 0.03
    assert day.max_demand_kw == D("120.0000")  # 30 kWh in a quarter-hour / 0.25 h
    assert day.max_demand_at == dt.datetime(2025, 7, 1, 19, tzinfo=SH)
    month = MeterCostMonth.objects.get(meter=meter)
    assert (month.energy_cny, month.funds_cny, month.capacity_cny, month.total_cny) == (
        D("624.0000"), D("29.4000"), D("0.0000"), D("653.4000"))  # 624 + 29.4, single-part: no capacity charge


def test_holiday_spans_replace_the_others_on_holidays():
    site = SiteFactory()
    meter = MeterFactory(site=site, code="E")
    cal = five_band_calendar()
    TouPeriod.objects.create(calendar=cal, day_type="holiday", start=dt.time(8), end=dt.time(12), band="deep_valley")
    TouHoliday.objects.create(calendar=cal, day=dt.date(2025, 5, 1))
    tariff(site, cal)
    ingest(site, quarter_hours("E", dt.date(2025, 5, 1), 10.0))
    bands = dict(MeterBandDay.objects.filter(meter=meter).values_list("band", "energy_kwh"))
    # 深谷 00-06 and 08-12 on the holiday: (24 + 16) × 10 = 400; 平段 only 20-24: 16 × 10 = 160.
    assert bands["deep_valley"] == D("400.0000")
    assert bands["flat"] == D("160.0000")


def test_month_maximum_demand_and_capacity_charge_by_kw():
    site = SiteFactory()
    meter = MeterFactory(site=site, code="E", role=Meter.Role.PURCHASE)
    tariff(site, five_band_calendar(), kind="two_part", capacity_basis="kw", capacity_price_cny=D("40"))
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0})
           + [RawRow(100 + r.index, r.meter, r.ts, r.value)
              for r in quarter_hours("E", dt.date(2025, 7, 2), 10.0, {dt.time(10, 15): 50.0})])
    month = MeterCostMonth.objects.get(meter=meter)
    # Day 1 peaks at 30 / 0.25 = 120 kW, day 2 at 50 / 0.25 = 200 kW at 10:15: the month's maximum is 200 kW.
    assert month.max_demand_kw == D("200.0000")
    assert month.max_demand_at == dt.datetime(2025, 7, 2, 10, 15, tzinfo=SH)
    assert month.capacity_cny == D("8000.0000")  # 200 kW × 40 CNY/kW
    # Day 2: 95 × 10 + 50 = 1000 kWh; 10:15 is 平段, so energy = 624 − 20 × 1.2 (no 30 at 尖峰) + 40 × 0.6 (the
    # extra at 平段) = 624; month energy = 624 + 624 = 1248; funds = (980 + 1000) × 0.03 = 59.4;
    # total = 1248 + 59.4 + 8000 = 9307.4.
    assert (month.energy_cny, month.funds_cny, month.total_cny) == (D("1248.0000"), D("59.4000"), D("9307.4000"))


def test_power_factor_adjustment_from_metered_reactive_energy():
    site = SiteFactory()
    active = MeterFactory(site=site, code="E", role=Meter.Role.PURCHASE)
    reactive = MeterFactory(site=site, code="Q", unit="kvarh", role=Meter.Role.SUB)
    flat = TouCalendar.objects.create(province_code="31", name="flat", source="t", valid_from=dt.date(2025, 1, 1))
    TouPeriod.objects.create(calendar=flat, start=dt.time(0), end=dt.time(0), band="flat")
    table = PowerFactorTable.objects.get(enterprise__isnull=True, standard=D("0.90"))
    tariff(site, flat, kind="two_part", price_flat=D("0.5"), funds_cny_per_kwh=D("0"), capacity_basis="kva",
           capacity_price_cny=D("20"), transformer_kva=D("100"), pf_table=table, reactive_meter=reactive)
    day = dt.date(2025, 6, 3)
    ingest(site, quarter_hours("E", day, 10.0)
           + [RawRow(100 + r.index, "Q", r.ts, 7.5) for r in quarter_hours("Q", day, 0)])
    month = MeterCostMonth.objects.get(meter=active)
    # 96 × 10 = 960 kWh, 96 × 7.5 = 720 kvarh: PF = 960 / √(960² + 720²) = 960 / 1200 = 0.80,
    # 0.10 below 0.90 at +0.5 % per 0.01 = +5 %. Energy 960 × 0.5 = 480; capacity 100 kVA × 20 = 2000;
    # adjustment (480 + 2000) × 5 % = 124; total 480 + 2000 + 124 = 2604.
    assert month.reactive_kvarh == D("720.0000")
    assert month.power_factor == D("0.8000")
    assert month.pf_adjustment_pct == D("5.00")
    assert (month.energy_cny, month.capacity_cny, month.pf_adjustment_cny, month.total_cny) == (
        D("480.0000"), D("2000.0000"), D("124.0000"), D("2604.0000"))


def test_power_factor_table_steps():
    table = PowerFactorTable.objects.get(enterprise__isnull=True, standard=D("0.90"))
    pct = {pf: power_factor_adjustment_pct(table_id=table.pk, power_factor=D(pf))
           for pf in ("0.98", "0.944", "0.905", "0.90", "0.85", "0.70", "0.65", "0.64", "0.30")}
    assert pct == {
        "0.98": D("-0.75"), "0.944": D("-0.60"),  # 0.95 and above −0.75 %; 0.944 rounds to 0.94: 4 × −0.15
        "0.905": D("-0.15"),  # rounds half up to 0.91
        "0.90": D("0.00"), "0.85": D("2.50"),  # 5 × 0.5
        "0.70": D("10.00"),  # 20 × 0.5
        "0.65": D("15.00"),  # 10 + 5 × 1
        "0.64": D("17.00"),  # 15 + 2
        "0.30": D("45.00"),  # below the lowest step (0.50: 15 + 15 × 2 = 45) the lowest step
    }


def test_other_carriers_cost_by_their_contract_price():
    site = SiteFactory()
    gas = MeterFactory(site=site, code="G", carrier=Carrier.NATURAL_GAS, unit="m3", interval_minutes=1440)
    CarrierPrice.objects.create(site=site, carrier=Carrier.NATURAL_GAS, price_cny=D("3.5"), source="contract",
                                valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 6, 30))
    CarrierPrice.objects.create(site=site, carrier=Carrier.NATURAL_GAS, price_cny=D("4.0"), source="contract",
                                valid_from=dt.date(2025, 7, 1))
    ingest(site, [RawRow(0, "G", dt.datetime(2025, 6, 30, tzinfo=SH).isoformat(), 1000.0),
                  RawRow(1, "G", dt.datetime(2025, 7, 1, tzinfo=SH).isoformat(), 1000.0)])
    costs = dict(MeterCostDay.objects.filter(meter=gas).values_list("day", "energy_cny"))
    assert costs == {dt.date(2025, 6, 30): D("3500.0000"), dt.date(2025, 7, 1): D("4000.0000")}  # 1000 × 3.5, × 4.0


def test_a_frozen_month_is_not_recomputed():
    site = SiteFactory()
    meter = MeterFactory(site=site, code="E")
    t = tariff(site, five_band_calendar())
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0}))
    assert costs_freeze_month(enterprise=site.enterprise, month=dt.date(2025, 7, 1)) == 1
    t.price_flat = D("9")
    t.save()
    costs_recompute_all()
    month = MeterCostMonth.objects.get(meter=meter)
    assert month.energy_cny == D("624.0000")  # still the hand-worked figure of the first test
    assert month.frozen_at is not None
    assert MeterBandDay.objects.get(meter=meter, band="flat").energy_cny == D("192.0000")


def test_a_meter_without_tariff_has_quantity_and_no_cost():
    site = SiteFactory()
    meter = MeterFactory(site=site, code="E")
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0))
    day = MeterCostDay.objects.get(meter=meter)
    assert (day.quantity, day.energy_cny) == (D("960.0000"), None)
    assert costs_sweep() == 0  # nothing stale is found again


def _snapshot(*meters) -> tuple:
    days = sorted(MeterCostDay.objects.filter(meter__in=meters).values_list(
        "meter_id", "day", "quantity", "energy_cny", "funds_cny", "max_demand_kw", "max_demand_at"))
    bands = sorted(MeterBandDay.objects.filter(meter__in=meters).values_list(
        "meter_id", "day", "band", "energy_kwh", "energy_cny"))
    months = sorted(MeterCostMonth.objects.filter(meter__in=meters).values_list(
        "meter_id", "month", "quantity", "energy_cny", "max_demand_kw", "capacity_cny", "total_cny"))
    return days, bands, months


readings_strategy = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3 * 96), st.floats(min_value=0, max_value=50)),
    min_size=1, max_size=40,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(readings_strategy, min_size=1, max_size=4))
def test_incremental_cost_equals_a_full_recompute(batches):
    """Late and out-of-order batches, with the rollup and cost sweeps after each, give the same cost rows as a full
    recompute (days crossing a month end, a register whose deltas span days)."""
    for model in (MeterBandDay, MeterCostDay, MeterCostMonth):
        model.objects.all().delete()
    site = SiteFactory()
    interval = MeterFactory(site=site, code="I", reading_kind="interval")
    cumulative = MeterFactory(site=site, code="C", reading_kind="cumulative", multiplier=2)
    tariff(site, five_band_calendar(), kind="two_part", capacity_basis="kw", capacity_price_cny=D("40"))
    base = dt.datetime(2025, 6, 29, 0, 0, tzinfo=SH)
    for batch in batches:
        rows = []
        for i, (slot, qty) in enumerate(batch):
            ts = (base + dt.timedelta(minutes=15 * slot)).isoformat()
            rows.append(RawRow(2 * i, "I", ts, round(qty, 3)))
            rows.append(RawRow(2 * i + 1, "C", ts, slot * 10.0))  # monotonic: every batch agrees with the others
        readings_ingest(site=site, rows=rows)
        rollup_sweep()
        costs_sweep()
    incremental = _snapshot(interval, cumulative)
    for model in (MeterBandDay, MeterCostDay, MeterCostMonth):
        model.objects.all().delete()
    costs_recompute_all()
    assert _snapshot(interval, cumulative) == incremental


def test_closing_and_restating_the_period_freezes_and_refreezes_the_cost(tenants):
    from carbon.ledger import period_close, period_restate

    site = tenants["site_a"]
    meter = MeterFactory(site=site, code="E")
    t = tariff(site, five_band_calendar())
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0}))
    period_close(enterprise=site.enterprise, month=dt.date(2025, 7, 1), actor=tenants["admin_a"])
    costs_sweep()  # the safety net freezes a closed month whatever the close called
    month = MeterCostMonth.objects.get(meter=meter)
    assert month.frozen_at is not None and month.energy_cny == D("624.0000")
    t.price_flat = D("1.6")
    t.save()
    costs_recompute_all()
    assert MeterCostMonth.objects.get(meter=meter).energy_cny == D("624.0000")  # frozen
    period_restate(enterprise=site.enterprise, month=dt.date(2025, 7, 1), actor=tenants["admin_a"],
                   reason="tariff corrected")
    month = MeterCostMonth.objects.get(meter=meter)
    # 平段 320 kWh now at 1.6 instead of 0.6: 624 + 320 × 1.0 = 944, frozen again.
    assert month.energy_cny == D("944.0000")
    assert month.frozen_at is not None


def test_a_tariff_saved_in_the_admin_recomputes_the_site_cost(tenants, client, django_capture_on_commit_callbacks,
                                                               monkeypatch):
    from costs.tasks import costs_recompute_task

    monkeypatch.setattr(costs_recompute_task, "delay", costs_recompute_task)  # the worker, in-process
    site = tenants["site_a"]
    meter = MeterFactory(site=site, code="E")
    t = tariff(site, five_band_calendar())
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0}))
    client.force_login(tenants["staff"])
    url = f"/admin/costs/electricitytariff/{t.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update({"price_flat": "1.6", "valid_from": "2025-01-01", "price_critical_peak": "1.2",
                 "price_deep_valley": "0.2", "calendar": t.calendar_id, "site": site.pk, "meter": "",
                 "pf_table": "", "reactive_meter": "", "capacity_price_cny": "", "transformer_kva": "",
                 "valid_to": ""})
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    t.refresh_from_db()
    assert t.price_flat == D("1.6")
    # 平段 320 kWh now at 1.6 instead of 0.6: 624 + 320 × 1.0 = 944.
    assert MeterCostMonth.objects.get(meter=meter).energy_cny == D("944.0000")
