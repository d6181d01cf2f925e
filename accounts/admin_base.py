"""ModelAdmin base that applies the tenancy layer to admin lists, detail pages and foreign-key choices."""

from __future__ import annotations

from django.contrib import admin

from . import tenancy
from .models import Role


class TenantScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see and choose only objects of the enterprises they may read, and change only
    those where their role allows it."""

    write_role = Role.ENERGY_MANAGER

    def get_queryset(self, request):
        return tenancy.scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field.queryset.model, "TENANT_PATH"):
            field.queryset = tenancy.scope(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field.queryset.model, "TENANT_PATH"):
            field.queryset = tenancy.scope(field.queryset, request.user)
        return field

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or tenancy.has_role(request.user, tenancy.enterprise_of(obj), self.write_role)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or tenancy.has_role(request.user, tenancy.enterprise_of(obj), Role.ENTERPRISE_ADMIN)
