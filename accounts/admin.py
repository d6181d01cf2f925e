"""Admin for memberships, regulator jurisdictions and personal API tokens."""

from django.contrib import admin

from accounts import tenancy
from accounts.admin_base import AuditedAdminMixin, ReferenceDataAdmin, TenantScopedAdmin
from accounts.audit import audit_events_for

from .models import ApiToken, AuditEvent, Membership, RegulatorJurisdiction, Role


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "enterprise", "role"]
    list_filter = ["role", "enterprise"]
    search_fields = ["user__username", "enterprise__name"]
    write_role = Role.ENTERPRISE_ADMIN


@admin.register(RegulatorJurisdiction)
class RegulatorJurisdictionAdmin(ReferenceDataAdmin):
    """Who regulates which region: platform staff only."""

    list_display = ["user", "region_prefix", "authority"]
    search_fields = ["user__username", "region_prefix", "authority"]

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Personal tokens: each user revokes their own (superusers any); revocations are audited."""

    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at"]
    search_fields = ["user__username", "prefix"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only, for enterprise admins (their enterprises) and superusers (everything)."""

    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "enterprise", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "object_repr", "object_id"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def get_queryset(self, request):
        return audit_events_for(request.user).select_related("enterprise")

    def has_module_permission(self, request):
        return request.user.is_superuser or audit_events_for(request.user).exists() or \
            tenancy.writable_enterprises(request.user, Role.ENTERPRISE_ADMIN).exists()

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
