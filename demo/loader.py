"""Demo data: one steel enterprise with a rolling mill, a data center and a base-station fleet, a small second
enterprise, users in every role, and readings from 2025-01-01 to today with believable load shapes.

Readings are generated with numpy and written set-based (COPY on PostgreSQL, executemany on SQLite) straight into the
readings table, then rolled up with the same SQL as production (`meters.rollup.rollup_all`). Meter shapes: daily
(working hours, night shift), weekly (Sunday lower) and seasonal (cooling in summer for the data center) profiles with
noise; a few gaps (one day of a workshop meter, one hour of the IT-load meter) and one register rollover on the
rolling mill's main meter, whose register wraps at 1,000,000.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, RegulatorJurisdiction, Role
from carbon.models import Target
from costs.demo import costs_demo_load
from meters.models import Carrier, Meter
from meters.rollup import rollup_all
from plants.models import EconomicData, Enterprise, Product, ProductionData, ProductionUnit, Site
from plants.validators import credit_code_check_character

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2025, 1, 1, tzinfo=SH)


def credit_code(first17: str) -> str:
    return first17 + credit_code_check_character(first17)


DEMO_CODE = credit_code("91130200MA0DEM001")
SECOND_CODE = credit_code("91320500MA0DEM002")


@dataclass
class Spec:
    code: str
    name: str
    carrier: str
    unit: str
    kind: str  # cumulative | interval
    interval: int  # minutes
    level: str
    role: str = Meter.Role.SUB
    parent: str | None = None
    multiplier: int = 1
    rollover: int | None = None
    prod_unit: str | None = None
    shape: str = "flat"  # flat | mill | dc_total | dc_it | pv | office | daily
    mean: float = 0.0  # mean quantity per interval (meter unit, after multiplier)
    gap: tuple[dt.datetime, dt.datetime] | None = None
    start_register: float = 0.0


def _profile(ts: np.ndarray, shape: str, rng: np.random.Generator) -> np.ndarray:
    """Relative load (mean ≈ 1) at local times `ts` (numpy datetime64 in local time)."""
    hours = (ts.astype("datetime64[m]").astype(np.int64) % 1440) / 60.0
    days = ts.astype("datetime64[D]").astype(np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday → Monday = 0
    doy = (days - days.min()) % 365
    season = np.cos(2 * np.pi * (doy - 200) / 365)  # +1 in mid-July, −1 in mid-January
    noise = rng.normal(1.0, 0.04, len(ts))
    if shape == "mill":
        base = np.where((hours >= 8) & (hours < 20), 1.15, 0.82) * np.where(weekday == 6, 0.7, 1.03)
    elif shape == "dc_total":
        base = 1.0 + 0.09 * season + 0.03 * np.sin(2 * np.pi * (hours - 9) / 24)
    elif shape == "dc_it":
        base = 1.0 + 0.02 * np.sin(2 * np.pi * (hours - 9) / 24) + (days - days.min()) / 365 * 0.05
        noise = rng.normal(1.0, 0.01, len(ts))
    elif shape == "pv":
        sun = np.clip(np.sin(np.pi * (hours - 6) / 13), 0, None) ** 1.5
        base = sun * (1 + 0.25 * season) * 3.2
        noise = rng.uniform(0.6, 1.05, len(ts))
    elif shape == "office":
        base = np.where((hours >= 8) & (hours < 18) & (weekday < 5), 1.6, 0.7)
    elif shape == "daily":
        base = np.where(weekday == 6, 0.75, 1.05) * (1 + 0.1 * season)
    else:
        base = np.ones(len(ts))
    return np.clip(base * noise, 0, None)


def _specs(small: bool) -> dict[str, list[Spec]]:
    day_gap = (dt.datetime(2025, 6, 10, tzinfo=SH), dt.datetime(2025, 6, 11, tzinfo=SH))
    hour_gap = (dt.datetime(2025, 9, 3, 10, tzinfo=SH), dt.datetime(2025, 9, 3, 11, tzinfo=SH))
    mill = [
        Spec("RM-E-MAIN", "进线总表 Main incomer", Carrier.ELECTRICITY, "kWh", "cumulative", 15, Meter.Level.ENTERPRISE,
             Meter.Role.PURCHASE, multiplier=200, rollover=1_000_000, shape="mill", mean=2000.0,
             start_register=840_000.0),
        Spec("RM-E-W1", "热轧车间 Hot-rolling workshop", Carrier.ELECTRICITY, "kWh", "interval", 15,
             Meter.Level.SUB_UNIT, parent="RM-E-MAIN", prod_unit="W1", shape="mill", mean=1250.0),
        Spec("RM-E-RF", "加热炉 Reheating furnace", Carrier.ELECTRICITY, "kWh", "interval", 15, Meter.Level.EQUIPMENT,
             parent="RM-E-W1", prod_unit="RF", shape="mill", mean=300.0),
        Spec("RM-E-L1", "轧线 Rolling line", Carrier.ELECTRICITY, "kWh", "interval", 15, Meter.Level.EQUIPMENT,
             parent="RM-E-W1", prod_unit="L1", shape="mill", mean=880.0),
        Spec("RM-E-W2", "棒材车间 Bar workshop", Carrier.ELECTRICITY, "kWh", "interval", 15, Meter.Level.SUB_UNIT,
             parent="RM-E-MAIN", prod_unit="W2", shape="mill", mean=560.0, gap=day_gap),
        Spec("RM-E-AUX", "辅助与办公 Auxiliary and offices", Carrier.ELECTRICITY, "kWh", "interval", 15,
             Meter.Level.SUB_UNIT, parent="RM-E-MAIN", shape="office", mean=100.0),
        Spec("RM-PV", "屋顶光伏 Rooftop PV", Carrier.PV_GENERATION, "kWh", "interval", 15, Meter.Level.ENTERPRISE,
             Meter.Role.GENERATION, shape="pv", mean=180.0),
        Spec("RM-GAS", "天然气 Natural gas", Carrier.NATURAL_GAS, "m3", "interval", 1440, Meter.Level.ENTERPRISE,
             Meter.Role.PURCHASE, shape="daily", mean=52_000.0),
        Spec("RM-COAL", "锅炉用煤 Boiler coal", Carrier.RAW_COAL, "t", "interval", 1440, Meter.Level.ENTERPRISE,
             Meter.Role.PURCHASE, shape="daily", mean=18.0),
        Spec("RM-WATER", "新水 New water", Carrier.WATER, "t", "interval", 1440, Meter.Level.ENTERPRISE,
             Meter.Role.PURCHASE, shape="daily", mean=2400.0),
    ]
    dc = [
        Spec("DC-E-TOTAL", "数据中心总表 Facility total", Carrier.ELECTRICITY, "kWh", "cumulative", 15,
             Meter.Level.ENTERPRISE, Meter.Role.FACILITY_TOTAL, multiplier=100, shape="dc_total", mean=700.0,
             start_register=120_000.0),
        Spec("DC-E-IT", "IT负载 IT load", Carrier.ELECTRICITY, "kWh", "interval", 15, Meter.Level.SUB_UNIT,
             Meter.Role.IT_LOAD, parent="DC-E-TOTAL", shape="dc_it", mean=500.0, gap=hour_gap),
        Spec("DC-E-COOL", "制冷 Cooling", Carrier.ELECTRICITY, "kWh", "interval", 15, Meter.Level.SUB_UNIT,
             parent="DC-E-TOTAL", shape="dc_total", mean=150.0),
    ]
    fleet = [
        Spec("BS-E-TOTAL", "基站汇总电表 Fleet electricity", Carrier.ELECTRICITY, "kWh", "interval", 60,
             Meter.Level.ENTERPRISE, Meter.Role.PURCHASE, shape="dc_it", mean=120 * 2.4),
        Spec("BS-DIESEL", "油机柴油 Generator diesel", Carrier.DIESEL, "t", "interval", 43200, Meter.Level.ENTERPRISE,
             Meter.Role.PURCHASE, shape="flat", mean=0.35),
    ]
    if small:
        return {"RM1": mill[:2] + mill[7:8], "DC1": dc[:2], "BS1": fleet[:1]}
    return {"RM1": mill, "DC1": dc, "BS1": fleet}


def _month_starts(until: dt.datetime) -> list[dt.datetime]:
    out, m = [], START
    while m < until:
        out.append(m)
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def _series(spec: Spec, until: dt.datetime, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(UTC epoch seconds, values) of one meter."""
    if spec.interval >= 28 * 1440:
        starts = np.array([int(m.timestamp()) for m in _month_starts(until)], dtype=np.int64)
    else:
        step = spec.interval * 60
        starts = np.arange(int(START.timestamp()), int(until.timestamp()), step, dtype=np.int64)
    if spec.gap:
        keep = (starts < int(spec.gap[0].timestamp())) | (starts >= int(spec.gap[1].timestamp()))
        starts = starts[keep]
    local = (starts + 8 * 3600).astype("datetime64[s]")
    qty = spec.mean * _profile(local, spec.shape, rng)
    if spec.kind == "interval":
        return starts, np.round(qty / spec.multiplier, 3)
    register = spec.start_register + np.concatenate([[0.0], np.cumsum(qty[:-1] / spec.multiplier)])
    if spec.rollover:
        register = np.mod(register, spec.rollover)
    return starts, np.round(register, 2)


