"""Renderers of a builder `Document` to PDF (WeasyPrint from HTML templates, Noto CJK fonts), XLSX, CSV and JSON.

`render(doc, fmt) -> bytes`. JSON numbers are decimal strings (exact), each column carries its unit.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from energy_platform.cells import cell_row, cell_value

from .builders import META_LABELS, Document
from .formatting import FixedDecimal, fmt_cell, fmt_number, row_units
from .labels import is_share, unit_label


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)


def render_json(doc: Document) -> bytes:
    out = {
        "kind": doc.kind, "title": str(doc.title), "meta": {k: _plain(v) for k, v in doc.meta.items()},
        "factor_versions": doc.factor_versions, "ledger_head": doc.ledger_head,
        "sections": [
            {"key": s.key, "title": str(s.title), "notes": [str(n) for n in s.notes],
             "tables": [{"columns": [{"key": c.key, "label": str(c.label), "unit": c.unit} for c in t.columns],
                         "rows": [{c.key: _plain(v) for c, v in zip(t.columns, row, strict=True)} for row in t.rows]}
                        for t in s.tables]}
            for s in doc.sections
        ],
    }
    return json.dumps(out, ensure_ascii=False, indent=2).encode()


def render_csv(doc: Document) -> bytes:
    """One CSV: section, table index, then the column label (with unit) / value pairs of each row."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "table", "row", "column", "unit", "value"])
    for s in doc.sections:
        for ti, t in enumerate(s.tables):
            for ri, row in enumerate(t.rows):
                for c, v in zip(t.columns, row, strict=True):
                    w.writerow(cell_row([s.key, ti, ri, c.key, c.unit, v]))
    return buf.getvalue().encode("utf-8-sig")


def render_xlsx(doc: Document) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    info = wb.active
    info.title = "info"
    info.append(cell_row([doc.title]))
    for k, v in doc.meta.items():
        info.append(cell_row([META_LABELS.get(k, k), _plain(v), k]))
    for s in doc.sections:
        ws = wb.create_sheet(s.key[:31])
        ws.append(cell_row([s.title]))
        for t in s.tables:
            ws.append(cell_row(f"{c.label} ({unit_label(c.unit)})" if c.unit else str(c.label) for c in t.columns))
            for row in t.rows:
                cells = [float(v) if isinstance(v, Decimal) else cell_value(_plain(v)) for v in row]
                ws.append(cells)
                shares = [is_share(c.unit) for c in t.columns]
                for i, (v, cell) in enumerate(zip(row, ws[ws.max_row], strict=False)):
                    if isinstance(cell.value, float):
                        share = i < len(shares) and shares[i]  # the header says (%): 0.6 shows as 60.00%
                        cell.number_format = ("0.00%" if share else
                                              ("#,##0." + "0" * v.places if v.places else "#,##0")
                                              if isinstance(v, FixedDecimal) else "#,##0.0000")
            ws.append([])
        for n in s.notes:
            ws.append(cell_row([n]))
    if doc.kind == "cbam":  # laid out like the EU communication template: its sheets only, A_InstData first
        wb.remove(info)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: Key-figure cards on the first page: (section key, row index in its first table) of "indicator/value/unit" rows.
KEY_FIGURES = {"energy": [("summary", 0), ("summary", 2), ("summary", 3)],
               "ghg": [("summary", 0), ("summary", 1), ("summary", 2)]}


def _cards(doc: Document) -> list[dict]:
    sections = {s.key: s for s in doc.sections}
    cards = []
    for key, i in KEY_FIGURES.get(doc.kind, []):
        rows = sections[key].tables[0].rows
        if i < len(rows):
            label, value, unit = rows[i][:3]
            cards.append({"label": label, "value": print_cell(value, unit if isinstance(unit, str) else None),
                          "unit": unit_label(unit)})
    if doc.kind == "green_factory" and "verdict" in doc.meta:
        cards.append({"label": _("Total points"), "value": fmt_cell(doc.meta["total_score"]), "unit": _("points")})
        cards.append({"label": _("Conclusion"), "value": doc.meta["verdict"], "unit": doc.meta.get("edition", "")})
    return cards


def print_cell(value, unit: str | None = None) -> str:
    """A cell as printed: a share (unit key 'ratio') as a percentage with 2 decimals (0.0509 → '5.09'; its unit
    prints '%'), a unit-key text as its display label ('tce/10^4 CNY' → 'tce/万元' in Chinese), else `fmt_cell`."""
    if is_share(unit) and isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return fmt_number(Decimal(str(value)) * 100, places=2)
    if isinstance(value, str):
        return unit_label(value)
    return fmt_cell(value, unit)


def pdf_context(doc: Document) -> dict:
    from .charts import bar_chart_svg
    from .labels import ALLOCATION_NAMES, BOUNDARY_NAMES, METHOD_NAMES

    names = {"electricity_method": METHOD_NAMES, "allocation": ALLOCATION_NAMES, "boundary": BOUNDARY_NAMES}
    meta = [(str(META_LABELS.get(k, k)), str(names[k].get(v, v)) if k in names else
             (fmt_cell(v) if not isinstance(v, str) else v)) for k, v in doc.meta.items()]
    sections = [
        {"key": s.key, "title": s.title, "notes": s.notes,
         "charts": [svg for svg in (bar_chart_svg(c) for c in s.charts) if svg],
         "tables": [{"columns": [{"label": c.label, "unit": unit_label(c.unit)} for c in t.columns],
                     "rows": [[{"text": print_cell(v, u), "num": isinstance(v, Decimal | float | int)
                                and not isinstance(v, bool)}
                               for v, u in zip(row, row_units(row, [c.unit for c in t.columns]), strict=True)]
                              for row in t.rows]}
                    for t in s.tables]}
        for s in doc.sections
    ]
    subject = doc.meta.get("site") or doc.meta.get("enterprise", "")
    lang = get_language() or "zh-hans"
    return {"doc": doc, "meta": meta, "sections": sections, "cards": _cards(doc),
            "html_lang": "zh-Hans" if lang.startswith("zh") else "en",
            "css_header": _css_string(f"{doc.title} · {subject}"), "css_page": _css_string(_("Page")),
            "css_right": _css_string(doc.meta.get("credit_code", ""))}


def _css_string(text: str) -> str:
    """Text for a CSS string inside <style> (raw text: HTML escaping does not apply there)."""
    out = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return mark_safe(out)  # noqa: S308 - escaped above for a CSS string


def render_pdf_html(doc: Document) -> str:
    return render_to_string([f"reports/pdf/{doc.kind}.html", "reports/pdf/base.html"], pdf_context(doc))


def render_pdf(doc: Document) -> bytes:
    """HTML (Django template per kind, print CSS, inline SVG charts) → PDF with WeasyPrint; Noto CJK fonts embedded."""
    from weasyprint import HTML

    return HTML(string=render_pdf_html(doc)).write_pdf()


RENDERERS = {"json": render_json, "csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}
