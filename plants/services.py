"""Writes for plants data: versioned monthly economic and production figures, by form, API or CSV/XLSX upload."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy

from accounts import tenancy
from accounts.audit import audit_record
from accounts.models import Role
from energy_platform.errors import ApplicationError
from energy_platform.tabular import (
    DELIMITERS,
    CellError,
    delimiter_guess,
    mapping_text,
    month_parse,
    number_parse,
    strptime_format_check,
)

from .hooks import monthly_data_stored
from .models import EconomicData, Product, ProductionData, Site
from .validators import normalize_code

HEADERS = {
    "economic": ["site", "month", "value_added_10k_cny"],
    "production": ["site", "product", "month", "quantity"],
}
MAX_ROWS = 5000
#: The reason of a refused row, by its code (English; ui.selectors shows the translated MONTHLY_ROW_REASONS).
MONTHLY_ROW_DETAILS = {
    "unknown_site": "Unknown site, or no right to enter data for it.",
    "unknown_product": "No product with this code at this site.",
    "invalid_month": "The month must be written YYYY-MM (or in the mapping's month format).",
    "not_a_number": "The value is not a number.",
    "negative_value": "The value must not be negative.",
}
MONTHLY_ROW_REASONS = {
    "unknown_site": gettext_lazy("Unknown site, or no right to enter data for it."),
    "unknown_product": gettext_lazy("No product with this code at this site."),
    "invalid_month": gettext_lazy("The month must be written YYYY-MM."),
    "not_a_number": gettext_lazy("The value is not a number."),
    "negative_value": gettext_lazy("The value must not be negative."),
}


def _rows_from_file(*, name: str, data: bytes, delimiter: str = "auto", raw: bool = False) -> list[list]:
    """The rows of a CSV or XLSX file as text; with `raw`, an XLSX file's date and number cells as they are (a mapped
    month format or a decimal comma describes the file's text, not its typed cells)."""
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001  (openpyxl raises many types for a bad file)
            raise ApplicationError("malformed_xlsx", f"The file is not a readable XLSX workbook: {exc}.") from exc
        sheet = wb.worksheets[0]
        if raw:
            return [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]
        return [["" if c is None else (c.strftime("%Y-%m") if isinstance(c, dt.datetime | dt.date) else str(c))
                 for c in row] for row in sheet.iter_rows(values_only=True)]
    try:
        text = data.decode("utf-8-sig")
        # A file written with a decimal comma separates its columns with semicolons (energy_platform.tabular).
        chosen = DELIMITERS.get(delimiter) or delimiter_guess(text.split("\n", 1)[0])
        return list(csv.reader(io.StringIO(text), delimiter=chosen))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ApplicationError("malformed_csv", f"The CSV file cannot be read: {exc}.") from exc


def _month(text: str) -> dt.date:
    text = text.strip()
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a calendar month, no time)
        except ValueError:
            continue
        return day.replace(day=1)
    raise ValueError("month must be YYYY-MM")


# ---------------------------------------------------------------------------------------------------------------
# The mapping of a monthly file (the same idea as meters.services.imports' mapping of readings and bills)
# ---------------------------------------------------------------------------------------------------------------

MONTHLY_MAPPING_KEYS = {"month_column", "month_format", "site_column", "site", "product_column", "product",
                        "value_column", "columns", "decimal_comma", "delimiter"}
MAX_VALUE_COLUMNS = 99


def _bad(detail: str) -> ApplicationError:
    return ApplicationError("invalid_mapping", detail)


_text = mapping_text


