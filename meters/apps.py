from django.apps import AppConfig


class MetersConfig(AppConfig):
    name = "meters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import authentication  # noqa: F401  (registers the gateway OpenAPI auth scheme)
