"""Field labels that Django generates from field names ("created_at" → "created at") are plain strings, so the
admin showed them in English on Chinese pages. `generated_labels_translate()` (called once from the UI app's ready())
wraps every such generated label in gettext_lazy, so the locale catalogs translate them like written ones. It changes
only the label shown, never the migration state (fields deconstruct from the verbose_name they were given: None)."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy

#: Apps of the platform (third-party apps keep their own labels; their Chinese is in the project's catalog).
PLATFORM_APPS = {"accounts", "plants", "meters", "carbon", "reports", "ui", "alerts", "insights", "costs", "demo"}


def generated_labels_translate() -> None:
    for model in apps.get_models():
        if model._meta.app_label not in PLATFORM_APPS:
            continue
        for field in model._meta.get_fields():
            if getattr(field, "_verbose_name", "") is None and isinstance(getattr(field, "verbose_name", None), str):
                field.verbose_name = gettext_lazy(field.verbose_name)  # type: ignore[union-attr]  # concrete fields
