"""Admin of the centre's reference values, product categories, weather, baselines (read-only) and projects."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReferenceDataAdmin, TenantScopedAdmin
from energy_platform.errors import ApplicationError

from .models import (
    BenchmarkReference,
    DailyTemperature,
    EnergyBaseline,
    MonthlyWeather,
    ProductCategory,
    QualityCriterion,
    SavingsProject,
)
from .services import degree_days_compute


@admin.register(BenchmarkReference)
class BenchmarkReferenceAdmin(ReferenceDataAdmin):
    """National rows are visible to all staff and changed by platform superusers; an enterprise's own rows by its
    enterprise admins (as for coefficients and emission factors)."""

    list_display = ["indicator", "site_kind", "product_category", "kind", "label", "value", "unit", "provisional",
                    "enterprise", "source"]
    list_filter = ["indicator", "kind", "provisional", "site_kind"]
    search_fields = ["product_category", "label", "source"]


@admin.register(QualityCriterion)
class QualityCriterionAdmin(ReferenceDataAdmin):
    list_display = ["statistic", "max_abs_pct", "provisional", "source"]


@admin.register(ProductCategory)
class ProductCategoryAdmin(TenantScopedAdmin):
    list_display = ["product", "category"]
    search_fields = ["category", "product__code", "product__name"]


@admin.register(MonthlyWeather)
class MonthlyWeatherAdmin(TenantScopedAdmin):
    list_display = ["site", "month", "hdd", "cdd", "base_temperature_c", "mean_temperature_c", "source"]
    list_filter = ["site"]
    date_hierarchy = "month"


@admin.register(DailyTemperature)
class DailyTemperatureAdmin(TenantScopedAdmin):
    list_display = ["site", "day", "mean_c", "source"]
    list_filter = ["site"]
    date_hierarchy = "day"
    actions = ["compute_degree_days"]

    @admin.action(description=_("Compute the degree days of the months of the selected days"))
    def compute_degree_days(self, request, queryset):
        months = {(t.site, t.day.replace(day=1)) for t in queryset.select_related("site")}
        for site, month in sorted(months, key=lambda sm: (sm[0].code, sm[1])):
            try:
                w = degree_days_compute(site=site, month=month)
                self.message_user(request, f"{site.code} {month:%Y-%m}: HDD {w.hdd}, CDD {w.cdd}")
            except ApplicationError as exc:
                self.message_user(request, f"{site.code} {month:%Y-%m}: {exc.detail}", messages.WARNING)


@admin.register(EnergyBaseline)
class EnergyBaselineAdmin(TenantScopedAdmin):
    """Baselines are fitted by the service (UI or API); the admin shows them and their lineage."""

    list_display = ["site", "name", "measure", "start_month", "months", "r_squared", "cv_rmse_pct", "nmbe_pct",
                    "active", "supersedes", "created_at"]
    list_filter = ["site", "measure", "active"]
    readonly_fields = [f.name for f in EnergyBaseline._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SavingsProject)
class SavingsProjectAdmin(TenantScopedAdmin):
    list_display = ["site", "name", "kind", "commissioned_on", "expected_savings_tce_per_year",
                    "expected_reduction_tco2_per_year", "baseline"]
    list_filter = ["site", "kind"]
    search_fields = ["name"]
