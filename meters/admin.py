"""Admin for meters, gateways and their tokens, and rollups (read-only)."""

from django.contrib import admin
from django.utils import timezone

from accounts.admin_base import TenantScopedAdmin
from accounts.models import Role

from .models import Gateway, GatewayToken, Meter, MeterRollup


@admin.register(Meter)
class MeterAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "site", "carrier", "unit", "reading_kind", "level", "role", "parent",
                    "multiplier", "next_calibration", "active_from", "active_to"]
    list_filter = ["carrier", "reading_kind", "level", "role", "site__enterprise", "site"]
    search_fields = ["code", "name", "site__code"]
    list_select_related = ["site", "parent"]
    autocomplete_fields = ["parent"]


class GatewayTokenInline(admin.TabularInline):
    model = GatewayToken
    extra = 0
    fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # tokens are created with provision_gateway or the API, and shown once


@admin.register(Gateway)
class GatewayAdmin(TenantScopedAdmin):
    list_display = ["name", "site", "created_at"]
    list_filter = ["site__enterprise", "site"]
    search_fields = ["name", "site__code"]
    filter_horizontal = ["allowed_meters"]
    inlines = [GatewayTokenInline]
    write_role = Role.ENTERPRISE_ADMIN


@admin.register(GatewayToken)
class GatewayTokenAdmin(TenantScopedAdmin):
    list_display = ["prefix", "gateway", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["gateway__site"]
    readonly_fields = ["prefix", "gateway", "created_at", "last_used_at"]
    actions = ["revoke"]
    write_role = Role.ENTERPRISE_ADMIN

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        n = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{n} token(s) revoked.")


@admin.register(MeterRollup)
class MeterRollupAdmin(TenantScopedAdmin):
    list_display = ["meter", "granularity", "bucket_start", "quantity", "received_intervals", "expected_intervals",
                    "estimated_intervals", "computed_at"]
    list_filter = ["granularity", "meter__site"]
    search_fields = ["meter__code"]
    date_hierarchy = "bucket_start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
