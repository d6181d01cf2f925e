"""Admin for enterprises, sites, production units, products and monthly data."""

from django.contrib import admin

from accounts.admin_base import TenantScopedAdmin
from accounts.models import Role

from .models import EconomicData, Enterprise, Product, ProductionData, ProductionUnit, Site


@admin.register(Enterprise)
class EnterpriseAdmin(TenantScopedAdmin):
    list_display = ["name", "credit_code", "industry_code", "region_code", "created_at"]
    list_filter = ["industry_code"]
    search_fields = ["name", "credit_code", "region_code"]
    write_role = Role.ENTERPRISE_ADMIN


@admin.register(Site)
class SiteAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "enterprise", "kind", "region_code", "timezone", "commissioning_date"]
    list_filter = ["kind", "enterprise"]
    search_fields = ["code", "name", "enterprise__name"]
    write_role = Role.ENTERPRISE_ADMIN


@admin.register(ProductionUnit)
class ProductionUnitAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "kind", "site", "parent"]
    list_filter = ["kind", "site__enterprise", "site"]
    search_fields = ["code", "name"]


@admin.register(Product)
class ProductAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "unit", "site", "unit_of_production"]
    list_filter = ["unit", "site"]
    search_fields = ["code", "name", "cn_code"]


@admin.register(EconomicData)
class EconomicDataAdmin(TenantScopedAdmin):
    list_display = ["site", "month", "version", "value_added_10k_cny", "gross_output_10k_cny", "source", "created_by",
                    "created_at"]
    list_filter = ["site", "source"]
    date_hierarchy = "month"
    readonly_fields = ["version", "created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # versions are immutable


@admin.register(ProductionData)
class ProductionDataAdmin(TenantScopedAdmin):
    list_display = ["product", "month", "version", "quantity", "source", "created_by", "created_at"]
    list_filter = ["product__site", "source"]
    date_hierarchy = "month"
    readonly_fields = ["version", "created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)
