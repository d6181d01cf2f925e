"""Green-factory self-evaluation (GB/T 36132 edition by year) for the assessment year and the two before it."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from carbon.periods import Period, period_coverage

from ..greenfactory import green_factory_scores, indicator_set_for
from ..labels import GROUP_NAMES_EN, THRESHOLD_NAMES
from ..models import RequirementEntry
from . import Chart, Column, Document, Section, Table, coverage_notes, subject_meta


def build_green_factory(*, enterprise, year: int, site=None, options=None) -> Document:
    iset = indicator_set_for(enterprise=enterprise, year=year)
    zh = (get_language() or "").startswith("zh")
    years = [year - 2, year - 1, year]
    scored = {y: green_factory_scores(enterprise=enterprise, year=y, indicator_set=iset, site=site) for y in years}
    cols = [Column("group", _("Group")), Column("code", _("Code")), Column("name", _("Indicator")),
            Column("unit", _("Unit")), Column("weight", _("Weight")), Column("baseline", _("Baseline value")),
            Column("leading", _("Leading value"))]
    for y in years:
        cols += [Column(f"value_{y}", f"{y}"), Column(f"points_{y}", _("Points %(y)s") % {"y": y})]
    rows = []
    for i, ind_row in enumerate(scored[year]["rows"]):
        ind = ind_row["indicator"]
        group = ind.group if zh else GROUP_NAMES_EN.get(ind.group, ind.group)
        row = [group, ind.code, ind.name_zh if zh else ind.name_en, ind.unit, ind.weight, ind.baseline_value,
               ind.leading_value]
        for y in years:
            r = scored[y]["rows"][i]
            row += [r["value"], r["points"]]
        rows.append(row)
    totals = Table([Column("year", _("Year")), Column("total", _("Total score"))]
                   + [Column(f"gap_{k}", _("Gap to %(t)s") % {"t": THRESHOLD_NAMES.get(k, k)})
                      for k in iset.thresholds],
                   [[y, scored[y]["total"], *[max(v - scored[y]["total"], 0) for v in iset.thresholds.values()]]
                    for y in years])
    req_entries = {e.requirement_id: e for e in RequirementEntry.objects.filter(enterprise=enterprise, year=year)}
    reqs = Table([Column("code", _("Code")), Column("requirement", _("Requirement")), Column("passed", _("Passed")),
                  Column("evidence", _("Evidence"))],
                 [[r.code, r.text_zh if zh else r.text_en,
                   None if r.pk not in req_entries else req_entries[r.pk].passed,
                   req_entries[r.pk].evidence if r.pk in req_entries else ""] for r in iset.requirements.all()])
    notes = [_("Edition %(e)s; indicator set: %(s)s.") % {"e": iset.edition, "s": iset.name},
             _("Score (percent of the weight): 60 at the baseline value, 100 at the leading value, linear between, "
               "0 below the baseline; points = weight × score / 100.")]
    if iset.provisional:
        notes.append(_("PROVISIONAL: weights and reference values are placeholders (%(src)s).") % {"src": iset.source})
    if site is not None:
        notes.append(_("Computed indicators are those of site %(s)s; entered values and basic requirements are the "
                       "enterprise's.") % {"s": site.code})
    # The computed indicators come from carbon.kpis, which cuts a year in progress the same way.
    period = period_coverage(period=Period.year(year)).period
    notes = coverage_notes(period) + notes
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=period)
    meta.update(edition=iset.edition, provisional=iset.provisional)
    chart = Chart(_("Total score by year"), _("points"), [(str(y), scored[y]["total"]) for y in years],
                  lines=[(str(THRESHOLD_NAMES.get(k, k)), v) for k, v in iset.thresholds.items()])
    return Document(
        kind="green_factory", title=_("Green-factory self-evaluation %(year)s") % {"year": year},
        meta=meta,
        sections=[Section("requirements", _("Basic requirements"), [reqs]),
                  Section("indicators", _("Indicators"), [Table(cols, rows)], notes),
                  Section("totals", _("Totals and gaps to thresholds"), [totals], charts=[chart])],
    )