def _write_readings(meter_id: int, starts: np.ndarray, values: np.ndarray) -> int:
    stamps = np.datetime_as_string(starts.astype("datetime64[s]"), unit="s")
    if connection.vendor == "postgresql":
        buf = io.StringIO()
        for ts, v in zip(stamps, values, strict=True):
            buf.write(f"{meter_id}\t{ts}+00\t{float(v)!r}\tf\n")
        with connection.cursor() as cur, cur.copy(
                "COPY meters_reading (meter_id, ts, value, estimated) FROM STDIN") as copy:
            copy.write(buf.getvalue())
    else:
        rows = [(meter_id, ts.replace("T", " "), float(v)) for ts, v in zip(stamps, values, strict=True)]
        with connection.cursor() as cur:
            cur.executemany("INSERT INTO meters_reading (meter_id, ts, value, estimated) VALUES (%s, %s, %s, 0)", rows)
    return len(values)


def _users(enterprise: Enterprise) -> list[tuple[str, str]]:
    User = get_user_model()
    password = settings.DEMO_PASSWORD
    out = []
    for username, role, staff, superuser in [("admin", Role.ENTERPRISE_ADMIN, True, True),
                                             ("manager", Role.ENERGY_MANAGER, True, False),
                                             ("viewer", Role.VIEWER, False, False),
                                             ("regulator", None, False, False)]:
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff, user.is_superuser = staff, superuser
        user.set_password(password)
        user.save()
        if role:
            Membership.objects.update_or_create(user=user, enterprise=enterprise, defaults={"role": role})
        else:
            RegulatorJurisdiction.objects.get_or_create(user=user, region_prefix=enterprise.region_code[:2],
                                                        defaults={"authority": "河北省工业和信息化厅 (demo)"})
        out.append((username, role or f"regulator of region {enterprise.region_code[:2]}"))
    manager = User.objects.get(username="manager")
    manager.user_permissions.set(Permission.objects.filter(
        content_type__app_label__in=["plants", "meters", "carbon"],
        codename__regex=r"^(view|add|change)_"))
    return out


