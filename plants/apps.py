from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlantsConfig(AppConfig):
    name = "plants"
    verbose_name = _("Enterprises and sites")
    default_auto_field = "django.db.models.BigAutoField"
