"""Base classes that put every API endpoint behind the tenancy layer."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from rest_framework import permissions, serializers, viewsets

from energy_platform.errors import ApplicationError

from . import tenancy
from .audit import audit_events_for, audit_record, changes, field_values
from .models import AuditEvent, Role


class TenantWritePermission(permissions.BasePermission):
    """Reads: anything the tenancy layer lets through. Writes: a role of at least `write_role` in the object's
    enterprise (regulators and viewers never write)."""

    message = "Your role does not allow changing this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        minimum = view.delete_role if request.method == "DELETE" else view.write_role
        return tenancy.may_write(request.user, obj, minimum)


def _has_code(codes, wanted: str) -> bool:
    if isinstance(codes, dict):
        return any(_has_code(c, wanted) for c in codes.values())
    if isinstance(codes, list):
        return any(_has_code(c, wanted) for c in codes)
    return codes == wanted


class CodeErrorMixin:
    """A refused code (`plants.validators.validate_code`) answers 400 with the code `invalid_code`, the field
    errors alongside, rather than the generic `invalid`."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)  # type: ignore[misc]  # a mixin before a Serializer
        except serializers.ValidationError as exc:
            if _has_code(exc.get_codes(), "invalid_code"):
                raise ApplicationError(
                    "invalid_code", "A code may contain only letters, digits, '-', '_' and '.' (see the README).",
                    extra={"errors": exc.detail}) from exc
            raise


class TenantScopedSerializer(CodeErrorMixin, serializers.ModelSerializer):
    """Limits every related-object field to objects the requesting user may see, so foreign ids read as 'not found'."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            target: Any = getattr(field, "child_relation", field)
            qs = getattr(target, "queryset", None)
            if qs is not None and hasattr(qs.model, "TENANT_PATH"):
                target.queryset = tenancy.scope(qs, user)
        return fields


class TenantScopedViewSet(viewsets.ModelViewSet):
    """CRUD over a tenant-owned model. Subclasses set `queryset` and `serializer_class`."""

    permission_classes = [TenantWritePermission]
    write_role = Role.ENERGY_MANAGER
    delete_role = Role.ENTERPRISE_ADMIN
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return tenancy.scope(super().get_queryset(), self.request.user)

    def _apply(self, serializer, instance):
        """Apply validated data (not many-to-many) to `instance` and check role and model validation."""
        m2m = {f.name for f in instance._meta.many_to_many}
        for key, value in serializer.validated_data.items():
            if key not in m2m:
                setattr(instance, key, value)
        if not tenancy.may_write(self.request.user, instance, self.write_role):
            raise ApplicationError("permission_denied", "Your role does not allow this change here.", status_code=403)
        instance.full_clean(validate_unique=True)

    def perform_create(self, serializer):
        self._apply(serializer, serializer.Meta.model())
        obj = serializer.save()
        audit_record(action=f"{obj._meta.model_name}.create", obj=obj, request=self.request, detail={"via": "api"})

    def perform_update(self, serializer):
        before = field_values(serializer.instance)
        self._apply(serializer, serializer.instance)
        obj = serializer.save()
        audit_record(action=f"{obj._meta.model_name}.update", obj=obj, request=self.request,
                     detail={"via": "api", "changes": changes(before, obj)})

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                audit_record(action=f"{instance._meta.model_name}.delete", obj=instance, request=self.request,
                             detail={"via": "api"})
                instance.delete()
        except ProtectedError as exc:
            raise ApplicationError(
                "in_use", f"{instance._meta.verbose_name} cannot be deleted: other records depend on it.",
                status_code=409,
            ) from exc


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor_name", "action", "object_type", "object_id", "object_repr", "enterprise",
                  "detail", "ip"]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log of the enterprises the caller administers (enterprise admins; superusers see everything).
    Filter with `?action=`, `?action__startswith=`, `?enterprise=`, `?object_type=`, `?at__gte=`, `?at__lte=`."""

    serializer_class = AuditEventSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = {"action": ["exact", "startswith"], "enterprise": ["exact"], "object_type": ["exact"],
                        "at": ["gte", "lte"]}

    def get_queryset(self):
        return audit_events_for(self.request.user)
