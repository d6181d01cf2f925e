"""Spreadsheet cells safe from formula injection: every CSV and XLSX writer of the platform passes its cells here.

The OWASP rule (https://owasp.org/www-community/attacks/CSV_Injection): a text cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return is prefixed with a single quote, so that Excel, LibreOffice and Google Sheets show it
as text instead of evaluating it (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`). Only text is changed: numbers (including
negative ones) stay numbers, so a column of values can still be summed. In an XLSX the prefixed text also cannot
start with `=`, so openpyxl writes it as a string cell, never as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

#: First characters that make a spreadsheet program read a cell as a formula (or hide a formula behind whitespace).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(text: str) -> str:
    """The text itself, or the text behind a single quote when it could be read as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell_value(value: Any) -> Any:
    """One cell for a CSV or XLSX writer: numbers, booleans, dates and None unchanged, any other object by its
    text, neutralised by `cell_text`."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if hasattr(value, "isoformat"):  # date, datetime, time: openpyxl writes them as dates, csv by their text
        return value
    return cell_text(str(value))


def cell_row(values: Iterable[Any]) -> list[Any]:
    """A row of `cell_value`s."""
    return [cell_value(v) for v in values]
