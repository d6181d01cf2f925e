"""Memberships and roles, regulator jurisdictions, and personal API tokens (stored hashed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from plants.models import Enterprise
from plants.validators import validate_region_prefix


class Role(models.TextChoices):
    ENTERPRISE_ADMIN = "enterprise_admin", _("enterprise admin")
    ENERGY_MANAGER = "energy_manager", _("energy manager")
    VIEWER = "viewer", _("viewer")


#: Higher rank may do everything a lower rank may.
ROLE_RANK = {Role.VIEWER: 1, Role.ENERGY_MANAGER: 2, Role.ENTERPRISE_ADMIN: 3}


class Membership(models.Model):
    TENANT_PATH = "enterprise"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "enterprise"], name="membership_unique")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.enterprise}: {self.get_role_display()}"


class RegulatorJurisdiction(models.Model):
    """Makes a user a regulator: read-only access to every enterprise whose region code starts with the prefix."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jurisdictions")
    region_prefix = models.CharField(_("region code prefix"), max_length=6, validators=[validate_region_prefix])
    authority = models.CharField(_("authority"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region_prefix"], name="jurisdiction_unique")]
        verbose_name = _("regulator jurisdiction")
        verbose_name_plural = _("regulator jurisdictions")

    def __str__(self) -> str:
        return f"{self.user} → {self.region_prefix}"


class ApiToken(models.Model):
    """A personal API token (`Authorization: Token …`); only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, default="default")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"


class AuditEvent(models.Model):
    """Who did what to which object, and who downloaded what: append-only, written by `accounts.audit`."""

    TENANT_PATH = "enterprise"

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="audit_events")
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="audit_events")
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "-at"], name="audit_enterprise_at")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.object_repr}"
