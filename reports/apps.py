"""Reports app: registers the restatement hook with the carbon ledger."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from carbon import ledger

        from .services import report_snapshots_restated

        if report_snapshots_restated not in ledger.RESTATEMENT_HOOKS:
            ledger.RESTATEMENT_HOOKS.append(report_snapshots_restated)
