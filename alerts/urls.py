"""URLs of the alerts app: the UI page (included at the site root) and the API routes (registered by
energy_platform.api_routes)."""

from django.urls import path

from . import apis, views

urlpatterns = [
    path("alerts/", views.alerts_page, name="alerts-page"),
]

api_urlpatterns = [
    path("sites/<int:pk>/forecast/", apis.SiteForecastApi.as_view(), name="site-forecast"),
    path("enterprises/<int:pk>/forecast/", apis.EnterpriseForecastApi.as_view(), name="enterprise-forecast"),
]


def register(router) -> None:
    router.register("energy-quotas", apis.EnergyQuotaViewSet, basename="energyquota")
    router.register("carbon-allowances", apis.CarbonAllowanceViewSet, basename="carbonallowance")
    router.register("alert-rules", apis.AlertRuleViewSet, basename="alertrule")
    router.register("alerts", apis.AlertViewSet, basename="alert")
