"""Renderers of a builder `Document` to PDF (reportlab, CID font STSong-Light for CJK), XLSX, CSV and JSON.

`render(doc, fmt) -> bytes`. JSON numbers are decimal strings (exact), each column carries its unit.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from .builders import Document


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
                    w.writerow([s.key, ti, ri, c.key, c.unit, _plain(v)])
    return buf.getvalue().encode("utf-8-sig")


def render_xlsx(doc: Document) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    info = wb.active
    info.title = "info"
    info.append([str(doc.title)])
    for k, v in doc.meta.items():
        info.append([k, _plain(v)])
    for s in doc.sections:
        ws = wb.create_sheet(s.key[:31])
        ws.append([str(s.title)])
        for t in s.tables:
            ws.append([f"{c.label} ({c.unit})" if c.unit else str(c.label) for c in t.columns])
            for row in t.rows:
                cells = [float(v) if isinstance(v, Decimal) else _plain(v) for v in row]
                ws.append(cells)
                for cell in ws[ws.max_row]:
                    if isinstance(cell.value, float):
                        cell.number_format = "#,##0.0000"
            ws.append([])
        for n in s.notes:
            ws.append([str(n)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pdf_text(value) -> str:
    """Print form: decimals with more than 6 places (float noise of metered quantities) shown to 6 places."""
    if isinstance(value, Decimal) and value.as_tuple().exponent < -6:
        value = value.quantize(Decimal("0.000001"))
    return "" if value is None else str(_plain(value))


def render_pdf(doc: Document) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=8, leading=10, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=20)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=8)
    story = [Paragraph(str(doc.title), h1)]
    story += [Paragraph(f"{k}: {_plain(v)}", body) for k, v in doc.meta.items()]
    for s in doc.sections:
        story.append(Paragraph(str(s.title), h2))
        for t in s.tables:
            data = [[Paragraph(f"{c.label} ({c.unit})" if c.unit else str(c.label), body) for c in t.columns]]
            data += [[Paragraph(_pdf_text(v), body) for v in row] for row in t.rows]
            tbl = RLTable(data, repeatRows=1)
            tbl.setStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                          ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
            story += [tbl, Spacer(1, 6)]
        story += [Paragraph(str(n), body) for n in s.notes]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=landscape(A4), title=str(doc.title), invariant=1).build(story)
    return buf.getvalue()


RENDERERS = {"json": render_json, "csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}
