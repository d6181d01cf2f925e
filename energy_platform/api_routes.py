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

from meters.apis_quality import MeterGapFillApi  # noqa: E402

extra_urlpatterns += [path("meters/<int:pk>/gap-fill/", MeterGapFillApi.as_view(), name="meter-gap-fill")]

from meters.apis_imports import GatewayViewSet, ImportJobViewSet, ImportPresetViewSet  # noqa: E402

router.register("gateways", GatewayViewSet, basename="gateway")
router.register("imports", ImportJobViewSet, basename="importjob")
router.register("import-presets", ImportPresetViewSet, basename="importpreset")

from carbon import apis as carbon_apis  # noqa: E402

router.register("economic-data", carbon_apis.EconomicDataViewSet, basename="economicdata")
router.register("production-data", carbon_apis.ProductionDataViewSet, basename="productiondata")
router.register("targets", carbon_apis.TargetViewSet, basename="target")
router.register("periods", carbon_apis.PeriodViewSet, basename="period")
router.register("measured-fuel-properties", carbon_apis.MeasuredFuelPropertyViewSet, basename="measuredfuelproperty")

from carbon import apis_mrv  # noqa: E402

router.register("process-factors", apis_mrv.ProcessFactorViewSet, basename="processfactor")
router.register("process-activities", apis_mrv.ProcessActivityViewSet, basename="processactivity")
router.register("mrv-evidence", apis_mrv.MrvEvidenceViewSet, basename="mrvevidence")
router.register("data-quality-plan-items", apis_mrv.DataQualityPlanItemViewSet, basename="dataqualityplanitem")
extra_urlpatterns += [
    path("enterprises/<int:pk>/mrv-export/", apis_mrv.EnterpriseMrvExportApi.as_view(), name="enterprise-mrv-export"),
]
extra_urlpatterns += [
    path("sites/<int:pk>/kpis/", carbon_apis.SiteKpisApi.as_view(), name="site-kpis"),
    path("enterprises/<int:pk>/kpis/", carbon_apis.EnterpriseKpisApi.as_view(), name="enterprise-kpis"),
    path("production-units/<int:pk>/kpis/", carbon_apis.UnitKpisApi.as_view(), name="unit-kpis"),
    path("meters/<int:pk>/kpis/", carbon_apis.MeterKpisApi.as_view(), name="meter-kpis"),
    path("enterprises/<int:pk>/compare/", carbon_apis.EnterpriseCompareApi.as_view(), name="enterprise-compare"),
    path("sites/<int:pk>/compare/", carbon_apis.SiteCompareApi.as_view(), name="site-compare"),
    path("production-units/<int:pk>/compare/", carbon_apis.UnitCompareApi.as_view(), name="unit-compare"),
    path("meters/<int:pk>/compare/", carbon_apis.MeterCompareApi.as_view(), name="meter-compare"),
    path("enterprises/<int:pk>/ledger/", carbon_apis.EnterpriseLedgerApi.as_view(), name="enterprise-ledger"),
    path("enterprises/<int:pk>/ledger/verify/", carbon_apis.EnterpriseLedgerVerifyApi.as_view(),
         name="enterprise-ledger-verify"),
    path("enterprises/<int:pk>/ledger/<int:entry_id>/reverse/", carbon_apis.LedgerCorrectionApi.as_view(),
         name="ledger-reverse"),
    path("enterprises/<int:pk>/periods/<str:month>/close/", carbon_apis.PeriodCloseApi.as_view(), name="period-close"),
    path("enterprises/<int:pk>/periods/<str:month>/restate/", carbon_apis.PeriodRestateApi.as_view(),
         name="period-restate"),
]

from reports.urls import urlpatterns as reports_urlpatterns  # noqa: E402

extra_urlpatterns += reports_urlpatterns

from accounts.api import AuditEventViewSet  # noqa: E402

router.register("audit-events", AuditEventViewSet, basename="auditevent")

from alerts.urls import api_urlpatterns as alerts_api_urlpatterns  # noqa: E402
from alerts.urls import register as alerts_register  # noqa: E402

alerts_register(router)
extra_urlpatterns += alerts_api_urlpatterns

from meters.apis_gateways import GatewayTagViewSet  # noqa: E402

router.register("gateway-tags", GatewayTagViewSet, basename="gatewaytag")
from costs.urls import api_urlpatterns as costs_api_urlpatterns  # noqa: E402

extra_urlpatterns += costs_api_urlpatterns

from reports import apis_upstream  # noqa: E402

router.register("upstream-factors", apis_upstream.UpstreamFactorViewSet, basename="upstreamfactor")
router.register("material-purchases", apis_upstream.MaterialPurchaseViewSet, basename="materialpurchase")
router.register("cbam-installations", apis_upstream.CbamInstallationViewSet, basename="cbaminstallation")
router.register("carbon-prices-paid", apis_upstream.CarbonPricePaidViewSet, basename="carbonpricepaid")
