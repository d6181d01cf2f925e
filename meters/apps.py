from django.apps import AppConfig


class MetersConfig(AppConfig):
    name = "meters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from energy_platform import lookups  # noqa: F401  (registers the `__any_of` lookup)

        from . import authentication  # noqa: F401  (registers the gateway OpenAPI auth scheme)
