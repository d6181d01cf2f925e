"""URLs of the web UI (pages at the site root, chart data under /api/v1/ui/)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import apis, views, views_audit, views_auth, views_compare, views_gateways, views_mrv

urlpatterns = [
    path("", views.overview, name="ui-overview"),
    path("login/", views_auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("sites/<int:pk>/", views.site_page, name="ui-site"),
    path("sites/<int:pk>/meters/", views.meters_page, name="ui-meters"),
    path("quality/", views.quality_page, name="ui-quality"),
    path("entry/", views.entry_page, name="ui-entry"),
    path("entry/uploads/<str:source>/<int:pk>/", views.upload_panel, name="ui-upload"),
    path("entry/uploads/<str:source>/<int:pk>/commit/", views.upload_commit, name="ui-upload-commit"),
    path("targets/", views.targets_page, name="ui-targets"),
    path("targets/<int:pk>/", views.target_edit, name="ui-target-edit"),
    path("reports/", views.reports_page, name="ui-reports"),
    path("compare/", views_compare.compare_page, name="ui-compare"),
    path("audit/", views_audit.audit_page, name="ui-audit"),
    path("gateways/", views_gateways.gateways_page, name="ui-gateways"),
    path("mrv/", views_mrv.mrv_page, name="ui-mrv"),
    path("api/v1/ui/sites/<int:pk>/monthly/", apis.SiteMonthlyApi.as_view(), name="api-site-monthly"),
    path("api/v1/ui/sites/<int:pk>/load/", apis.SiteLoadApi.as_view(), name="api-site-load"),
    path("api/v1/ui/sites/<int:pk>/kpi-trend/", apis.SiteKpiTrendApi.as_view(), name="api-site-kpi-trend"),
    path("api/v1/ui/meters/<int:pk>/series/", apis.MeterSeriesApi.as_view(), name="api-meter-series"),
    path("api/v1/enterprises/<int:pk>/gaps/", apis.EnterpriseGapsApi.as_view(), name="enterprise-gaps"),
]
