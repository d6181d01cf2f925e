"""ModelAdmin base that applies the tenancy layer to admin lists, detail pages and foreign-key choices."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist

from . import tenancy
from .audit import audit_record, changes, field_values
from .models import Role


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-object filter whose choices pass through the tenancy layer (no foreign names in the sidebar)."""

    def field_choices(self, field, request, model_admin):
        qs = field.related_model._default_manager.all()
        if hasattr(field.related_model, "TENANT_PATH"):
            qs = tenancy.scope(qs, request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            qs = qs.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in qs]


class AuditedAdminMixin(admin.ModelAdmin):
    """Records every create, change and delete made through the admin in the audit log."""

    def save_model(self, request, obj, form, change):
        before = field_values(type(obj)._default_manager.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.model_name}.{'update' if change else 'create'}"
        audit_record(action=action, obj=obj, request=request,
                     detail={"changes": changes(before, obj)} if change else {"via": "admin"})

    def delete_model(self, request, obj):
        audit_record(action=f"{obj._meta.model_name}.delete", obj=obj, request=request, detail={"via": "admin"})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(action=f"{obj._meta.model_name}.delete", obj=obj, request=request, detail={"via": "admin"})
        super().delete_queryset(request, queryset)


class TenantScopedAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Staff who are not superusers see and choose only objects of the enterprises they may read, and change only
    those where their role allows it."""

    write_role = Role.ENERGY_MANAGER

    def get_queryset(self, request):
        return tenancy.scope(super().get_queryset(request), request.user)

    def get_list_filter(self, request):
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                try:
                    field = get_fields_from_path(self.model, entry)[-1]
                except (FieldDoesNotExist, NotRelationField):
                    field = None
                if field is not None and field.is_relation:
                    entry = (entry, TenantRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and field.queryset is not None and hasattr(field.queryset.model, "TENANT_PATH"):
            field.queryset = tenancy.scope(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and field.queryset is not None and hasattr(field.queryset.model, "TENANT_PATH"):
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

