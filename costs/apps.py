from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CostsConfig(AppConfig):
    name = "costs"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Energy cost")

    def ready(self) -> None:
        # The ledger calls hooks of higher apps without importing them (as reports does for restatements).
        from carbon import ledger

        from .services import costs_freeze_hook, costs_restate_hook

        if costs_restate_hook not in ledger.RESTATEMENT_HOOKS:
            ledger.RESTATEMENT_HOOKS.append(costs_restate_hook)
        close_hooks = getattr(ledger, "CLOSE_HOOKS", None)  # a period-close hook list, when the ledger offers one
        if close_hooks is not None and costs_freeze_hook not in close_hooks:
            close_hooks.append(costs_freeze_hook)
