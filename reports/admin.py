"""Admin: read-only report snapshots and files; "generate report" actions appended to the plants admin classes."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts import tenancy
from accounts.admin_base import ReferenceDataAdmin, TenantScopedAdmin
from accounts.models import Role
from energy_platform.errors import ApplicationError
from plants.models import Enterprise, Site

from .models import (
    CarbonPricePaid,
    CarrierYear,
    CbamInstallation,
    GreenFactoryProfile,
    IndicatorEntry,
    IndicatorSet,
    LimitStandard,
    MainEquipment,
    MaterialPurchase,
    MeteringPoints,
    ProductLimit,
    ProductPrice,
    ReportFile,
    ReportSnapshot,
    RequirementEntry,
    UpstreamFactor,
)
from .services import report_generate


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        # Staff who are not superusers see only the reports of enterprises they may read.
        return tenancy.scope(super().get_queryset(request), request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReportFileInline(admin.TabularInline):
    model = ReportFile
    fields = ["name", "file", "sha256", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["id", "enterprise", "site", "kind", "year", "format", "lang", "version", "status", "progress",
                    "superseded", "created_by", "created_at"]
    list_filter = ["kind", "status", "format", "lang", "superseded"]
    inlines = [ReportFileInline]


@admin.register(ReportFile)
class ReportFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "snapshot", "sha256", "size"]


def _generate(modeladmin, request, subjects, kind: str):
    """`subjects`: (enterprise, site or None) pairs; a site gets a report of its own."""
    year = dt.date.today().year - 1  # noqa: DTZ011 - the last complete calendar year
    lang = request.LANGUAGE_CODE if request.LANGUAGE_CODE in ("zh-hans", "en") else "zh-hans"
    for enterprise, site in subjects:
        if not (request.user.is_superuser or tenancy.has_role(request.user, enterprise, Role.ENERGY_MANAGER)):
            modeladmin.message_user(request, f"{site or enterprise}: {_('needs the energy manager role')}",
                                    messages.ERROR)
            continue
        for fmt in ("pdf", "xlsx"):
            try:
                snap = report_generate(kind=kind, enterprise=enterprise, site=site, year=year, fmt=fmt, lang=lang,
                                       user=request.user)
            except ApplicationError as exc:
                modeladmin.message_user(request, f"{site or enterprise}: {exc.detail}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{site or enterprise}: {snap}", messages.SUCCESS)


def _make_action(kind: str, label, of_sites: bool):
    def action(modeladmin, request, queryset):
        subjects = ([(s.enterprise, s) for s in queryset.select_related("enterprise")] if of_sites
                    else [(e, None) for e in queryset])
        _generate(modeladmin, request, subjects, kind)

    action.__name__ = f"generate_{kind}_report{'_site' if of_sites else ''}"
    action.minimum_role = Role.ENERGY_MANAGER  # as the API's report generation (the admin's write role is higher)
    action.short_description = label
    return action


for _model, _of_sites in ((Enterprise, False), (Site, True)):
    _ma = admin.site._registry.get(_model)
    if _ma is not None:
        _ma.actions = [*(_ma.actions or []),
                       _make_action("energy", _("Generate last year's energy report (PDF, XLSX)"), _of_sites),
                       _make_action("ghg", _("Generate last year's GHG report (PDF, XLSX)"), _of_sites),
                       _make_action("footprint", _("Generate last year's product carbon footprint (PDF, XLSX)"),
                                    _of_sites),
                       _make_action("cbam", _("Generate last year's EU CBAM communication (PDF, XLSX)"), _of_sites)]


class IndicatorInline(admin.TabularInline):
    from .models import Indicator as model  # noqa: N813

    extra = 0


class BasicRequirementInline(admin.TabularInline):
    from .models import BasicRequirement as model  # noqa: N813

    extra = 0


@admin.register(IndicatorSet)
class IndicatorSetAdmin(ReferenceDataAdmin):
    list_display = ["edition", "industry_prefix", "name", "provisional", "source", "thresholds_source"]
    inlines = [IndicatorInline, BasicRequirementInline]


@admin.register(ProductPrice)
class ProductPriceAdmin(TenantScopedAdmin):
    list_display = ["product", "year", "price_cny_per_unit", "source"]
    list_filter = ["year"]
    search_fields = ["product__code", "product__name"]


@admin.register(IndicatorEntry)
class IndicatorEntryAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "site", "year", "indicator", "value", "evidence_file", "entered_by"]
    list_filter = ["year", "indicator__indicator_set__edition"]
    search_fields = ["indicator__code", "indicator__name_zh", "site__code", "evidence"]


@admin.register(RequirementEntry)
class RequirementEntryAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "site", "year", "requirement", "passed", "evidence_file"]
    list_filter = ["year", "passed"]


@admin.register(GreenFactoryProfile)
class GreenFactoryProfileAdmin(TenantScopedAdmin):
    list_display = ["site", "year", "contact_name", "land_area_m2"]
    list_filter = ["year"]
    search_fields = ["site__code", "site__name"]


@admin.register(UpstreamFactor)
class UpstreamFactorAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "enterprise", "value_tco2e_per_unit", "indirect_tco2e_per_unit", "unit", "kind",
                    "supplier", "provisional", "source"]
    list_filter = ["kind", "provisional"]
    search_fields = ["code", "name", "supplier", "source"]


@admin.register(MaterialPurchase)
class MaterialPurchaseAdmin(TenantScopedAdmin):
    list_display = ["site", "month", "product", "factor", "quantity", "role", "cn_code"]
    list_filter = ["role", "site"]
    date_hierarchy = "month"
    search_fields = ["factor__code", "product__code", "cn_code"]


@admin.register(CbamInstallation)
class CbamInstallationAdmin(TenantScopedAdmin):
    list_display = ["name", "site", "unlocode", "latitude", "longitude", "city", "country"]
    search_fields = ["name", "site__code", "unlocode"]


@admin.register(CarbonPricePaid)
class CarbonPricePaidAdmin(TenantScopedAdmin):
    list_display = ["product", "year", "instrument", "price_per_tco2e", "currency", "covered_tco2e_per_unit",
                    "free_allocation_tco2e_per_unit", "provisional"]
    list_filter = ["year", "provisional"]
@admin.register(LimitStandard)
class LimitStandardAdmin(ReferenceDataAdmin):
    list_display = ["standard", "product_zh", "indicator_zh", "unit", "limit_value", "access_value", "advanced_value",
                    "provisional", "source"]
    list_filter = ["standard", "provisional"]


@admin.register(ProductLimit)
class ProductLimitAdmin(TenantScopedAdmin):
    list_display = ["product", "standard"]


@admin.register(MainEquipment)
class MainEquipmentAdmin(TenantScopedAdmin):
    list_display = ["site", "name", "model", "carrier", "quantity", "rated_power_kw", "commissioned_year", "obsolete"]
    search_fields = ["name", "model", "site__code"]


@admin.register(CarrierYear)
class CarrierYearAdmin(TenantScopedAdmin):
    list_display = ["site", "year", "carrier", "opening_stock", "closing_stock"]
    list_filter = ["year", "carrier"]


@admin.register(MeteringPoints)
class MeteringPointsAdmin(TenantScopedAdmin):
    list_display = ["site", "carrier", "level", "points"]
    list_filter = ["carrier", "level"]
