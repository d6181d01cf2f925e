"""Every report heading, column label, note and meta label is translated in a zh-hans report (report language is
chosen per report, independent of the request's language)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from reports.builders import META_LABELS, builders
from tests.factories import ProductFactory, ProductionDataFactory

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


def _labels(doc) -> list[str]:
    out = [str(doc.title)]
    for s in doc.sections:
        out.append(str(s.title))
        out += [str(n) for n in s.notes]
        out += [str(c.title) for c in s.charts]
        for t in s.tables:
            out += [str(c.label) for c in t.columns if not str(c.label).isdigit()]  # year columns are numbers
    return out


@pytest.mark.parametrize("kind", ["energy", "ghg", "footprint", "green_factory"])
def test_zh_hans_report_has_no_untranslated_label(site, kind):
    ProductionDataFactory(product=ProductFactory(site=site, unit="t"), month="2025-03-01", quantity=1000)
    year = 2026 if kind == "green_factory" else 2025
    with translation.override("zh-hans"):
        zh = builders()[kind](enterprise=site.enterprise, year=year)
        meta = [str(META_LABELS[k]) for k in zh.meta]
    with translation.override("en"):
        en = builders()[kind](enterprise=site.enterprise, year=year)
    untranslated = [label for label in _labels(zh) + meta if not CJK.search(label)]
    assert untranslated == []
    assert not any(CJK.search(label) for label in _labels(en) if "绿色钢铁" not in label)
