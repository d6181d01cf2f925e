"""Simplified Chinese formats: Django's, with thousands grouped by "," every three digits (Django's zh_Hans has no
separator, so 1021740.00 kWh printed ungrouped); Chinese business and statistical tables group so (1,021,740.00)."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
