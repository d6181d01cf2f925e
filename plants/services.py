"""Writes for plants data: versioned monthly economic and production figures, by form, API or CSV/XLSX upload."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy

from accounts import tenancy
from accounts.audit import audit_record
from accounts.models import Role
from energy_platform.errors import ApplicationError
from energy_platform.tabular import CellError, delimiter_guess, number_parse

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
    "invalid_month": "The month must be written YYYY-MM.",
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


def _rows_from_file(*, name: str, data: bytes) -> list[list[str]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001  (openpyxl raises many types for a bad file)
            raise ApplicationError("malformed_xlsx", f"The file is not a readable XLSX workbook: {exc}.") from exc
        sheet = wb.worksheets[0]
        return [["" if c is None else (c.strftime("%Y-%m") if isinstance(c, dt.datetime | dt.date) else str(c))
                 for c in row] for row in sheet.iter_rows(values_only=True)]
    try:
        text = data.decode("utf-8-sig")
        # A file written with a decimal comma separates its columns with semicolons (energy_platform.tabular).
        return list(csv.reader(io.StringIO(text), delimiter=delimiter_guess(text.split("\n", 1)[0])))
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


def monthly_data_import(*, kind: str, name: str, data: bytes, user, commit: bool, decimal_comma: bool = False) -> dict:
    """Validate an upload of monthly value added or product output; with `commit`, add a version per valid row
    (all valid rows in one transaction). Numbers are read as every importer reads them (energy_platform.tabular;
    `decimal_comma`: "1.234,5" is 1234.5). Returns the counts and the rejected rows with their reason codes."""
    if kind not in HEADERS:
        raise ApplicationError("invalid_kind", "kind must be economic or production.")
    rows = _rows_from_file(name=name, data=data)
    if not rows:
        raise ApplicationError("empty_file", "The file is empty.")
    header = [h.strip().lower() for h in rows[0]]
    expected = HEADERS[kind]
    if header[:len(expected)] != expected:
        raise ApplicationError("bad_header", f"The header must be {','.join(expected)}.")
    body = [r for r in rows[1:] if any(str(c).strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise ApplicationError("too_many_rows", f"At most {MAX_ROWS} rows per file.", status_code=413)
    writable = set(tenancy.writable_enterprises(user, Role.ENERGY_MANAGER).values_list("pk", flat=True))
    sites = {s.code: s for s in tenancy.scope(Site.objects.all(), user) if s.enterprise_id in writable}
    products = {(p.site.code, p.code): p
                for p in Product.objects.filter(site__in=sites.values()).select_related("site")}
    valid, rejected = [], []
    for i, row in enumerate(body, start=2):
        cells = [normalize_code(str(c).strip()) for c in row] + [""] * len(expected)  # codes are stored NFC
        try:
            site = sites.get(cells[0])
            if site is None:
                raise CellError("unknown_site")
            if kind == "economic":
                target, month_text, value_text = site, cells[1], cells[2]
            else:
                target, month_text, value_text = products.get((cells[0], cells[1])), cells[2], cells[3]
                if target is None:
                    raise CellError("unknown_product")
            try:
                month = _month(month_text)
            except ValueError:
                raise CellError("invalid_month") from None
            value = number_parse(value_text, decimal_comma=decimal_comma)
            if value < 0:
                raise CellError("negative_value")
            valid.append((target, month, value))
        except CellError as exc:
            rejected.append({"row": i, "code": exc.code, "detail": MONTHLY_ROW_DETAILS[exc.code]})
    created = 0
    if commit and valid:
        with transaction.atomic():
            for target, month, value in valid:
                monthly_value_record(kind=kind, target=target, month=month, value=value, user=user, source="upload")
                created += 1
    return {"rows": len(body), "valid": len(valid), "rejected": rejected, "created": created, "committed": commit}


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
