from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carbon.ledger import RESTATEMENT_HOOKS

        from .restatement import reports_supersede

        if reports_supersede not in RESTATEMENT_HOOKS:
            RESTATEMENT_HOOKS.append(reports_supersede)
