"""ModelAdmin base that applies the tenancy layer to admin lists, detail pages and foreign-key choices."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q

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


if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


class RoleRulesAdminMixin(_AdminBase):
    """The API's role rules (`tenancy.may_create`, `tenancy.may_write`) on every admin add, change and delete view:
    Django's model permissions are necessary, never sufficient. The object as it is about to be saved is checked
    again, so an enterprise left empty (a global reference row) or changed to another enterprise is refused too."""

    write_role: str = Role.ENERGY_MANAGER
    delete_role: str = Role.ENTERPRISE_ADMIN

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and \
            tenancy.may_create(request.user, self.model, self.write_role)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or tenancy.may_write(request.user, obj, self.write_role)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or tenancy.may_write(request.user, obj, self.delete_role)

    def get_action(self, action):
        """Changelist actions (close a period, revoke tokens, acknowledge rows, …) run only when the user may write
        every selected object, at the action's `minimum_role` (default: the admin's `write_role`), and are audited
        per enterprise. Deleting goes through `delete_queryset`."""
        found = super().get_action(action)
        if found is None or action == "delete_selected":
            return found
        func, name, description = found
        minimum = getattr(func, "minimum_role", self.write_role)

        @functools.wraps(func)
        def guarded(modeladmin, request, queryset):
            selected = list(queryset)
            for obj in selected:
                self._require_write(request, obj, minimum)
            result = func(modeladmin, request, queryset)
            if minimum != Role.VIEWER:  # a reading action (verify) changes nothing
                by_enterprise: dict = {}
                for obj in selected:
                    by_enterprise.setdefault(tenancy.enterprise_or_none(obj), []).append(obj.pk)
                for enterprise, ids in by_enterprise.items():
                    audit_record(action=f"{self.model._meta.model_name}.{name}"[:60], request=request,
                                 enterprise=enterprise, detail={"via": "admin action", "ids": ids})
            return result

        return guarded, name, description

    def _require_write(self, request, obj, minimum: str) -> None:
        if not tenancy.may_write(request.user, obj, minimum):
            raise PermissionDenied("Your role does not allow this change here.")

    def save_model(self, request, obj, form, change):
        self._require_write(request, obj, self.write_role)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Inline rows are checked as rows of their own: an inline emission factor without an enterprise is global.
        fk = getattr(formset, "fk", None)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            row = inline_form.instance
            if fk is not None:
                setattr(row, fk.name, formset.instance)
            self._require_write(request, row if tenancy.is_tenant_model(type(row)) else formset.instance,
                                self.write_role)
        for row in getattr(formset, "deleted_objects", []) or []:
            self._require_write(request, row, self.delete_role)
        super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        self._require_write(request, obj, self.delete_role)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._require_write(request, obj, self.delete_role)
        super().delete_queryset(request, queryset)


class TenantScopedAdmin(RoleRulesAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Staff who are not superusers see and choose only objects of the enterprises they may read, and add, change
    and delete only where the API's role rules allow it."""

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


class ReferenceDataAdmin(RoleRulesAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Reference data (coefficients, emission factors and factor sets, benchmark references, indicator sets, quality
    criteria): global rows are visible to every staff user and written by platform staff (superusers) only; an
    enterprise's own rows (overrides, on models with an `enterprise` field) by that enterprise's admins, and audited
    with that enterprise."""

    write_role = Role.ENTERPRISE_ADMIN

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser or not tenancy.is_tenant_model(self.model):
            return qs
        return qs.filter(Q(enterprise__isnull=True) | Q(enterprise__in=tenancy.visible_enterprises(request.user)))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is None:
            return field
        if db_field.name == "enterprise" and not request.user.is_superuser:
            # Staff who are not platform staff write only their own enterprises' rows: the enterprise is required.
            field.queryset = tenancy.writable_enterprises(request.user, self.write_role)
            field.required = True
        elif field.queryset is not None and hasattr(field.queryset.model, "TENANT_PATH"):
            field.queryset = tenancy.scope(field.queryset, request.user)
        return field
