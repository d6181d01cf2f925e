"""Admin for coefficients, emission factors, targets, activity data, periods and the (read-only) ledger."""

from django.contrib import admin, messages

from accounts.admin_base import ReferenceDataAdmin, TenantScopedAdmin
from accounts.models import Role

from .ledger import ledger_verify, period_close, restatement_check
from .models import (
    AccountingPeriod,
    DataQualityPlanItem,
    EmissionFactor,
    EnergyCoefficient,
    FactorSet,
    GhgSectorSetting,
    GreenCertificate,
    LedgerEntry,
    MeasuredFuelProperty,
    MrvEvidence,
    ProcessActivity,
    ProcessEmission,
    ProcessFactor,
    Target,
)


@admin.register(EnergyCoefficient)
class EnergyCoefficientAdmin(ReferenceDataAdmin):
    list_display = ["carrier", "method", "coefficient", "coefficient_unit", "ncv_kj", "year", "valid_from",
                    "valid_to", "enterprise", "edition", "provisional"]
    list_filter = ["method", "provisional", "carrier", "edition"]
    search_fields = ["carrier", "source"]


class EmissionFactorInline(admin.TabularInline):
    model = EmissionFactor
    extra = 0
    fields = ["kind", "carrier", "geography", "basis", "value", "activity_unit", "provisional", "source"]


@admin.register(FactorSet)
class FactorSetAdmin(ReferenceDataAdmin):
    list_display = ["name", "version", "data_year", "purpose", "industry_prefixes", "publisher", "announcement",
                    "provisional"]
    list_filter = ["purpose", "provisional", "data_year"]
    search_fields = ["name", "publisher", "announcement"]
    inlines = [EmissionFactorInline]


@admin.register(EmissionFactor)
class EmissionFactorAdmin(ReferenceDataAdmin):
    list_display = ["carrier", "kind", "geography", "basis", "value", "activity_unit", "factor_set", "enterprise",
                    "provisional"]
    list_filter = ["kind", "basis", "geography", "provisional", "factor_set"]
    search_fields = ["carrier", "fuel_name", "source", "geography"]
    list_select_related = ["factor_set"]

    def get_readonly_fields(self, request, obj=None):
        # A factor used by a ledger entry is immutable: publish a new version instead.
        if obj is not None and LedgerEntry.objects.filter(factor=obj).exists():
            return [f.name for f in self.model._meta.fields]
        return []


@admin.register(Target)
class TargetAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "site", "indicator", "baseline_year", "baseline_value", "target_year",
                    "reduction_pct"]
    list_filter = ["indicator", "enterprise"]


@admin.register(ProcessEmission)
class ProcessEmissionAdmin(TenantScopedAdmin):
    list_display = ["site", "month", "description", "activity_amount", "activity_unit", "factor_tco2_per_unit"]
    list_filter = ["site"]


@admin.register(MeasuredFuelProperty)
class MeasuredFuelPropertyAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "carrier", "month", "ncv_gj_per_unit", "activity_unit", "carbon_content_tc_per_tj",
                    "oxidation_rate", "consumption", "lab_report_number", "evidence_file", "review_status",
                    "created_by"]
    list_filter = ["carrier", "review_status", "enterprise"]
    search_fields = ["lab_report_number", "laboratory", "note"]
    # The review steps go through the MRV page or the API (who and when recorded, audited).
    readonly_fields = ["created_by", "created_at", "review_status", "checked_by", "checked_at", "confirmed_by",
                       "confirmed_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(GreenCertificate)
class GreenCertificateAdmin(TenantScopedAdmin):
    list_display = ["site", "month", "mwh", "certificate_id", "issuer"]
    list_filter = ["site"]
    search_fields = ["certificate_id", "issuer"]


@admin.register(AccountingPeriod)
class AccountingPeriodAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "month", "status", "closed_at", "closed_by", "restatement_pending",
                    "restatement_reason"]
    list_filter = ["status", "restatement_pending", "enterprise"]
    readonly_fields = ["status", "closed_at", "closed_by", "restatement_pending", "restatement_reason"]
    actions = ["close", "check_restatements"]
    write_role = Role.ENTERPRISE_ADMIN

    @admin.action(description="Close the selected months (post ledger entries)")
    def close(self, request, queryset):
        for period in queryset.filter(status="open"):
            period_close(enterprise=period.enterprise, month=period.month, actor=request.user)
        self.message_user(request, "Closed.")

    @admin.action(description="Check closed months for pending restatements")
    def check_restatements(self, request, queryset):
        flagged = []
        for enterprise_id in set(queryset.values_list("enterprise", flat=True)):
            flagged += restatement_check(enterprise=queryset.filter(enterprise_id=enterprise_id).first().enterprise)
        self.message_user(request, f"{len(flagged)} month(s) flagged.")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(TenantScopedAdmin):
    list_display = ["seq", "enterprise", "site", "month", "scope", "source", "activity_amount", "activity_unit",
                    "factor_value", "tco2", "kind", "author", "created_at"]
    list_filter = ["kind", "scope", "enterprise", "site"]
    search_fields = ["source", "reason", "hash"]
    actions = ["verify"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Verify the hash chain of these entries' enterprises")
    def verify(self, request, queryset):
        """Reads only: every member of the enterprise may run it."""
        for enterprise_id in set(queryset.values_list("enterprise", flat=True)):
            ent = queryset.filter(enterprise_id=enterprise_id).first().enterprise
            result = ledger_verify(enterprise=ent)
            level = messages.SUCCESS if result["ok"] else messages.ERROR
            text = f"{ent}: OK ({result['entries']} entries)" if result["ok"] else \
                f"{ent}: broken at #{result['first_broken']['seq']}: {result['first_broken']['problem']}"
            self.message_user(request, text, level)

    verify.minimum_role = Role.VIEWER  # type: ignore[attr-defined]  # read by the role rules (accounts.admin_base)


@admin.register(ProcessFactor)
class ProcessFactorAdmin(ReferenceDataAdmin):
    list_display = ["sector", "code", "name_zh", "name_en", "direction", "gas", "value", "activity_unit", "gwp",
                    "provisional"]
    list_filter = ["sector", "direction", "provisional"]
    search_fields = ["code", "name_zh", "name_en", "source_zh", "source_en"]


class MrvEvidenceInline(admin.TabularInline):
    model = MrvEvidence
    extra = 0
    fields = ["enterprise", "kind", "reference", "file"]


@admin.register(ProcessActivity)
class ProcessActivityAdmin(TenantScopedAdmin):
    list_display = ["site", "month", "factor", "amount", "review_status", "checked_by", "confirmed_by"]
    list_filter = ["review_status", "site"]
    readonly_fields = ["created_by", "created_at", "review_status", "checked_by", "checked_at", "confirmed_by",
                       "confirmed_at"]
    list_select_related = ["site", "factor"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MrvEvidence)
class MrvEvidenceAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "kind", "reference", "fuel_property", "process_activity", "file", "created_at"]
    list_filter = ["kind", "enterprise"]
    search_fields = ["reference"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(DataQualityPlanItem)
class DataQualityPlanItemAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "subject", "parameter", "method", "frequency", "responsible", "evidence_kind"]
    list_filter = ["enterprise"]


@admin.register(GhgSectorSetting)
class GhgSectorSettingAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "site", "sector"]
    list_filter = ["sector"]
