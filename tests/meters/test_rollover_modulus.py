"""Register rollover: the meter's rollover value is the modulus at which the register returns to zero (issue #13)."""

import datetime as dt
import importlib
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import translation

from meters.models import Meter, MeterRollup
from meters.rollup import rollup_all, rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import MeterFactory, SiteFactory

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _ts(minute: int) -> str:
    return dt.datetime(2025, 3, 1, 8, minute, tzinfo=SH).isoformat()


@pytest.mark.django_db
def test_register_showing_at_most_99999_9_wraps_99990_to_5_as_15_units_times_multiplier():
    site = SiteFactory()
    # A register showing at most 99,999.9 returns to zero at its modulus 100,000.
    m = MeterFactory(site=site, code="R", reading_kind="cumulative", multiplier=3, rollover_value=Decimal("100000"))
    rows = [RawRow(0, "R", _ts(0), 99990.0), RawRow(1, "R", _ts(15), 5.0), RawRow(2, "R", _ts(30), 5.0)]
    assert readings_ingest(site=site, rows=rows).accepted == 3
    rollup_sweep()
    hour = MeterRollup.objects.get(meter=m, granularity="hour")
    # 100,000 − 99,990.0 + 5.0 = 15.0 register units; then 5.0 − 5.0 = 0; × multiplier 3 = 45.0
    assert round(hour.quantity, 9) == 45.0
    MeterRollup.objects.all().delete()
    rollup_all()  # the full rebuild applies the same convention
    assert round(MeterRollup.objects.get(meter=m, granularity="hour").quantity, 9) == 45.0


def test_help_text_states_the_modulus_convention():
    with translation.override("en"):  # the model's help text is translated (zh-hans is the default language)
        help_text = str(Meter._meta.get_field("rollover_value").help_text)
    assert "returns to zero" in help_text
    assert "99,999.9 has 100,000" in help_text


def test_migration_turns_a_largest_display_into_the_modulus_and_keeps_a_modulus():
    modulus_of = importlib.import_module("meters.migrations.0009_rollover_modulus").modulus_of
    assert modulus_of(Decimal("99999.9000")) == Decimal("100000.0")  # 99,999.9 + one step of 0.1
    assert modulus_of(Decimal("9999999.0000")) == Decimal("10000000")  # 9,999,999 + 1
    assert modulus_of(Decimal("1000000.0000")) == Decimal("1000000")  # already a modulus: kept
    assert modulus_of(Decimal("12345")) == Decimal("12345")  # not a display maximum: kept as the rollup used it


@pytest.mark.django_db
def test_meter_with_non_positive_rollover_modulus_is_invalid():
    from django.core.exceptions import ValidationError

    m = MeterFactory.build(site=SiteFactory(), reading_kind="cumulative", rollover_value=Decimal("0"))
    with pytest.raises(ValidationError) as err:
        m.clean()
    assert "rollover_value" in err.value.message_dict
