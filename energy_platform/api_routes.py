"""Registers every app's API viewsets on the v1 router (imported by urls.py)."""

from meters.apis import MeterViewSet
from plants.apis import EnterpriseViewSet, ProductionUnitViewSet, ProductViewSet, SiteViewSet

from .api import router

router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("sites", SiteViewSet, basename="site")
router.register("production-units", ProductionUnitViewSet, basename="productionunit")
router.register("products", ProductViewSet, basename="product")
router.register("meters", MeterViewSet, basename="meter")

from django.urls import path  # noqa: E402

from meters.apis_ingest import ReadingsIngestApi  # noqa: E402

#: Plain (non-router) API views under /api/v1/.
extra_urlpatterns = [
    path("readings/", ReadingsIngestApi.as_view(), name="readings-ingest"),
]

from meters.apis_imports import GatewayViewSet, ImportJobViewSet  # noqa: E402

router.register("gateways", GatewayViewSet, basename="gateway")
router.register("imports", ImportJobViewSet, basename="importjob")
