"""Validators for Chinese identifiers: unified social credit code, GB/T 2260 region code, GB/T 4754 industry code."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the code's alphabet omits I, O, Z, S and V (DOMAIN.md §9).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [pow(3, i, 31) for i in range(17)]

# GB/T 2260 province-level prefixes (mainland provinces, autonomous regions, municipalities; Taiwan, Hong Kong, Macao).
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
}
INDUSTRY_CODE_RE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")


def credit_code_check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a unified social credit code."""
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    if len(value) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="credit_code_length")
    bad = sorted({ch for ch in value if ch not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("Characters not allowed in a unified social credit code: %(chars)s"),
            code="credit_code_charset",
            params={"chars": "".join(bad)},
        )
    if credit_code_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of the unified social credit code is wrong."), code="credit_code_check"
        )


def validate_region_code(value: str) -> None:
    if not re.fullmatch(r"\d{6}", value or ""):
        raise ValidationError(_("A region code has 6 digits (GB/T 2260)."), code="region_code_format")
    if value[:2] not in PROVINCE_CODES:
        raise ValidationError(_("%(code)s is not a GB/T 2260 province code."), code="region_code_province",
                              params={"code": value[:2]})


def validate_region_prefix(value: str) -> None:
    if not re.fullmatch(r"\d{2}(\d{2}){0,2}", value or ""):
        raise ValidationError(_("A jurisdiction is 2, 4 or 6 digits of a GB/T 2260 code."), code="region_prefix_format")
    if value[:2] not in PROVINCE_CODES:
        raise ValidationError(_("%(code)s is not a GB/T 2260 province code."), code="region_code_province",
                              params={"code": value[:2]})


def validate_industry_code(value: str) -> None:
    if not INDUSTRY_CODE_RE.fullmatch(value or ""):
        raise ValidationError(
            _("An industry code is a GB/T 4754 section letter plus 2 to 4 digits, e.g. C3120."), code="industry_code"
        )


# -- codes of sites, production units, products, meters and gateways -------------------------------------------------

#: Characters a code may contain besides letters (any script, CJK included) and decimal digits.
CODE_PUNCTUATION = "-_."
#: Letters (Unicode category Lo) that render as nothing: Hangul fillers. Everything invisible or direction-changing
#: (bidi controls U+202A–U+202E, U+2066–U+2069, zero-width U+200B–U+200D, U+FEFF, …) is category C or Z and so is
#: refused anyway.
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
_LETTER_OR_DIGIT = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}


def normalize_code(value: str) -> str:
    """A code as stored and looked up: Unicode NFC, so that the composed and decomposed spellings of one code are one
    code."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def code_problems(value: str) -> list[str]:
    """The characters of `value` (after NFC) that a code may not contain, as `U+XXXX` names."""
    return [f"U+{ord(ch):04X}" for ch in dict.fromkeys(normalize_code(value))
            if ch not in CODE_PUNCTUATION and (unicodedata.category(ch) not in _LETTER_OR_DIGIT
                                               or ch in _INVISIBLE_LETTERS)]


def validate_code(value: str) -> None:
    """The one rule for the codes of sites, production units, products, meters and gateways (README, *Codes*):
    letters of any script (CJK included), decimal digits and `-`, `_`, `.`, after NFC normalisation; no spaces,
    control, format (bidi, zero-width) or symbol characters, so that two codes that look alike are alike."""
    if not value:
        raise ValidationError(_("A code cannot be empty."), code="invalid_code")
    bad = code_problems(value)
    if bad:
        raise ValidationError(
            _("A code may contain only letters, digits, '-', '_' and '.'; not %(chars)s."),
            code="invalid_code", params={"chars": " ".join(bad)},
        )


def validate_cn_code(value: str) -> None:
    """The EU Combined Nomenclature code of a good (CBAM): 8 digits, e.g. 72083900 (hot-rolled coil < 3 mm)."""
    if not re.fullmatch(r"\d{8}", value or ""):
        raise ValidationError(_("A CN code has 8 digits (EU Combined Nomenclature), e.g. 72083900."),
                              code="invalid_cn_code")
