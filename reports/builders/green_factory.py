"""Green-factory self-evaluation report (绿色工厂自评价报告) per factory site, in the structure of the MIIT
self-evaluation template: basic information, authenticity pledge, overview, basic requirements (gate), one section
per first-level group with its indicator table, summary and verdict, improvement plan, evidence annex.

An enterprise-level request lists the enterprise's factory sites and reports each in turn; a data centre or a
base-station fleet is not a factory and is never evaluated.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from carbon.periods import Period, period_coverage
from energy_platform.errors import ApplicationError
from plants.models import Site

from ..greenfactory import factory_sites, green_factory_evaluation, indicator_set_for, value_for_unit
from ..labels import carrier_name
from ..models import GreenFactoryProfile, Indicator
from . import Column, Document, Section, Table, coverage_notes, subject_meta

CN = "一二三四五六七八九十"


def _unit(unit: str) -> str:
    return unit or "—"


def _evidence_index(ev: dict, entry, label: str) -> str:
    """The annex number of an entry's evidence (E-1, E-2 …), registering it on first use."""
    if entry is None or not (entry.evidence or entry.evidence_file):
        return ""
    key = (type(entry).__name__, entry.pk)
    if key not in ev:
        ev[key] = {"no": f"E-{len(ev) + 1}", "label": label, "text": entry.evidence,
                   "file": entry.evidence_file.name.rsplit("/", 1)[-1] if entry.evidence_file else ""}
    return ev[key]["no"]


def _grade_text(ev: dict) -> str:
    if not ev["gate"]:
        return _("Does not meet the basic requirements: no grade")
    return {"national": _("Reaches the national green-factory score threshold"),
            "provincial": _("Reaches the provincial green-factory score threshold"),
            "below": _("Below the green-factory score thresholds")}.get(ev["grade"], "—")


