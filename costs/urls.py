"""URLs of the costs app: the UI pages (included at the site root) and the API routes (registered by
energy_platform.api_routes)."""

from django.urls import path

from . import apis, views

api_urlpatterns = [
    path("sites/<int:pk>/costs/", apis.SiteCostsApi.as_view(), name="site-costs"),
    path("sites/<int:pk>/costs/export/", apis.SiteCostsExportApi.as_view(), name="site-costs-export"),
    path("enterprises/<int:pk>/costs/", apis.EnterpriseCostsApi.as_view(), name="enterprise-costs"),
    path("production-units/<int:pk>/costs/", apis.UnitCostsApi.as_view(), name="unit-costs"),
]

urlpatterns = [
    path("costs/", views.costs_page, name="costs-page"),
    path("costs/sites/<int:pk>/", views.site_costs_page, name="costs-site"),
]
