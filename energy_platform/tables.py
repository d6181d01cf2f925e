"""CSV and XLSX export of what a page or a chart shows: `?export=csv` or `?export=xlsx` on any page or chart endpoint.

The page is rendered as usual and its tables (inside <main>) are written out, each under the heading above it, so
the file holds exactly the rows, columns and figures the page shows (one definition: the page). A chart endpoint's
`{"labels", "series"}` answer is written as a table: one row per label, one column per series; a flow answer
(`{"nodes", "links"}`, the Sankey) one row per link. A chart drawn from data embedded in its page (`json_script`) is
exported by `?export=csv&chart=<script id>` on the page (`<script id>:<name>` picks `tables[name]` of that data, for
one data block feeding several charts). Every cell passes
through `energy_platform.cells` (formula injection); a cell that reads as a number (thousands separators, a minus
sign) is written as a number so that a column can be summed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from energy_platform.cells import cell_row

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_SKIP = {"script", "style", "button", "select", "option", "textarea", "noscript", "template"}
_HEADINGS = {"h1", "h2", "h3", "caption"}


@dataclass
class Table:
    """One table as shown: its title (the heading above it or its caption), header row and body rows."""

    title: str
    head: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


def cell_number(text: str) -> Any:
    """A shown cell as a number when it reads as one ("1,021,740.00", "−3.5"), else its text."""
    plain = text.replace("\u2212", "-").replace(",", "").replace("\u202f", "").replace("\xa0", "").strip()
    if _NUMBER.match(plain):
        try:
            return Decimal(plain)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return text
    return text


class _TableParser(HTMLParser):
    """The tables inside <main>, with the text of the last heading before each (form controls left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._main = 0
        self._skip = 0
        self._heading: list[str] | None = None
        self._last_heading = ""
        self._stack: list[Table] = []
        self._row: list[str] | None = None
        self._row_is_head = False
        self._cell: list[str] | None = None
        self._in_thead = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self._main += 1
        if not self._main:
            return
        if tag in _SKIP:
            self._skip += 1
        elif tag in _HEADINGS and not self._skip:
            self._heading = []
        elif tag == "table":
            self._stack.append(Table(title=self._last_heading))
        elif tag == "thead":
            self._in_thead = True
        elif tag == "tr" and self._stack:
            self._row, self._row_is_head = [], self._in_thead
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            if tag == "td":
                self._row_is_head = False
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if not self._main:
            return
        if tag == "main":
            self._main -= 1
        elif tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADINGS and self._heading is not None:
            text = " ".join("".join(self._heading).split())
            if tag == "caption" and self._stack:
                self._stack[-1].title = text
            else:
                self._last_heading = text
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            table = self._stack[-1]
            if self._row_is_head and not table.head and not table.rows:
                table.head = self._row
            elif any(self._row):
                table.rows.append([cell_number(c) for c in self._row])
            self._row = None
        elif tag == "thead":
            self._in_thead = False
        elif tag == "table" and self._stack:
            table = self._stack.pop()
            if table.head or table.rows:
                self.tables.append(table)

    def handle_data(self, data: str) -> None:
        if not self._main or self._skip:
            return
        if self._heading is not None:
            self._heading.append(data)
        if self._cell is not None:
            self._cell.append(data)


def tables_from_html(html: str) -> list[Table]:
    """The tables a page shows, in page order."""
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return parser.tables


def table_from_series(data: dict, *, title: str = "") -> Table:
    """A chart endpoint's answer as a table: the label column, then one column per series (with its unit)."""
    series = [s for s in data.get("series", []) if isinstance(s, dict)]
    head = [data.get("label_header") or ""] + [
        f'{s.get("name", "")}' + (f' ({s["unit"]})' if s.get("unit") and s["unit"] not in str(s.get("name")) else "")
        for s in series]
    rows = []
    for i, label in enumerate(data.get("labels", [])):
        rows.append([label] + [(s["data"][i] if i < len(s.get("data", [])) else None) for s in series])
    return Table(title=title or str(data.get("title") or ""), head=head, rows=rows)


def table_from_flow(data: dict) -> Table:
    """A flow answer (`nodes`, `links`, `unit`) as a table: from, to, value (unit), one row per link."""
    labels = {n.get("id"): n.get("label", n.get("id")) for n in data.get("nodes", []) if isinstance(n, dict)}
    unit = data.get("unit") or ""
    head = ["from", "to", f"value ({unit})" if unit else "value"]
    rows = [[labels.get(link.get("source"), link.get("source")), labels.get(link.get("target"), link.get("target")),
             link.get("value")] for link in data.get("links", []) if isinstance(link, dict)]
    return Table(title=str(data.get("title") or ""), head=head, rows=rows)


def table_from_chart(data: Any) -> Table | None:
    """A chart's data as a table (labels and series, or a flow), None when it is neither."""
    if not isinstance(data, dict):
        return None
    if "labels" in data and "series" in data:
        return table_from_series(data)
    if "nodes" in data and "links" in data:
        return table_from_flow(data)
    return None


_JSON_SCRIPT = re.compile(r'<script id="([^"]+)" type="application/json">(.*?)</script>', re.S)


def embedded_chart(html: str, ref: str) -> Table | None:
    """The chart data a page embeds under `json_script` id `ref` (`id:name`: its `tables[name]`), as a table."""
    script_id, _, name = ref.partition(":")
    for found_id, text in _JSON_SCRIPT.findall(html):
        if found_id != script_id:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if name:
            data = (data.get("tables") or {}).get(name) if isinstance(data, dict) else None
        return table_from_chart(data)
    return None


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "table"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name.lower())
    return name


