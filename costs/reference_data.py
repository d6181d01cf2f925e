"""Reference tariff data loaded by the data migration and the demo: a national power-factor adjustment table and a
provincial time-of-use calendar, both provisional (not verified against a copy of the source; DOMAIN.md §12)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

PF_SOURCE = ("《功率因数调整电费办法》(水利电力部、国家物价局 1983), standard 0.90 table — as quoted in secondary "
             "pages, not read in the original [check]")


def pf_steps_090() -> list[tuple[Decimal, Decimal]]:
    """(power factor from, adjustment %) for the 0.90 standard: 0.91-0.94 lower the bill 0.15 % per 0.01, 0.95 and
    above 0.75 %; 0.89-0.70 raise it 0.5 % per 0.01, 0.69-0.65 1 % per 0.01, 0.64 and below 2 % per 0.01
    (listed down to 0.50)."""
    steps = [(Decimal("0.90"), Decimal("0"))]
    steps += [(Decimal("0.90") + Decimal(k) / 100, Decimal("-0.15") * k) for k in range(1, 5)]  # 0.91..0.94
    steps.append((Decimal("0.95"), Decimal("-0.75")))
    pct = Decimal(0)
    for k in range(1, 41):  # 0.89 .. 0.50
        pf = Decimal("0.90") - Decimal(k) / 100
        pct += Decimal("0.5") if pf >= Decimal("0.70") else Decimal("1") if pf >= Decimal("0.65") else Decimal("2")
        steps.append((pf, pct))
    return sorted(steps)


HEBEI_CALENDAR = {
    "province_code": "13",
    "name": "河北 冀北电网 工商业分时电价 (provisional)",
    "source": "Illustrative five-band table in the shape of the Hebei (冀北) notice; hours and months not verified "
              "against the published notice [check]",
    "valid_from": dt.date(2024, 1, 1),
}

#: (months, day type, start, end, band, priority)
_ALL = "1,2,3,4,5,6,7,8,9,10,11,12"
HEBEI_PERIODS = [
    (_ALL, "all", dt.time(0), dt.time(7), "valley", 0),
    (_ALL, "all", dt.time(7), dt.time(8), "flat", 0),
    (_ALL, "all", dt.time(8), dt.time(11), "peak", 0),
    (_ALL, "all", dt.time(11), dt.time(17), "flat", 0),
    (_ALL, "all", dt.time(17), dt.time(22), "peak", 0),
    (_ALL, "all", dt.time(22), dt.time(23), "flat", 0),
    (_ALL, "all", dt.time(23), dt.time(0), "valley", 0),
    ("1,7,8,12", "all", dt.time(19), dt.time(21), "critical_peak", 1),
    ("4,5,9,10", "holiday", dt.time(11), dt.time(14), "deep_valley", 1),
]

HOLIDAYS_2025 = [(dt.date(2025, 4, 4) + dt.timedelta(days=k), "清明") for k in range(3)] + \
    [(dt.date(2025, 5, 1) + dt.timedelta(days=k), "劳动节") for k in range(5)] + \
    [(dt.date(2025, 10, 1) + dt.timedelta(days=k), "国庆节") for k in range(8)]


def load_reference(apps) -> None:
    """The data migration's rows (historical models from `apps`)."""
    Table = apps.get_model("costs", "PowerFactorTable")
    Step = apps.get_model("costs", "PowerFactorStep")
    Calendar = apps.get_model("costs", "TouCalendar")
    Period = apps.get_model("costs", "TouPeriod")
    Holiday = apps.get_model("costs", "TouHoliday")
    if not Table.objects.filter(enterprise__isnull=True, standard=Decimal("0.90")).exists():
        table = Table.objects.create(name="功率因数调整电费 0.90", standard=Decimal("0.90"), source=PF_SOURCE,
                                     valid_from=dt.date(1983, 12, 2), provisional=True)
        Step.objects.bulk_create([Step(table=table, power_factor=pf, adjustment_pct=pct)
                                  for pf, pct in pf_steps_090()])
    if not Calendar.objects.filter(enterprise__isnull=True, province_code="13").exists():
        cal = Calendar.objects.create(provisional=True, **HEBEI_CALENDAR)
        Period.objects.bulk_create([Period(calendar=cal, months=m, day_type=d, start=s, end=e, band=b, priority=p)
                                    for m, d, s, e, b, p in HEBEI_PERIODS])
        Holiday.objects.bulk_create([Holiday(calendar=cal, day=day, name=name) for day, name in HOLIDAYS_2025])
