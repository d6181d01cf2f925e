"""URLs of the regulator portal pages, included at /regulator/ by energy_platform.urls."""

from django.urls import path

from . import portal

urlpatterns = [
    path("", portal.portal_home, name="regulator-portal"),
    path("enterprises/<int:pk>/", portal.portal_enterprise, name="regulator-enterprise"),
    path("reports/<int:pk>/files/<int:file_id>/", portal.portal_download, name="regulator-download"),
    path("export/", portal.portal_export, name="regulator-kpi-export"),
]