def monthly_mapping_clean(*, mapping: dict | None, kind: str) -> dict:
    """The mapping of a value-added (`economic`) or output (`production`) file as stored, or ApplicationError
    `invalid_mapping` (400). Keys: `month_column` (default "month") and `month_format` (a strptime format with year
    and month, e.g. "%Y年%m月", "%m/%Y"; default "%Y-%m"); the site: `site` (one fixed site code) or `site_column`
    (default "site"); for output, the product: `product` (fixed) or `product_column` (default "product"); the value:
    `value_column` (default "value"), or a wide file's `columns`, a list of {"column", "code"} where code is the
    column's site (value added) or product (output); `decimal_comma`; `delimiter` (auto, comma, semicolon, tab).
    An empty mapping stays empty (the plain layout of HEADERS)."""
    if not mapping:
        return {}
    if not isinstance(mapping, dict):
        raise _bad("The mapping must be an object.")
    if kind not in HEADERS:
        raise ApplicationError("invalid_kind", "kind must be economic or production.")
    if extra := sorted(set(mapping) - MONTHLY_MAPPING_KEYS):
        raise _bad(f"Unknown mapping keys: {', '.join(extra)}.")
    fmt = _text(mapping, "month_format", "%Y-%m") or "%Y-%m"
    if fmt == "iso":
        fmt = "%Y-%m"
    if not strptime_format_check(fmt) or "%Y" not in fmt or "%m" not in fmt:
        raise _bad("The month format must be a strptime format with %Y and %m, such as %Y-%m or %Y年%m月.")
    delimiter = _text(mapping, "delimiter", "auto") or "auto"
    if delimiter not in DELIMITERS:
        raise _bad(f"delimiter must be one of {', '.join(DELIMITERS)}.")
    if not isinstance(mapping.get("decimal_comma", False), bool):
        raise _bad("decimal_comma must be true or false.")
    out: dict = {"month_column": _text(mapping, "month_column", "month") or "month", "month_format": fmt,
                 "decimal_comma": mapping.get("decimal_comma", False), "delimiter": delimiter}
    columns = mapping.get("columns") or []
    if not isinstance(columns, list) or len(columns) > MAX_VALUE_COLUMNS:
        raise _bad(f"columns must be a list of at most {MAX_VALUE_COLUMNS} value columns.")
    wide_code = "site" if kind == "economic" else "product"
    if site := normalize_code(_text(mapping, "site")):
        out["site"] = site
    elif not (columns and kind == "economic"):
        out["site_column"] = _text(mapping, "site_column", "site") or "site"
    if columns:
        cleaned = []
        for col in columns:
            if not isinstance(col, dict) or not _text(col, "column") or not _text(col, "code"):
                raise _bad(f"Each value column needs its column and its {wide_code} code.")
            cleaned.append({"column": _text(col, "column"), "code": normalize_code(_text(col, "code"))})
        out["columns"] = cleaned
        return out
    if kind == "production":
        if product := normalize_code(_text(mapping, "product")):
            out["product"] = product
        else:
            out["product_column"] = _text(mapping, "product_column", "product") or "product"
    out["value_column"] = _text(mapping, "value_column", "value") or "value"
    return out


#: One value of a monthly file: its line and column in the file, site code, product code (output), month cell,
#: value cell, and the month's format (None: the plain layout's YYYY-MM).
MonthlyRecord = tuple[int, str, str, str, object, object, str | None]


