"""The centre's demo data on top of the demo loader: weather, categories, baselines, a project; no references."""

import datetime as dt
import zoneinfo

import pytest

from demo.insights import insights_demo_load
from demo.loader import demo_load
from insights.models import BenchmarkReference, EnergyBaseline, MonthlyWeather, ProductCategory, SavingsProject

pytestmark = pytest.mark.django_db


def test_centre_demo_fits_two_baselines_and_invents_no_reference_values():
    demo_load(until=dt.datetime(2026, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), small=True,
              log=lambda m: None)
    references = BenchmarkReference.objects.count()
    assert insights_demo_load(log=lambda m: None) is True
    baselines = {b.site.code: b for b in EnergyBaseline.objects.select_related("site")}
    assert set(baselines) == {"RM1", "DC1"}
    assert baselines["RM1"].variables == ["product:HRC", "product:REBAR"] and baselines["RM1"].n_observations == 12
    assert baselines["DC1"].measure == "electricity_kwh" and baselines["DC1"].variables == ["cdd"]
    # Synthetic degree days: January is cold (HDD > 0, CDD = 0), July hot (CDD > 0, HDD = 0).
    jan = MonthlyWeather.objects.get(site__code="DC1", month=dt.date(2025, 1, 1))
    jul = MonthlyWeather.objects.get(site__code="DC1", month=dt.date(2025, 7, 1))
    assert jan.hdd > 0 and jan.cdd == 0 and jul.cdd > 0 and jul.hdd == 0
    # the centre's project (the energy-report demo adds the air-compressor retrofit of 2025 beside it)
    assert ProductCategory.objects.count() == 2
    assert SavingsProject.objects.exclude(name__startswith="空压站变频改造").count() == 1
    assert BenchmarkReference.objects.count() == references
    assert insights_demo_load(log=lambda m: None) is False  # idempotent
