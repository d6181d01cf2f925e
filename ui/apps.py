"""App config for the web UI."""

from django.apps import AppConfig


class UiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ui"

    def ready(self) -> None:
        from energy_platform.labels import generated_labels_translate

        generated_labels_translate()  # admin and form labels generated from field names, in the user's language
