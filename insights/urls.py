"""URLs of the energy-carbon management centre: API endpoints under /api/v1/ and UI pages under /insights/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import apis, views

router = SimpleRouter()
router.register("benchmark-references", apis.BenchmarkReferenceViewSet, basename="benchmarkreference")
router.register("weather", apis.MonthlyWeatherViewSet, basename="monthlyweather")
router.register("baselines", apis.EnergyBaselineViewSet, basename="energybaseline")
router.register("savings-projects", apis.SavingsProjectViewSet, basename="savingsproject")

urlpatterns = [
    path("api/v1/sites/<int:pk>/benchmark/", apis.SiteBenchmarkApi.as_view(), name="site-benchmark"),
    path("api/v1/sites/<int:pk>/energy-flow/", apis.SiteEnergyFlowApi.as_view(), name="site-energy-flow"),
    path("api/v1/", include(router.urls)),
    path("insights/", views.hub, name="insights-hub"),
    path("insights/benchmark/", views.benchmark_page, name="insights-benchmark"),
    path("insights/energy-flow/", views.energy_flow_page, name="insights-flow"),
    path("insights/baselines/", views.baselines_page, name="insights-baselines"),
]
