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


class ModbusDevice(models.Model):
    """A Modbus TCP device (meter, PLC, protocol converter) that `manage.py modbus_collect` polls directly."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey("plants.Site", on_delete=models.PROTECT, related_name="modbus_devices")
    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=502)
    unit_id = models.PositiveSmallIntegerField(_("unit id"), default=1)
    interval_seconds = models.PositiveIntegerField(
        _("polling interval (s)"), default=900,
        help_text=_("Readings are stamped at the start of the interval the poll falls in, so a repeated poll is a "
                    "duplicate, not a new reading."))
    timeout_seconds = models.FloatField(_("timeout (s)"), default=3.0)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["site", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="modbus_device_name_unique_in_site"),
            models.CheckConstraint(condition=models.Q(interval_seconds__gte=1), name="modbus_interval_positive"),
            models.CheckConstraint(condition=models.Q(unit_id__lte=255), name="modbus_unit_id_byte"),
        ]
        verbose_name = _("Modbus device")
        verbose_name_plural = _("Modbus devices")

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port}/{self.unit_id})"


class ModbusPoint(models.Model):
    """One row of a device's point table: which registers hold which meter's value, and how to decode them."""

    TENANT_PATH = "device__site__enterprise"

    class Function(models.IntegerChoices):
        HOLDING = 3, _("03 read holding registers")
        INPUT = 4, _("04 read input registers")

    class DataType(models.TextChoices):
        INT16 = "int16", "int16"
        UINT16 = "uint16", "uint16"
        INT32 = "int32", "int32"
        UINT32 = "uint32", "uint32"
        INT64 = "int64", "int64"
        UINT64 = "uint64", "uint64"
        FLOAT32 = "float32", "float32"
        FLOAT64 = "float64", "float64"

    class Order(models.TextChoices):
        BIG = "big", _("big endian (most significant first)")
        LITTLE = "little", _("little endian (least significant first)")

    device = models.ForeignKey(ModbusDevice, on_delete=models.CASCADE, related_name="points")
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="+")
    function = models.PositiveSmallIntegerField(_("function"), choices=Function.choices, default=Function.HOLDING)
    register = models.PositiveIntegerField(_("register address"), help_text=_("Zero-based, as on the wire."))
    data_type = models.CharField(_("data type"), max_length=8, choices=DataType.choices, default=DataType.FLOAT32)
    byte_order = models.CharField(_("byte order"), max_length=6, choices=Order.choices, default=Order.BIG,
                                  help_text=_("Order of the two bytes inside each register."))
    word_order = models.CharField(_("word order"), max_length=6, choices=Order.choices, default=Order.BIG,
                                  help_text=_("Order of the registers of a 32/64-bit value."))
    scale = models.FloatField(_("scale"), default=1.0, help_text=_("Value = raw × scale (e.g. 0.01 for 1/100 kWh)."))

    class Meta:
        ordering = ["device", "register"]
        constraints = [models.UniqueConstraint(fields=["device", "meter"], name="modbus_point_one_per_meter")]
        verbose_name = _("Modbus point")
        verbose_name_plural = _("Modbus points")

    def __str__(self) -> str:
        return f"{self.device_id}:{self.function}:{self.register} -> {self.meter_id}"

    def clean(self) -> None:
        if self.device_id and self.meter_id and self.meter.site_id != self.device.site_id:
            raise ValidationError({"meter": _("The meter must belong to the device's site.")})
