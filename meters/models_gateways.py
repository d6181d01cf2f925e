"""Gateway tag maps and gateway connection state (MQTT credentials, session, Sparkplug aliases)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Gateway, GatewayToken, Meter


class GatewayTag(models.Model):
    """One tag / metric / series name a gateway sends, and the meter it measures (see meters/payloads)."""

    TENANT_PATH = "gateway__site__enterprise"

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(_("tag"), max_length=200,
                           help_text=_('As the gateway names it, e.g. "modbus/grp/tag0" (Neuron), '
                                       '"Device A/energy" (ThingsBoard), "Meters/E-1/kWh" (Sparkplug).'))
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["gateway", "tag"]
        constraints = [models.UniqueConstraint(fields=["gateway", "tag"], name="gateway_tag_unique")]
        verbose_name = _("gateway tag")
        verbose_name_plural = _("gateway tags")

    def __str__(self) -> str:
        return f"{self.tag} -> {self.meter_id}"

    def clean(self) -> None:
        if self.gateway_id and self.meter_id and self.meter.site_id != self.gateway.site_id:
            raise ValidationError({"meter": _("The meter must belong to the gateway's site.")})


class GatewayState(models.Model):
    """What the platform knows of a gateway's connection: its MQTT password (the newest token, hashed for mosquitto),
    its session as the broker last reported it, and the Sparkplug aliases of its births."""

    TENANT_PATH = "gateway__site__enterprise"

    class Session(models.TextChoices):
        UNKNOWN = "unknown", _("unknown")
        ONLINE = "online", _("online")
        OFFLINE = "offline", _("offline")

    gateway = models.OneToOneField(Gateway, on_delete=models.CASCADE, primary_key=True, related_name="state")
    mqtt_token = models.ForeignKey(GatewayToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    mqtt_password_hash = models.CharField(max_length=300, blank=True, editable=False)
    session = models.CharField(_("session"), max_length=10, choices=Session.choices, default=Session.UNKNOWN)
    session_changed_at = models.DateTimeField(_("session changed at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    sparkplug_aliases = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("gateway state")
        verbose_name_plural = _("gateway states")

    def __str__(self) -> str:
        return f"{self.gateway_id}: {self.session}"
