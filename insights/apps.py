from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = _("Energy-carbon management centre")

    def ready(self) -> None:
        # The energy-utilisation report (reports) shows the energy balance and the savings projects: handed over here,
        # so that reports need not import insights (insights → ui → reports would otherwise close a cycle).
        from reports.builders.energy import PROVIDERS

        from .baselines import project_assessment
        from .energy_flow import energy_flow
        from .models import SavingsProject

        PROVIDERS.update(
            energy_flow=energy_flow, project_assessment=project_assessment,
            savings_projects=lambda sites: SavingsProject.objects.filter(site__in=sites).select_related("site")
            .order_by("commissioned_on"))
