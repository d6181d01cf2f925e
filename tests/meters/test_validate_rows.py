"""Row validation with a timestamp already seen in the batch: rows_validate accepts such a row on a short path (a
usable meter, a parsed timestamp, a finite float in range, the meter active). Each refusal must still be found when
the row's timestamp text was parsed for an earlier, valid row of the batch (issue #18's faster validation)."""

import datetime as dt
import math

import pytest

from meters.models import Meter
from meters.services.ingest import RawRow, meters_resolve, rows_validate
from tests.factories import GatewayFactory, MeterFactory, SiteFactory

TS = "2025-03-01T08:15:00+08:00"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def site():
    site = SiteFactory()
    MeterFactory(site=site, code="OK")
    MeterFactory(site=site, code="LIMITED", max_reading=100)
    MeterFactory(site=site, code="REG", reading_kind=Meter.ReadingKind.CUMULATIVE, rollover_value=1000)
    MeterFactory(site=site, code="LATE", active_from=dt.datetime(2025, 4, 1, tzinfo=dt.UTC))
    MeterFactory(site=site, code="ENDED", active_to=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    MeterFactory(site=site, code="BADUNIT", unit="t")
    return site


@pytest.mark.django_db
@pytest.mark.parametrize(("meter", "value", "code"), [
    ("OK", -1.0, "negative_interval_quantity"),
    ("OK", math.inf, "not_finite"),
    ("OK", math.nan, "not_finite"),
    ("LIMITED", 100.5, "implausible_value"),
    ("REG", 1000.0, "implausible_value"),       # at the rollover modulus
    ("LATE", 1.0, "meter_inactive"),            # active from April
    ("ENDED", 1.0, "meter_inactive"),           # active until 2025-03-01 00:00 UTC; TS is 00:15 UTC
    ("BADUNIT", 1.0, "unit_not_allowed"),       # electricity is not metered in tonnes
    ("NOPE", 1.0, "unknown_meter"),
])
def test_a_row_after_a_valid_one_with_the_same_timestamp_is_still_checked(site, meter, value, code):
    rows = [RawRow(0, "OK", TS, 1.0), RawRow(1, meter, TS, value)]
    meters = meters_resolve(site=site, gateway=None, codes=[r.meter for r in rows])
    valid, rejected = rows_validate(rows, meters, NOW)
    assert [v.index for v in valid] == [0]
    assert [(row.index, str(err)) for row, err, _detail in rejected] == [(1, code)]


@pytest.mark.django_db
def test_rows_on_the_short_path_are_accepted_as_on_the_long_one(site):
    # REG: -5 is a plausible register value (negative registers exist), 999.9 is below the modulus; LIMITED: 100 is
    # the limit itself. The first row parses TS; the others reuse it.
    rows = [RawRow(0, "OK", TS, 1.0), RawRow(1, "REG", TS, -5.0), RawRow(2, "REG", TS, 999.9),
            RawRow(3, "LIMITED", TS, 100.0), RawRow(4, "OK", TS, 0.0)]
    meters = meters_resolve(site=site, gateway=None, codes=[r.meter for r in rows])
    valid, rejected = rows_validate(rows, meters, NOW)
    assert rejected == []
    assert [(v.index, v.value, v.ts_text) for v in valid] == [
        (i, r.value, "2025-03-01T00:15:00+00:00") for i, r in enumerate(rows)]


@pytest.mark.django_db
def test_a_meter_outside_the_gateway_allow_list_is_refused_after_a_valid_row(site):
    gateway = GatewayFactory(site=site)
    gateway.allowed_meters.add(Meter.objects.get(code="OK"))
    rows = [RawRow(0, "OK", TS, 1.0), RawRow(1, "REG", TS, 5.0)]
    meters = meters_resolve(site=site, gateway=gateway, codes=[r.meter for r in rows])
    _valid, rejected = rows_validate(rows, meters, NOW)
    assert [(row.index, str(err)) for row, err, _detail in rejected] == [(1, "meter_not_allowed")]
