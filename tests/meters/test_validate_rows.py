"""Row validation with a timestamp already seen in the batch: rows_validate accepts such a row on a short path (a
usable meter, a parsed timestamp, a finite float in range, the meter active). Each refusal must still be found when
the row's timestamp text was parsed for an earlier, valid row of the batch (issue #18's faster validation).
rows_validate_columns makes the short path's test for a whole batch at once (numpy): its answer must be
rows_validate's, row for row."""

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meters.models import Meter
from meters.services.ingest import RawRow, meters_resolve, rows_validate
from meters.services.ingest.validate import rows_validate_columns
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


def _same_answer(rows, meters):
    valid, rejected = rows_validate(rows, meters, NOW)
    cols, rejected_cols = rows_validate_columns(rows, meters, NOW)
    assert [(v.index, v.meter_id, v.ts, v.value, v.ts_text) for v in valid] == [
        (r.index, r.meter_id, r.ts, r.value, r.ts_text) for r in (cols.row(k) for k in range(len(cols)))]
    assert [int(us) for us in cols.ts_us] == [(v.ts - dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
                                              // dt.timedelta(microseconds=1) for v in valid]
    assert sorted((row, str(code), detail) for row, code, detail in rejected) == sorted(
        (row, str(code), detail) for row, code, detail in rejected_cols)
    return valid, rejected


_CELLS = {
    "meter": st.sampled_from(["OK", "LIMITED", "REG", "LATE", "ENDED", "BADUNIT", "NOPE", "", None, 7]),
    "ts": st.sampled_from([TS, "2025-03-01T00:15:00Z", "2025-03-01T00:15:00", "2025-04-02T00:00:00+00:00",
                           "2025-02-28T23:59:59.999999+00:00", "2026-01-01T00:00:00+00:00", "soon", "", None, 3]),
    "value": st.one_of(st.sampled_from([0.0, -0.0, -5.0, 100.0, 100.5, 999.9, 1000.0, math.inf, math.nan, None, True,
                                        "12.5", " 3 ", "x", 7]),
                       st.floats(min_value=-2000, max_value=2000)),
}


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(_CELLS["meter"], _CELLS["ts"], _CELLS["value"]), max_size=12))
def test_the_whole_batch_test_answers_as_rows_validate(site, cells):
    rows = [RawRow(i, m, t, v) for i, (m, t, v) in enumerate(cells)]
    meters = meters_resolve(site=site, gateway=None, codes=[r.meter for r in rows])
    _same_answer(rows, meters)


@pytest.mark.django_db
def test_the_whole_batch_test_keeps_batch_order_and_indexes_that_are_not_positions(site):
    # Rows 10 and 30 pass the whole-batch test; 20 ("12.5", a string) and 40 (an integer) are accepted one by one;
    # 50 is refused. The valid rows come back in batch order with their own indexes.
    rows = [RawRow(10, "OK", TS, 1.0), RawRow(20, "OK", TS, "12.5"), RawRow(30, "REG", TS, 5.0),
            RawRow(40, "LIMITED", "2025-03-01T00:15:00Z", 7), RawRow(50, "NOPE", TS, 1.0)]
    meters = meters_resolve(site=site, gateway=None, codes=[r.meter for r in rows])
    valid, rejected = _same_answer(rows, meters)
    assert [(v.index, v.value) for v in valid] == [(10, 1.0), (20, 12.5), (30, 5.0), (40, 7.0)]
    assert [(row.index, str(code)) for row, code, _detail in rejected] == [(50, "unknown_meter")]


@pytest.mark.django_db
def test_a_meter_sent_as_a_list_is_refused_and_the_others_checked(site):
    rows = [RawRow(0, ["OK"], TS, 1.0), RawRow(1, "OK", TS, 2.0)]
    meters = meters_resolve(site=site, gateway=None, codes=["OK"])
    valid, rejected = _same_answer(rows, meters)
    assert [v.index for v in valid] == [1]
    assert [(row.index, str(code)) for row, code, _detail in rejected] == [(0, "missing_field")]


def test_a_parsed_body_keeps_its_rows_as_columns_and_answers_as_a_list_of_rows():
    import orjson

    from meters.services.ingest import RawColumns, body_parse_json

    readings = [{"meter": "A", "ts": TS, "value": 1.0}, {"meter": "B", "ts": TS, "value": "2"}]
    _key, rows = body_parse_json(orjson.dumps({"readings": readings}))
    assert isinstance(rows, RawColumns)
    expected = [RawRow(0, "A", TS, 1.0), RawRow(1, "B", TS, "2")]
    assert (len(rows), list(rows), rows[1], rows[-1], rows[0:1]) == (2, expected, expected[1], expected[1],
                                                                     expected[:1])
    # An item that is not an object, or lacks a key: rows one by one, the same form.
    _key, rows = body_parse_json(orjson.dumps({"readings": [*readings, [1], {"meter": "C"}]}))
    assert list(rows) == [*expected, RawRow(2, None, None, None), RawRow(3, "C", None, None)]