def _site_sections(site: Site, year: int, zh: bool, doc_meta: dict) -> tuple[list[Section], dict]:
    ev = green_factory_evaluation(site=site, year=year)
    iset = ev["indicator_set"]
    ent = site.enterprise
    profile = GreenFactoryProfile.objects.filter(site=site, year=year).first()
    evidence: dict = {}
    p = f"{site.code}-" if doc_meta.get("multi") else ""
    sections: list[Section] = []

    def name(obj, zh_attr="name_zh", en_attr="name_en"):
        return getattr(obj, zh_attr) if zh else getattr(obj, en_attr)

    # 1. basic information
    info = [
        [_("Enterprise name"), ent.name], [_("Unified social credit code"), ent.credit_code],
        [_("Industry (GB/T 4754)"), ent.industry_code], [_("Factory name"), site.name],
        [_("Address"), profile.address if profile else ""],
        [_("Legal representative"), profile.legal_representative if profile else ""],
        [_("Contact person"), profile.contact_name if profile else ""],
        [_("Contact phone"), profile.contact_phone if profile else ""],
        [_("Commissioned"), site.commissioning_date.isoformat() if site.commissioning_date else ""],
        [_("Employees"), profile.employees if profile and profile.employees is not None else None],
        [_("Land area (m²)"), profile.land_area_m2 if profile else None],
        [_("Assessment year"), str(year)], [_("Evaluation standard"), iset.source or iset.edition],
        [_("Type of evaluation"), _("self-evaluation")],
    ]
    sections.append(Section(p + "basic_info", _("Basic information") + (f" — {site.name}" if p else ""),
                            [Table([Column("item", _("Item")), Column("content", _("Content"))], info)]))
    # 2. pledge
    pledge = _("%(e)s pledges that the contents of this self-evaluation report and its evidence are true, accurate "
               "and complete, and bears the legal responsibility for them.") % {"e": ent.name}
    sections.append(Section(p + "pledge", _("Authenticity pledge"),
                            [Table([Column("pledge", _("Pledge"))], [[pledge]]),
                             Table([Column("item", _("Item")), Column("blank", _("Signature and seal"))],
                                   [[_("Legal representative (signature)"), ""], [_("Enterprise (seal)"), ""],
                                    [_("Date"), _("year ____ month ____ day ____")]])]))
    # 3. overview
    fig = ev["metrics"]
    k_products = [[fig["products"][c], fig["energy_per_unit_product"].get(c), "kgce/t"] for c in fig["products"]]
    overview_notes = [t for t in ((profile.enterprise_overview, profile.plant_overview) if profile else ()) if t]
    if not overview_notes:
        overview_notes = [_("No overview entered (Reports › Green-factory profiles).")]
    k = fig["kpis"]
    carriers = [[carrier_name(c["carrier"]), c["quantity"], c["unit"], c["tce"]] for c in k["energy_by_carrier"]]
    sections.append(Section(
        p + "overview", _("Enterprise and plant overview"),
        [Table([Column("carrier", _("Energy carrier")), Column("quantity", _("Quantity")), Column("unit", _("Unit")),
                Column("tce", _("Standard coal"), "tce")], carriers),
         Table([Column("product", _("Product")), Column("epu", _("Comprehensive energy per unit")),
                Column("unit", _("Unit"))], k_products)], overview_notes))
    # 4. basic requirements
    req_rows = []
    for i, r in enumerate(ev["requirements"], 1):
        req = r["requirement"]
        verdict = {True: _("met"), False: _("not met"), None: _("not answered")}[r["passed"]]
        e = r["entry"]
        req_rows.append([i, req.text_zh if zh else req.text_en, verdict, e.evidence if e else "",
                         _evidence_index(evidence, e, req.text_zh if zh else req.text_en)])
    gate_note = (_("All basic requirements are met; the indicators are scored.") if ev["gate"] else
                 _("Basic requirements not met (a requirement failed or was not answered): the factory does not "
                   "meet the basic requirements and is not graded."))
    sections.append(Section(p + "requirements", _("Basic requirements"),
                            [Table([Column("no", _("No.")), Column("requirement", _("Requirement")),
                                    Column("result", _("Result")), Column("evidence", _("Evidence")),
                                    Column("index", _("Evidence index"))], req_rows)],
                            [gate_note]))
    # 5. one section per first-level group
    groups = iset.groups or [{"name": g, "name_en": g, "weight": None} for g in
                             dict.fromkeys(r["indicator"].group for r in ev["rows"])]
    any_provisional = False
    for gi, g in enumerate(groups):
        rows = []
        for r in ev["rows"]:
            ind: Indicator = r["indicator"]
            if ind.group != g["name"]:
                continue
            any_provisional |= ind.provisional
            label = name(ind)
            if r["product_name"]:
                label = f"{label} ({r['product_name']})"
            if ind.provisional:
                label += " *"
            how = _("computed") if ind.source == Indicator.Source.COMPUTED else _("entered")
            idx = _evidence_index(evidence, r["entry"], label)
            if ind.source == Indicator.Source.COMPUTED:
                idx = _("platform metering data")
            rows.append([ind.subgroup, label, _("mandatory") if ind.mandatory else _("optional"), _unit(ind.unit),
                         r["value"], how, value_for_unit(ind.baseline_value, ind.unit),
                         value_for_unit(ind.leading_value, ind.unit),
                         r["score"], ind.weight.normalize(), r["points"], idx])
        title = f"{CN[gi]}、{g['name']}" if zh else f"{gi + 1}. {g.get('name_en', g['name'])}"
        desc = g.get("description_zh" if zh else "description_en") or ""
        notes = [desc] if desc else []
        sections.append(Section(p + f"group{gi + 1}", title, [Table(
            [Column("subgroup", _("Second-level indicator")), Column("indicator", _("Indicator")),
             Column("mandatory", _("Mandatory/optional")), Column("unit", _("Unit")), Column("value", _("Value")),
             Column("how", _("How obtained")), Column("baseline", _("Baseline value")),
             Column("leading", _("Leading value")), Column("score", _("Score rate (%)")),
             Column("weight", _("Weight")), Column("points", _("Points")), Column("evidence", _("Evidence index"))],
            rows)], notes))
    # 6. summary and verdict
    summary = [[g["name"] if zh else g.get("name_en", g["name"]), Decimal(str(g["weight"])) if g.get("weight")
                is not None else None, ev["groups"].get(g["name"], Decimal(0))] for g in groups]
    summary.append([_("Total"), Decimal(100), ev["total"]])
    thresholds = [[_("%(t)s threshold") % {"t": {"provincial": _("provincial green factory"),
                                                 "national": _("national green factory")}.get(t, t)}, v]
                  for t, v in ev["thresholds"].items()]
    notes = [_("Conclusion: %(v)s.") % {"v": _grade_text(ev)},
             _("Score rate: 60 at the baseline value, 100 at the leading value, linear between, 0 worse than the "
               "baseline; points = weight × score rate / 100; an indicator per unit of product takes the mean score "
               "rate of the site's products; a missing value scores 0."),
             ]
    if any_provisional or iset.provisional:
        notes.append(_("* Provisional: weights, baseline and leading values to be confirmed for the industry by the "
                       "administrator."))
    sections.append(Section(p + "summary", _("Evaluation summary and conclusion"),
                            [Table([Column("group", _("First-level indicator")), Column("weight", _("Weight")),
                                    Column("points", _("Points"))], summary),
                             Table([Column("threshold", _("Threshold")), Column("value", _("Points"))], thresholds),
                             Table([Column("item", _("Item")), Column("basis", _("Basis"))],
                                   [[_("Indicator set"), iset.source or iset.edition],
                                    [_("Thresholds and grading"), iset.thresholds_source or "—"]])],
                            notes))
    # 7. improvement plan
    gaps = [[name(r["indicator"]) + (f" ({r['product_name']})" if r["product_name"] else ""),
             r["value"], _unit(r["indicator"].unit),
             value_for_unit(r["indicator"].baseline_value, r["indicator"].unit),
             (_("no value entered") if r["indicator"].source == Indicator.Source.ENTERED else _("no metered data"))
             if r["value"] is None else _("worse than the baseline value")]
            for r in ev["rows"] if r["score"] is None or r["score"] == 0]
    plan = [profile.improvement_plan] if profile and profile.improvement_plan else [
        _("No improvement plan entered (Reports › Green-factory profiles).")]
    sections.append(Section(p + "improvement", _("Improvement plan"),
                            [Table([Column("indicator", _("Indicator")), Column("value", _("Value")),
                                    Column("unit", _("Unit")), Column("baseline", _("Baseline value")),
                                    Column("gap", _("Gap"))], gaps)], plan))
    # 8. annex
    annex = [[e["no"], e["label"], e["text"], e["file"]] for e in evidence.values()]
    sections.append(Section(p + "annex", _("Annex: evidence list"),
                            [Table([Column("no", _("Evidence index")), Column("item", _("Indicator or requirement")),
                                    Column("text", _("Description")), Column("file", _("File"))], annex)],
                            [_("Computed indicators are taken from the platform's metering data and the entered "
                               "production and economic data (energy per unit of product by %(a)s; CO₂ per unit of "
                               "product: the site's scope 1 and 2 emissions allocated by output share; water: new "
                               "water metered at the boundary / total output).") % {
                                "a": _("the metered energy of the product's production unit")}]))
    return sections, ev


