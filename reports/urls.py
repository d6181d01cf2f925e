"""URL patterns of the reports API, included under /api/v1/ by energy_platform.api_routes."""

from django.urls import path

from . import apis

urlpatterns = [
    path("reports/", apis.ReportListApi.as_view(), name="report-list"),
    path("reports/<int:pk>/", apis.ReportDetailApi.as_view(), name="report-detail"),
    path("reports/<int:pk>/download/", apis.ReportDownloadApi.as_view(), name="report-download"),
    path("sites/<int:id>/green-factory-entries/", apis.SiteGreenFactoryEntriesApi.as_view(),
         name="site-green-factory-entries"),
    path("exports/rollups/", apis.RollupExportApi.as_view(), name="rollups-export"),
    path("regulator/exports/", apis.RegulatorExportApi.as_view(), name="regulator-export"),
]
