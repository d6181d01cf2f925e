from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data: it loads every app's data, so it sits above them all and no app imports it."""

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