def build_green_factory(*, enterprise, year: int, site=None, options=None) -> Document:
    iset = indicator_set_for(enterprise=enterprise, year=year)
    zh = (get_language() or "").startswith("zh")
    if site is not None and site.kind != Site.Kind.FACTORY:
        raise ApplicationError("not_a_factory", f"Site {site.code} is not a factory: the green-factory "
                               "self-evaluation covers factory sites only.", status_code=400)
    sites = [site] if site is not None else factory_sites(enterprise=enterprise)
    if not sites:
        raise ApplicationError("no_factory", "The enterprise has no factory site to evaluate.", status_code=400)
    period = period_coverage(period=Period.year(year)).period
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=period)
    meta.update(edition=iset.edition, provisional=iset.provisional)
    multi = site is None
    sections: list[Section] = []
    verdicts = []
    for s in sites:
        secs, ev = _site_sections(s, year, zh, {"multi": multi})
        sections += secs
        verdicts.append([s.name, ev["total"], _grade_text(ev)])
    if multi:
        meta["scope"] = _("factory sites: %(s)s") % {"s": ", ".join(s.name for s in sites)}
        sections.insert(0, Section("factories", _("Factories evaluated"),
                                   [Table([Column("site", _("Factory")), Column("total", _("Points")),
                                           Column("verdict", _("Conclusion"))], verdicts)],
                                   [_("Each factory is evaluated on its own; other sites (data centres, base "
                                      "stations) are not factories and are not evaluated.")]))
    else:
        meta["verdict"] = verdicts[0][2]
        meta["total_score"] = verdicts[0][1]
    sections[0].notes = coverage_notes(period) + sections[0].notes
    return Document(kind="green_factory",
                    title=_("Green-factory self-evaluation report %(year)s") % {"year": year},
                    meta=meta, sections=sections)
