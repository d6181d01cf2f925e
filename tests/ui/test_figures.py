"""Figures on pages: rounded once by quantity (energy_platform.numbers.present_in) and grouped by thousands in both
languages (energy_platform.formats: Django's zh_Hans has no separator, so Chinese pages showed 1021740.00 kWh);
units as people read them (万元, m³, %), never the internal unit keys."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from meters.models import Reading
from meters.rollup import rollup_all
from tests.factories import MeterFactory


def _render(text: str, lang: str, **context) -> str:
    with translation.override(lang):
        return Template(text).render(Context(context))


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_qty_rounds_by_quantity_and_groups_thousands_in_both_languages(lang):
    assert _render('{{ v|qty:"kWh" }}', lang, v=1021740.0) == "1,021,740.000"  # physical: 3 places
    assert _render('{{ v|qty:"tce" }}', lang, v=Decimal("12345.6785")) == "12,345.679"  # half up, 3 places
    assert _render('{{ v|qty:"tce/10^4 CNY" }}', lang, v=0.123456) == "0.1235"  # an intensity: 4 places
    assert _render('{{ v|qty:"percent" }}', lang, v=Decimal("5.095")) == "5.10"
    assert _render('{{ v|qty:"money" }}', lang, v=-1234567.891) == "-1,234,567.89"
    assert _render('{{ v|qty:"tCO2" }}', lang, v=None) == "—"


def test_floatformat_with_grouping_groups_in_chinese_too():
    assert _render('{{ v|floatformat:"2g" }}', "zh-hans", v=1021740) == "1,021,740.00"


def test_unit_label_shows_units_as_people_read_them():
    labels = ('{{ "tce/10^4 CNY"|unit_label }} {{ "10^4 CNY"|unit_label }} {{ "m3"|unit_label }} '
              '{{ "kWh/site"|unit_label }}')
    assert _render(labels, "zh-hans") == "tce/万元 万元 m³ kWh/站"
    assert _render(labels, "en") == "tce/10⁴ CNY 10⁴ CNY m³ kWh/site"


@pytest.fixture
def big_meter(tenants):
    """Site A1's main meter: 192 quarter-hours of 5321.234 kWh; a child of 60 kWh per quarter-hour."""
    today = timezone.localdate()
    start = dt.datetime(today.year, today.month, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    main = MeterFactory(site=tenants["site_a"], code="MAIN")
    child = MeterFactory(site=tenants["site_a"], code="SUB1", parent=main, role="sub", level="workshop")
    rows = [Reading(meter=main, ts=start + dt.timedelta(minutes=15 * i), value=5321.234) for i in range(192)]
    rows += [Reading(meter=child, ts=start + dt.timedelta(minutes=15 * i), value=60.0) for i in range(192)]
    Reading.objects.bulk_create(rows)
    rollup_all()
    return tenants


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_meter_tree_shows_grouped_quantities_with_three_decimals(client, big_meter, lang):
    client.force_login(big_meter["viewer_a"])
    client.cookies["django_language"] = lang
    body = client.get(f"/sites/{big_meter['site_a'].pk}/meters/").content.decode()
    # 192 x 5321.234 = 1,021,676.928 kWh; unmetered 1,021,676.928 - 192 x 60 (11,520) = 1,010,156.928 kWh.
    assert "1,021,676.928 kWh" in body
    assert "1,010,156.928 kWh" in body
    assert "1021676" not in body


def test_regulator_portal_shows_unit_labels_not_unit_keys(client, tenants):
    client.force_login(tenants["regulator_sh"])
    client.cookies["django_language"] = "zh-hans"
    body = client.get("/regulator/", {"period": "2025"}).content.decode()
    assert "<small>(tce/万元)</small>" in body and "<small>(tCO₂/万元)</small>" in body
    assert "<small>(万元)</small>" in body and "<small>(%)</small>" in body
    assert "10^4" not in body and "(ratio)" not in body and "(tCO2)" not in body
