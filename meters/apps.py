from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetersConfig(AppConfig):
    name = "meters"
    verbose_name = _("Metering")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from energy_platform import lookups  # noqa: F401  (registers the `__any_of` lookup)

        from . import authentication  # noqa: F401  (registers the gateway OpenAPI auth scheme)