def monthly_records_read(*, kind: str, name: str, data: bytes, mapping: dict | None = None) -> list[MonthlyRecord]:
    """The values of a monthly file, read with its (cleaned) mapping or the plain layout; ApplicationError when the
    file cannot be read or lacks a mapped column."""
    if kind not in HEADERS:
        raise ApplicationError("invalid_kind", "kind must be economic or production.")
    mapping = mapping or {}
    rows = _rows_from_file(name=name, data=data, delimiter=mapping.get("delimiter", "auto"), raw=bool(mapping))
    if not rows:
        raise ApplicationError("empty_file", "The file is empty.")
    header = [str(h).strip() for h in rows[0]]
    names = [h.lower() for h in header]
    body = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(str(c).strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise ApplicationError("too_many_rows", f"At most {MAX_ROWS} rows per file.", status_code=413)

    def cell(r: list, i: int | None) -> str:
        return normalize_code(str(r[i]).strip()) if i is not None and i < len(r) else ""  # codes are stored NFC

    def typed(r: list, i: int) -> object:
        """A month or value cell: text stripped, an XLSX date or number as it is."""
        value = r[i] if i < len(r) else ""
        return value.strip() if isinstance(value, str) else value

    if not mapping:
        expected = HEADERS[kind]
        if names[:len(expected)] != expected:
            raise ApplicationError("bad_header", f"The header must be {','.join(expected)}.")
        if kind == "economic":
            return [(i, "", cell(r, 0), "", cell(r, 1), cell(r, 2), None) for i, r in body]
        return [(i, "", cell(r, 0), cell(r, 1), cell(r, 2), cell(r, 3), None) for i, r in body]

    def at(column: str) -> int:
        try:
            return names.index(column.strip().lower())
        except ValueError:
            raise ApplicationError("missing_column", f"The file has no column “{column}”; its columns are: "
                                   f"{', '.join(header)}.") from None

    month_i, fmt = at(mapping["month_column"]), mapping["month_format"]
    site_i = at(mapping["site_column"]) if "site_column" in mapping else None
    product_i = at(mapping["product_column"]) if "product_column" in mapping else None
    fixed_site, fixed_product = mapping.get("site", ""), mapping.get("product", "")
    if mapping.get("columns"):
        values = [(at(c["column"]), c["column"], c["code"]) for c in mapping["columns"]]
    else:
        values = [(at(mapping["value_column"]), "", "")]
    out: list[MonthlyRecord] = []
    for i, r in body:
        site = fixed_site or cell(r, site_i)
        for value_i, column, code in values:
            value = typed(r, value_i)
            if column and value in ("", None):
                continue  # a wide file's empty cell: no value for this site or product this month
            if kind == "economic":
                out.append((i, column, code or site, "", typed(r, month_i), value, fmt))
            else:
                out.append((i, column, site, code or fixed_product or cell(r, product_i), typed(r, month_i),
                            value, fmt))
    return out


def monthly_data_import(*, kind: str, name: str, data: bytes, user, commit: bool, decimal_comma: bool = False,
                        mapping: dict | None = None) -> dict:
    """Validate an upload of monthly value added or product output; with `commit`, add a version per valid row
    (all valid rows in one transaction). The file is read with its mapping (`monthly_mapping_clean`) or the plain
    layout of HEADERS; numbers as every importer reads them (energy_platform.tabular; `decimal_comma`, or the
    mapping's: "1.234,5" is 1234.5). Returns the counts, the first SAMPLE_ROWS rows exactly as they will be stored
    and the rejected rows with their reason codes."""
    mapping = monthly_mapping_clean(mapping=mapping, kind=kind) if mapping else {}
    records = monthly_records_read(kind=kind, name=name, data=data, mapping=mapping)
    return monthly_records_import(kind=kind, records=records, user=user, commit=commit,
                                  decimal_comma=bool(mapping.get("decimal_comma", decimal_comma)))


SAMPLE_ROWS = 10


def monthly_records_import(*, kind: str, records: list[MonthlyRecord], user, commit: bool,
                           decimal_comma: bool = False) -> dict:
    """Validate (and with `commit` store, in one transaction) the values read by `monthly_records_read`."""
    writable = set(tenancy.writable_enterprises(user, Role.ENERGY_MANAGER).values_list("pk", flat=True))
    sites = {s.code: s for s in tenancy.scope(Site.objects.all(), user) if s.enterprise_id in writable}
    products = {(p.site.code, p.code): p
                for p in Product.objects.filter(site__in=sites.values()).select_related("site")}
    valid, rejected, sample = [], [], []
    for line, column, site_code, product_code, month_text, value_text, fmt in records:
        try:
            site = sites.get(site_code)
            if site is None:
                raise CellError("unknown_site")
            target = site if kind == "economic" else products.get((site_code, product_code))
            if target is None:
                raise CellError("unknown_product")
            if fmt is None:
                try:
                    month = _month(str(month_text))
                except ValueError:
                    raise CellError("invalid_month") from None
            else:
                month = month_parse(month_text, fmt=fmt)
            value = number_parse(value_text, decimal_comma=decimal_comma)
            if value < 0:
                raise CellError("negative_value")
            # As stored: the fields keep 4 decimals.
            value = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            valid.append((target, month, value))
            if len(sample) < SAMPLE_ROWS:
                sample.append({"row": line, "column": column, "site": site.code,
                               "product": product_code if kind == "production" else "", "month": f"{month:%Y-%m}",
                               "value": str(value), "unit": "10k_cny" if kind == "economic" else target.unit})
        except CellError as exc:
            rejected.append({"row": line, "column": column, "code": exc.code, "detail": MONTHLY_ROW_DETAILS[exc.code]})
    created = 0
    if commit and valid:
        with transaction.atomic():
            for target, month, value in valid:
                monthly_value_record(kind=kind, target=target, month=month, value=value, user=user, source="upload")
                created += 1
    return {"rows": len(records), "valid": len(valid), "rejected": rejected, "created": created,
            "committed": commit, "sample": sample}


@transaction.atomic
def monthly_value_record(*, kind: str, target, month: dt.date, value: Decimal, user, source: str = "form",
                         note: str = ""):
    """Add a version of a month's value added (target = Site) or output (target = Product)."""
    if kind == "economic":
        model, key, field = EconomicData, "site", "value_added_10k_cny"
    else:
        model, key, field = ProductionData, "product", "quantity"
    latest = model.objects.select_for_update().filter(**{key: target, "month": month}).aggregate(v=Max("version"))
    row = model.objects.create(**{key: target, "month": month, field: value}, version=(latest["v"] or 0) + 1,
                               created_by=user, source=source, note=note)
    audit_record(actor=user, action=f"{model._meta.model_name}.create", obj=row,
                 detail={"month": f"{month:%Y-%m}", "value": value, "version": row.version, "via": source})
    enterprise_id = target.enterprise_id if kind == "economic" else target.site.enterprise_id
    monthly_data_stored(enterprise_id=enterprise_id, month=month, kind=kind)
    return row
