"""Bill reconciliation: a bill that disagrees with the meter is flagged with both figures; one that agrees is not."""

import datetime as dt
from decimal import Decimal

import pytest

from costs.selectors import bill_reconciliation
from meters.models import Bill
from tests.costs.test_compute import five_band_calendar, ingest, quarter_hours, tariff
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def metered(tenants):
    site = tenants["site_a"]
    meter = MeterFactory(site=site, code="E")
    tariff(site, five_band_calendar())
    # The hand-worked day of test_compute: 980 kWh, 624 energy + 29.4 funds = 653.40 CNY (single-part).
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0}))
    return {**tenants, "meter": meter}


def test_a_bill_that_disagrees_with_the_meter_is_flagged_with_both_figures(metered):
    day = dt.date(2025, 7, 1)
    wrong = Bill.objects.create(meter=metered["meter"], period_start=day, period_end=day, quantity=D("1000"),
                                amount_cny=D("700.00"))
    rows = bill_reconciliation(bills=Bill.objects.filter(pk=wrong.pk), tolerance=D("0.02"))
    row = rows[0]
    assert (row["metered_quantity"], row["computed_cny"]) == (D("980.0000"), D("653.40"))
    # (1000 − 980) / 980 = 0.020408… → 0.0204 > 0.02; (700 − 653.40) / 653.40 = 0.071319… → 0.0713.
    assert (row["quantity_difference"], row["cost_difference"], row["flagged"]) == (D("0.0204"), D("0.0713"), True)


def test_a_bill_within_the_tolerance_is_not_flagged_and_the_quality_page_lists_only_mismatches(metered, client):
    day = dt.date(2025, 7, 1)
    Bill.objects.create(meter=metered["meter"], period_start=day, period_end=day, quantity=D("985"),
                        amount_cny=D("653.40"))  # (985 − 980) / 980 = 0.0051; cost equal
    assert bill_reconciliation(bills=Bill.objects.all(), tolerance=D("0.02"))[0]["flagged"] is False
    client.force_login(metered["viewer_a"])
    page = client.get(f"/quality/?enterprise={metered['a'].pk}")
    assert page.context["bill_mismatches"] == []
    Bill.objects.create(meter=metered["meter"], period_start=dt.date(2025, 7, 2), period_end=dt.date(2025, 7, 2),
                        quantity=D("500"), amount_cny=D("300"))  # no metered day: flagged, metered "—"
    page = client.get(f"/quality/?enterprise={metered['a'].pk}")
    assert [r["bill"].period_start for r in page.context["bill_mismatches"]] == [dt.date(2025, 7, 2)]
    assert 'id="bill-mismatches"' in page.content.decode()
