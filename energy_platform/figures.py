"""Template filters for figures shown to users, available in every template (a builtin, no {% load %}).

`{{ value|qty:"kWh" }}` rounds once by the quantity (energy_platform.numbers.present_in: tce and tCO₂ to 3 decimals,
ratios to 4, percentages to 2, money to 2, physical quantities to 3) and groups thousands in the page's language
(1,021,740.000 in English and in Chinese: energy_platform.formats). The argument is a unit ("kWh", "tce",
"tce/10^4 CNY") or a kind of quantity ("tce", "percent", "money", "ratio", "physical"). None prints "—".
`{{ unit|unit_label }}` prints a unit key for people: "10^4 CNY" → 万元 in Chinese, "m3" → m³, "ratio" → 比值 …
`{{ text|published }}` drops the team's internal file references ("(DOMAIN.md §5)") from stored source texts and
notes, which users must never see; the [check]/[read] marks they carried are kept.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .numbers import PLACES, present, present_in

register = template.Library()

#: Display labels of unit keys (the keys stay internal: rounding goes by key, JSON/CSV carry the key).
UNIT_DISPLAY = {"m3": "m³", "10^4 m3": "10⁴ m³", "Nm3": "Nm³", "tCO2": "tCO₂", "tCO2e": "tCO₂e", "kgCO2": "kgCO₂"}


def _translated_units() -> dict[str, str]:
    return {"10^4 CNY": _("10^4 CNY"), "tce/10^4 CNY": _("tce/10^4 CNY"), "tCO2/10^4 CNY": _("tCO2/10^4 CNY"),
            "kWh/site": _("kWh/site"), "ratio": _("ratio"), "CNY": _("CNY")}


def unit_text(unit: str | None) -> str:
    """A unit key as people read it, in the current language ('tce/10^4 CNY' → 'tce/万元'; 'm3' → 'm³')."""
    if not unit:
        return ""
    key = unit.replace("10⁴", "10^4").replace("CO₂", "CO2")
    translated = _translated_units()
    if key in translated:
        out = translated[key]
    elif key in UNIT_DISPLAY:
        out = UNIT_DISPLAY[key]
    else:
        out = re.sub(r"\bCNY\b", translated["CNY"], key.replace("10^4 CNY", translated["10^4 CNY"]))
        for raw, shown in UNIT_DISPLAY.items():
            out = out.replace(raw, shown) if raw in ("m3", "tCO2") else out
    return out.replace("10^4", "10⁴").replace("CO2", "CO₂")


def figure(value: Decimal | float | int | None, unit_or_kind: str | None = None) -> str:
    """`value` rounded by its quantity and grouped by thousands in the current language; "—" for None."""
    if value is None or value == "":
        return "—"
    try:
        rounded = present(value, unit_or_kind) if unit_or_kind in PLACES else present_in(value, unit_or_kind)
    except (ValueError, TypeError, ArithmeticError):
        return str(value)
    assert rounded is not None  # value is not None  # noqa: S101
    places = -rounded.as_tuple().exponent if isinstance(rounded.as_tuple().exponent, int) else 0
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter(name="qty")
def qty(value: Decimal | float | int | None, unit_or_kind: str | None = None) -> str:
    return figure(value, unit_or_kind)


@register.filter(name="unit_label")
def unit_label_filter(unit: str | None) -> str:
    return unit_text(unit)


#: An internal reference in parentheses, with what else the parentheses held: "(DOMAIN.md §5 [check])" → "[check]".
_INTERNAL_PAREN = re.compile(r"\s*\((?:shared/)?(?:DOMAIN|CONVENTIONS)\.md(?:\s*§\s*[\d.]+)?(?:\s*,\s*)?([^()]*?)\)")
_INTERNAL_BARE = re.compile(r"[,;]?\s*(?:see\s+)?(?:shared/)?(?:DOMAIN|CONVENTIONS)\.md(?:\s*§\s*[\d.]+)?\s*[:—-]?\s*")


def _kept(match: re.Match) -> str:
    rest = match[1].strip()
    if not rest:
        return ""
    return f" {rest}" if re.fullmatch(r"\[[a-z]+\]", rest) else f" ({rest})"


def published_text(text: str | None) -> str:
    """`text` without references to the team's internal files (DOMAIN.md, CONVENTIONS.md)."""
    if not text:
        return text or ""
    out = _INTERNAL_PAREN.sub(_kept, str(text))
    out = _INTERNAL_BARE.sub(" ", out)
    return re.sub(r"\s{2,}", " ", out).strip()


@register.filter(name="published")
def published_filter(text: str | None) -> str:
    return published_text(text)
