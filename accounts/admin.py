"""Admin for memberships, regulator jurisdictions and personal API tokens."""

from django.contrib import admin

from accounts.admin_base import TenantScopedAdmin

from .models import ApiToken, Membership, RegulatorJurisdiction, Role


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "enterprise", "role"]
    list_filter = ["role", "enterprise"]
    search_fields = ["user__username", "enterprise__name"]
    write_role = Role.ENTERPRISE_ADMIN


@admin.register(RegulatorJurisdiction)
class RegulatorJurisdictionAdmin(admin.ModelAdmin):
    list_display = ["user", "region_prefix", "authority"]
    search_fields = ["user__username", "region_prefix", "authority"]

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at"]
    search_fields = ["user__username", "prefix"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)