@transaction.atomic
def demo_load(*, until: dt.datetime | None = None, small: bool = False, seed: int = 2025, log=print) -> dict:
    """Load the demo (idempotent: returns at once when the demo enterprise exists)."""
    if Enterprise.objects.filter(credit_code=DEMO_CODE).exists():
        enterprise = Enterprise.objects.get(credit_code=DEMO_CODE)
        return {"created": False, "logins": _users(enterprise), "readings": 0}
    until = until or timezone.now().astimezone(SH).replace(minute=0, second=0, microsecond=0)
    rng = np.random.default_rng(seed)
    enterprise = Enterprise.objects.create(name="冀东精轧钢铁有限公司 Jidong Precision Rolling Steel Co.",
                                           credit_code=DEMO_CODE, industry_code="C3130", region_code="130203")
    sites = {
        "RM1": Site.objects.create(enterprise=enterprise, code="RM1", name="唐山轧钢厂 Tangshan rolling mill",
                                   kind=Site.Kind.FACTORY, region_code="130203",
                                   commissioning_date=dt.date(2012, 5, 1)),
        "DC1": Site.objects.create(enterprise=enterprise, code="DC1", name="唐山数据中心 Tangshan data center",
                                   kind=Site.Kind.DATA_CENTER, region_code="130203",
                                   commissioning_date=dt.date(2020, 9, 1)),
        "BS1": Site.objects.create(enterprise=enterprise, code="BS1", name="冀东基站群 Jidong base-station fleet",
                                   kind=Site.Kind.BASE_STATION_FLEET, region_code="130200", base_station_count=120),
    }
    rm = sites["RM1"]
    w1 = ProductionUnit.objects.create(site=rm, code="W1", name="热轧车间 Hot-rolling workshop", kind="workshop")
    w2 = ProductionUnit.objects.create(site=rm, code="W2", name="棒材车间 Bar workshop", kind="workshop")
    units = {"W1": w1, "W2": w2,
             "RF": ProductionUnit.objects.create(site=rm, parent=w1, code="RF", name="加热炉 Reheating furnace",
                                                 kind="equipment"),
             "L1": ProductionUnit.objects.create(site=rm, parent=w1, code="L1", name="热轧线 Hot-rolling line",
                                                 kind="line")}
    hrc = Product.objects.create(site=rm, unit_of_production=w1, code="HRC", name="热轧卷 Hot-rolled coil", unit="t")
    rebar = Product.objects.create(site=rm, unit_of_production=w2, code="REBAR", name="螺纹钢 Rebar", unit="t")
    traffic = Product.objects.create(site=sites["BS1"], code="TRAFFIC", name="数据流量 Traffic", unit="TB")

    total = 0
    for site_code, specs in _specs(small).items():
        meters: dict[str, Meter] = {}
        for spec in specs:
            meter = Meter.objects.create(
                site=sites[site_code], code=spec.code, name=spec.name, carrier=spec.carrier, unit=spec.unit,
                reading_kind=spec.kind, multiplier=spec.multiplier, rollover_value=spec.rollover,
                interval_minutes=spec.interval, parent=meters.get(spec.parent) if spec.parent else None,
                level=spec.level, role=spec.role, production_unit=units.get(spec.prod_unit),
                accuracy_class="0.5S" if spec.carrier == Carrier.ELECTRICITY else "2.0",
                last_calibration=dt.date(2025, 3, 1), next_calibration=dt.date(2026, 12, 15 if spec.parent else 1),
                active_from=START - dt.timedelta(days=1))
            meters[spec.code] = meter
            starts, values = _series(spec, until, rng)
            total += _write_readings(meter.pk, starts, values)
    log(f"readings written: {total}")

    months = _month_starts(until)
    va_base = {"RM1": 8200, "DC1": 2600, "BS1": 450}
    for i, month in enumerate(months):
        growth = 1 + 0.004 * i
        for code, site in sites.items():
            EconomicData.objects.create(site=site, month=month.date(), source="demo",
                                        value_added_10k_cny=Decimal(str(round(va_base[code] * growth, 1))))
        ProductionData.objects.create(product=hrc, month=month.date(), quantity=Decimal(58000 + 300 * (i % 5)),
                                      source="demo")
        ProductionData.objects.create(product=rebar, month=month.date(), quantity=Decimal(36000 + 250 * (i % 4)),
                                      source="demo")
        ProductionData.objects.create(product=traffic, month=month.date(), quantity=Decimal(5200 + 90 * i),
                                      source="demo")
    Target.objects.create(enterprise=enterprise, indicator=Target.Indicator.ENERGY_PER_VALUE_ADDED,
                          baseline_year=2025, target_year=2030, reduction_pct=Decimal("13.5"),
                          note="15th five-year plan, default from the 14th plan's −13.5 %")
    Target.objects.create(enterprise=enterprise, indicator=Target.Indicator.CARBON_PER_VALUE_ADDED,
                          baseline_year=2025, target_year=2030, reduction_pct=Decimal("18"),
                          note="default from the 14th plan's −18 %")
    Target.objects.create(enterprise=enterprise, site=sites["DC1"], indicator=Target.Indicator.PUE,
                          baseline_year=2025, target_year=2027, reduction_pct=Decimal("7"),
                          note="toward PUE < 1.3 for large data centers")

    second = Enterprise.objects.create(name="苏州精密电子有限公司 Suzhou Precision Electronics",
                                       credit_code=SECOND_CODE, industry_code="C3982", region_code="320505")
    s2 = Site.objects.create(enterprise=second, code="SZ1", name="苏州工厂 Suzhou plant", kind=Site.Kind.FACTORY,
                             region_code="320505")
    m2 = Meter.objects.create(site=s2, code="SZ-E-MAIN", name="Main incomer", carrier=Carrier.ELECTRICITY, unit="kWh",
                              reading_kind="interval", interval_minutes=60, level=Meter.Level.ENTERPRISE,
                              role=Meter.Role.PURCHASE, active_from=START)
    small_until = min(until, dt.datetime(2025, 4, 1, tzinfo=SH))
    starts, values = _series(Spec("SZ-E-MAIN", "", Carrier.ELECTRICITY, "kWh", "interval", 60, "", shape="office",
                                  mean=450.0), small_until, rng)
    total += _write_readings(m2.pk, starts, values)
    for month in _month_starts(small_until):
        EconomicData.objects.create(site=s2, month=month.date(), value_added_10k_cny=Decimal("900"), source="demo")

    log("rolling up …")
    rollup_all()
    log("computing energy cost …")
    costs_demo_load(enterprise=enterprise)
    from .greenfactory import demo_green_factory

    demo_green_factory(site=rm)
    from .footprint import demo_footprint_cbam

    demo_footprint_cbam(site=rm)
    from .energyreport import demo_energy_report

    demo_energy_report(site=rm)
    logins = _users(enterprise)
    from .mrv import demo_mrv

    log(f"MRV records: {demo_mrv(enterprise=enterprise, site=rm, months=[m.date() for m in months])}")
    other, _ = get_user_model().objects.get_or_create(username="suzhou")
    other.set_password(settings.DEMO_PASSWORD)
    other.save()
    Membership.objects.get_or_create(user=other, enterprise=second, defaults={"role": Role.ENTERPRISE_ADMIN})
    logins.append(("suzhou", "enterprise admin of the second enterprise"))
    return {"created": True, "logins": logins, "readings": total, "enterprise": enterprise.pk}