def tables_file(tables: list[Table], fmt: str) -> bytes:
    """The tables as one CSV (each under its title row, separated by an empty row; UTF-8 with a byte-order mark so
    spreadsheet programs read Chinese) or one XLSX (a sheet per table)."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        used: set[str] = set()
        for t in tables or [Table(title="table")]:
            ws = wb.create_sheet(_sheet_title(t.title, used))
            if t.title:
                ws.append(cell_row([t.title]))
            if t.head:
                ws.append(cell_row(t.head))
            for row in t.rows:
                ws.append(cell_row(row))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    out = io.StringIO()
    writer = csv.writer(out)
    for i, t in enumerate(tables):
        if i:
            writer.writerow([])
        if t.title:
            writer.writerow(cell_row([t.title]))
        if t.head:
            writer.writerow(cell_row(t.head))
        writer.writerows(cell_row(row) for row in t.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def tables_response(tables: list[Table], *, fmt: str, name: str) -> HttpResponse:
    content_type = XLSX_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    resp = HttpResponse(tables_file(tables, fmt), content_type=content_type)
    stamp = timezone.localdate().isoformat()
    resp["Content-Disposition"] = f'attachment; filename="{name}_{stamp}.{fmt}"'
    return resp


def _name(request: HttpRequest) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", request.path).strip("_") or "overview"
    return f"nengtan_{slug}"


class TableExportMiddleware:
    """`?export=csv|xlsx` on a GET page or chart endpoint answers the file of what it shows (module docstring).
    Anything else (a redirect to the login page, an error, a non-table answer) passes through unchanged."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fmt = request.GET.get("export")
        if fmt in FORMATS and request.path.startswith("/api/"):
            request.META["HTTP_ACCEPT"] = "application/json"  # a link clicked in a browser: not the browsable API
        response = self.get_response(request)
        if request.method != "GET" or fmt not in FORMATS or response.status_code != 200 or response.streaming:
            return response
        ctype = response.get("Content-Type", "")
        if ctype.startswith("text/html"):
            html = response.content.decode(response.charset or "utf-8")
            ref = request.GET.get("chart")
            if ref:
                table = embedded_chart(html, ref)
                if table is None:
                    return response
                tables = [table]
            else:
                tables = tables_from_html(html)
        elif ctype.startswith("application/json"):
            try:
                data = json.loads(response.content)
            except ValueError:
                return response
            chart = table_from_chart(data)
            if chart is None:
                return response
            tables = [chart]
        else:
            return response
        return tables_response(tables, fmt=fmt, name=_name(request))
