"""English formats: Django's (thousands grouped by "," every three digits), stated here so both languages of the
platform group the same way whatever Django's defaults become."""

from django.conf.locale.en.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
