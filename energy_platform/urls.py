"""URL configuration: UI, admin, API v1, OpenAPI schema and the locally served API browser."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import api_routes
from .api import router
from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_routes.extra_urlpatterns)),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the strict script policy (no inline scripts) holds.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("insights.urls")),
    path("", include("alerts.urls")),
    path("", include("costs.urls")),
    path("regulator/", include("reports.portal_urls")),
    path("", include("ui.urls")),
]

handler400 = "energy_platform.errorpages.bad_request"
handler403 = "energy_platform.errorpages.permission_denied"
handler404 = "energy_platform.errorpages.page_not_found"
handler500 = "energy_platform.errorpages.server_error"
