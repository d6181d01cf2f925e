"""The energy report's cost section: the site's lines and total, and the tariff version named."""

from decimal import Decimal

import pytest
from django.utils import translation

from reports.builders import builders

pytestmark = pytest.mark.django_db


def test_energy_report_has_the_cost_lines_and_the_tariff_version(costed):
    with translation.override("zh-hans"):
        doc = builders()["energy"](enterprise=costed["a"], year=2025, site=costed["site_a"])
    section = next(s for s in doc.sections if s.key == "cost")
    # Columns: line (its name, not a code), quantity, unit, cost; the last row is the total.
    *lines, total = section.tables[0].rows
    # The API test's hand-worked site: 624 energy + 29.40 funds + 4800 capacity + 350 gas = 5803.40.
    assert (total[0], total[3]) == ("合计", Decimal("5803.40"))
    assert sum(r[3] for r in lines) == Decimal("5803.40")
    assert section.title == "能源费用"
    assert section.notes == ["所用电价版本：A1 两部制 (2025-01-01)"]
