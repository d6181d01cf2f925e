"""Reading the cells of uploaded CSV/XLSX files the way every importer does: numbers with a decimal comma or
thousands separators, and the CSV delimiter of a file exported with a European or Chinese locale."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_GROUPED = {False: re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?"),
            True: re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?")}
DELIMITERS = {"auto": None, "comma": ",", "semicolon": ";", "tab": "\t"}


class CellError(ValueError):
    """A cell that cannot be read; `code` is a stable reason (translated by the importer that shows it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def number_parse(value: object, *, decimal_comma: bool = False) -> Decimal:
    """A cell as a finite Decimal. Text may carry thousands separators: with `decimal_comma` "1.234,5" and
    "1 234,5" are 1234.5, otherwise "1,234.5" is. Raises CellError("not_a_number") for anything else (never the
    decimal module's own `[<class 'decimal.ConversionSyntax'>]`)."""
    if isinstance(value, bool) or value is None:
        raise CellError("not_a_number")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
        group, point = (".", ",") if decimal_comma else (",", ".")
        if group in text:
            # A separator is read as thousands grouping only where it groups by three ("1,5" with a decimal point
            # is refused, not read as 15).
            if not _GROUPED[decimal_comma].fullmatch(text):
                raise CellError("not_a_number")
            text = text.replace(group, "")
        text = text.replace(point, ".")
        if not text or text.lower().lstrip("+-") in ("nan", "inf", "infinity", "snan"):
            raise CellError("not_a_number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError("not_a_number") from None
    if not number.is_finite():
        raise CellError("not_a_number")
    return number


def delimiter_guess(first_line: str) -> str:
    """The delimiter of a CSV file: of comma, semicolon and tab, the one its header line holds most of (a file
    written with a decimal comma separates its columns with semicolons)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def datetime_parse(value: object, *, fmt: str) -> dt.datetime:
    """A cell as a datetime, naive or with its own offset: an XLSX date cell as it is; text in `fmt` ("iso" for
    ISO 8601, or a strptime format such as "%d/%m/%Y %H:%M" for day-first files). Raises CellError."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0))
    text = str(value or "").strip()
    if not text:
        raise CellError("missing_timestamp")
    try:
        if fmt == "iso":
            return dt.datetime.fromisoformat(text)
        return dt.datetime.strptime(text, fmt)  # noqa: DTZ007  (the importer applies the file's time zone)
    except ValueError:
        raise CellError("invalid_timestamp") from None


#: Month formats offered for monthly files (value added, output); any strptime format with a year and a month works.
MONTH_FORMATS = ["%Y-%m", "%Y/%m", "%Y年%m月", "%m/%Y", "%Y%m"]


def month_parse(value: object, *, fmt: str) -> dt.date:
    """A cell as the first day of its calendar month: an XLSX date cell as it is, text in `fmt` (a strptime format
    such as "%Y年%m月" for "2025年3月" or "%m/%Y" for "03/2025"; "iso" is "%Y-%m").
    Raises CellError("invalid_month")."""
    if isinstance(value, dt.datetime | dt.date):
        return dt.date(value.year, value.month, 1)
    text = str(value or "").strip()
    try:
        day = dt.datetime.strptime(text, "%Y-%m" if fmt in ("", "iso") else fmt)  # noqa: DTZ007  (a calendar month)
    except ValueError:
        raise CellError("invalid_month") from None
    return dt.date(day.year, day.month, 1)


def strptime_format_check(fmt: str) -> bool:
    """Whether `fmt` is a usable strptime format (it holds a directive and formats a date)."""
    if "%" not in fmt:
        return False
    try:
        dt.datetime(2026, 12, 6, 14, 15).strftime(fmt)  # noqa: DTZ001  (only checks the format)
    except ValueError:
        return False
    return True


def mapping_text(raw: dict, key: str, default: str = "") -> str:
    """A text key of an uploaded file's mapping, stripped (the default when absent); ApplicationError
    `invalid_mapping` when it is not text. Shared by the readings/bills and the monthly mapping cleaners."""
    from django.utils.translation import gettext as _

    from energy_platform.errors import ApplicationError

    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ApplicationError("invalid_mapping", _("%(key)s must be text.") % {"key": key})
    return value.strip()
