"""Accounting engine app: registers the restatement-pending flag with the lower apps' write hooks."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CarbonConfig(AppConfig):
    name = "carbon"
    verbose_name = _("Carbon accounting")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from meters import hooks as meter_hooks
        from plants import hooks as plant_hooks

        from .ledger import meter_days_flag, monthly_data_flag

        if meter_days_flag not in meter_hooks.READINGS_STORED_HOOKS:
            meter_hooks.READINGS_STORED_HOOKS.append(meter_days_flag)
        if monthly_data_flag not in plant_hooks.MONTHLY_DATA_HOOKS:
            plant_hooks.MONTHLY_DATA_HOOKS.append(monthly_data_flag)
