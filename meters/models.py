"""Meters, gateways, readings and the ingestion records around them (batches, rejects, conflicts, register events)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from energy_platform.uploads import UploadJob
from plants.models import CodeField, Enterprise, ProductionUnit, Site


class Carrier(models.TextChoices):
    ELECTRICITY = "electricity", _("electricity (purchased)")
    PV_GENERATION = "pv_generation", _("on-site PV generation")
    GREEN_ELECTRICITY = "green_electricity", _("purchased green electricity")
    RAW_COAL = "raw_coal", _("raw coal")
    WASHED_COAL = "washed_coal", _("washed coal")
    COKE = "coke", _("coke")
    NATURAL_GAS = "natural_gas", _("natural gas")
    COKE_OVEN_GAS = "coke_oven_gas", _("coke-oven gas")
    FUEL_OIL = "fuel_oil", _("fuel oil")
    DIESEL = "diesel", _("diesel")
    GASOLINE = "gasoline", _("gasoline")
    LPG = "lpg", _("LPG")
    STEAM = "steam", _("steam")
    HEAT = "heat", _("heat")
    WATER = "water", _("new water")
    COMPRESSED_AIR = "compressed_air", _("compressed air")
    OXYGEN = "oxygen", _("oxygen")


class MeasurementUnit(models.Model):
    """A unit of measure and its size in the base unit of its dimension (data: migration 0010, editable by platform
    staff). Conversions between two units of one dimension (a meter's t to a coefficient's kg) use these sizes."""

    code = models.CharField(_("unit"), max_length=10, unique=True)
    dimension = models.CharField(_("dimension"), max_length=30)
    base_factor = models.DecimalField(_("size in the dimension's base unit"), max_digits=24, decimal_places=6,
                                      help_text=_("1 of this unit = this many of the dimension's base unit."))

    class Meta:
        ordering = ["dimension", "base_factor"]
        constraints = [models.CheckConstraint(condition=models.Q(base_factor__gt=0), name="unit_base_factor_positive")]
        verbose_name = _("unit of measure")
        verbose_name_plural = _("units of measure")

    def __str__(self) -> str:
        return self.code


class CarrierUnit(models.Model):
    """A unit a carrier may be metered in, with the default plausibility limit of one reading in that unit (a meter's
    own `max_reading` replaces it). Meters are checked against this table on create and update (API, admin) and
    readings against the limit at ingestion (`implausible_value`)."""

    carrier = models.CharField(_("energy carrier"), max_length=30, choices=Carrier.choices)
    unit = models.ForeignKey(MeasurementUnit, on_delete=models.PROTECT, related_name="carriers", to_field="code",
                             db_column="unit")
    default_max_reading = models.DecimalField(
        _("default plausibility limit of one reading"), max_digits=24, decimal_places=4,
        help_text=_("The largest value one reading can plausibly have in this unit: an interval meter's quantity of "
                    "one interval, a cumulative register's value."))

    class Meta:
        ordering = ["carrier", "unit"]
        constraints = [models.UniqueConstraint(fields=["carrier", "unit"], name="carrier_unit_unique")]
        verbose_name = _("allowed unit of a carrier")
        verbose_name_plural = _("allowed units of carriers")

    def __str__(self) -> str:
        return f"{self.carrier}: {self.unit_id}"


#: The unit each carrier is metered in by default (the allowed units are the CarrierUnit table).
CARRIER_UNITS = {
    Carrier.ELECTRICITY: "kWh", Carrier.PV_GENERATION: "kWh", Carrier.GREEN_ELECTRICITY: "kWh",
    Carrier.RAW_COAL: "t", Carrier.WASHED_COAL: "t", Carrier.COKE: "t",
    Carrier.NATURAL_GAS: "m3", Carrier.COKE_OVEN_GAS: "m3",
    Carrier.FUEL_OIL: "t", Carrier.DIESEL: "t", Carrier.GASOLINE: "t", Carrier.LPG: "t",
    Carrier.STEAM: "t", Carrier.HEAT: "GJ", Carrier.WATER: "t", Carrier.COMPRESSED_AIR: "m3", Carrier.OXYGEN: "m3",
}


class Meter(models.Model):
    TENANT_PATH = "site__enterprise"

    class ReadingKind(models.TextChoices):
        CUMULATIVE = "cumulative", _("cumulative register")
        INTERVAL = "interval", _("interval quantity")

    class Level(models.TextChoices):
        ENTERPRISE = "enterprise", _("enterprise (incoming)")
        SUB_UNIT = "sub_unit", _("sub-unit")
        EQUIPMENT = "equipment", _("major equipment")

    class Role(models.TextChoices):
        # What the meter measures relative to the site boundary; decides how it enters comprehensive consumption.
        PURCHASE = "purchase", _("purchased energy entering the site")
        GENERATION = "generation", _("self-generated energy")
        EXPORT = "export", _("energy supplied to others")
        SUB = "sub", _("sub-meter inside the site")
        FACILITY_TOTAL = "facility_total", _("facility total (PUE numerator)")
        IT_LOAD = "it_load", _("IT equipment load (PUE denominator)")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="meters")
    production_unit = models.ForeignKey(ProductionUnit, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="meters")
    code = CodeField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True)
    carrier = models.CharField(_("energy carrier"), max_length=30, choices=Carrier.choices)
    unit = models.CharField(_("unit of measure"), max_length=10)
    reading_kind = models.CharField(_("reading kind"), max_length=12, choices=ReadingKind.choices)
    multiplier = models.DecimalField(_("multiplier (CT/PT ratio)"), max_digits=12, decimal_places=4, default=1)
    # The modulus, not the largest value shown: the rollup's delta across a wrap is new + rollover_value − previous
    # (docs/ingestion.md "Register rollover"), so a register showing at most 99,999.9 has 100,000.
    rollover_value = models.DecimalField(
        _("register rollover modulus"), max_digits=20, decimal_places=4, null=True, blank=True,
        help_text=_("The value at which the register returns to zero: the largest value it can show plus one step "
                    "of its resolution (a register showing at most 99,999.9 has 100,000). Across a wrap the "
                    "consumption is new + modulus − previous, times the multiplier."))
    interval_minutes = models.PositiveIntegerField(_("reading interval (minutes)"), default=15)
    max_reading = models.DecimalField(
        _("plausibility limit of one reading"), max_digits=24, decimal_places=4, null=True, blank=True,
        help_text=_("The largest plausible value of one reading in the meter's unit (an interval's quantity, or the "
                    "register's value); empty: the default of the carrier's unit. Larger readings are refused "
                    "(implausible_value)."))
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    level = models.CharField(_("metering level (GB 17167)"), max_length=12, choices=Level.choices)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SUB)
    accuracy_class = models.CharField(_("accuracy class"), max_length=10, blank=True)
    last_calibration = models.DateField(_("last calibration"), null=True, blank=True)
    next_calibration = models.DateField(_("next calibration due"), null=True, blank=True)
    active_from = models.DateTimeField(_("active from"))
    active_to = models.DateTimeField(_("active to"), null=True, blank=True)

    class Meta:
        ordering = ["site", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="meter_code_unique_in_site"),
            models.CheckConstraint(condition=models.Q(multiplier__gt=0), name="meter_multiplier_positive"),
            models.CheckConstraint(condition=models.Q(interval_minutes__gt=0), name="meter_interval_positive"),
        ]
        verbose_name = _("meter")
        verbose_name_plural = _("meters")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.active_to and self.active_from and self.active_to <= self.active_from:
            errors["active_to"] = _("The end of activity must be after its start.")
        unit = self.production_unit if self.production_unit_id else None
        if unit is not None and self.site_id and unit.site_id != self.site_id:
            errors["production_unit"] = _("The production unit must belong to the meter's site.")
        if self.rollover_value is not None and self.reading_kind == self.ReadingKind.INTERVAL:
            errors["rollover_value"] = _("Only cumulative registers roll over.")
        elif self.rollover_value is not None and self.rollover_value <= 0:
            errors["rollover_value"] = _("The rollover modulus must be positive.")
        if self.max_reading is not None and self.max_reading <= 0:
            errors["max_reading"] = _("The plausibility limit must be positive.")
        if self.carrier and not CarrierUnit.objects.filter(carrier=self.carrier, unit__code=self.unit).exists():
            from .units import unit_not_allowed_message

            errors["unit"] = unit_not_allowed_message(carrier=self.carrier, unit=self.unit)
        parent = self.parent if self.parent_id else None
        if parent is not None:
            if self.site_id and parent.site_id != self.site_id:
                errors["parent"] = _("The parent meter must belong to the same site.")
            elif parent.carrier != self.carrier:
                errors["parent"] = _("The parent meter must measure the same energy carrier.")
            else:
                node, seen = self.parent, set()
                while node is not None:
                    if (self.pk is not None and node.pk == self.pk) or node.pk in seen:
                        errors["parent"] = _("This parent would make the meter tree a cycle.")
                        break
                    seen.add(node.pk)
                    node = node.parent
        if errors:
            raise ValidationError(errors)


class Gateway(models.Model):
    """A site's data collector. Its API tokens are stored only as SHA-256 hashes."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="gateways")
    name = CodeField(_("name"), max_length=100)  # the gateway's identifier: the code rule applies
    allowed_meters = models.ManyToManyField(Meter, blank=True, related_name="gateways",
                                            help_text=_("Empty: every meter of the site."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="gateway_name_unique_in_site")]
        verbose_name = _("gateway")
        verbose_name_plural = _("gateways")

    def __str__(self) -> str:
        return f"{self.site.code}/{self.name}"


class GatewayToken(models.Model):
    TENANT_PATH = "gateway__site__enterprise"

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(_("prefix"), max_length=12, help_text=_("First characters, to recognise the token."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("gateway token")
        verbose_name_plural = _("gateway tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.gateway})"


class Reading(models.Model):
    """One meter value. Cumulative registers store the raw register; interval meters the quantity of the interval
    that starts at ts. The key is (meter, ts); on PostgreSQL the table is range-partitioned by month on ts."""

    pk = models.CompositePrimaryKey("meter_id", "ts")
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="+")
    ts = models.DateTimeField()
    value = models.FloatField()
    batch_id = models.BigIntegerField(null=True, blank=True)
    estimated = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.ts:%Y-%m-%dT%H:%M%z}={self.value}"


class DirtyMeterDay(models.Model):
    """A meter-day whose rollups must be recomputed: written in the same transaction as the readings, so a batch never
    depends on Redis or Celery being up; the rollup sweep consumes these rows."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text=_("Local day in the site's time zone."))
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meter", "day"], name="dirty_meter_day_unique")]
        verbose_name = _("dirty meter-day")
        verbose_name_plural = _("dirty meter-days")

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.day}"


class MeterRollup(models.Model):
    """A meter's consumption in one hour, day or month (local time of the site), in the meter's unit after the
    multiplier, with the data completeness of the bucket."""

    TENANT_PATH = "meter__site__enterprise"

    class Granularity(models.TextChoices):
        HOUR = "hour", _("hour")
        DAY = "day", _("day")
        MONTH = "month", _("month")

    # Derived, recomputable data written in bulk: no database-level foreign key (its per-row trigger doubled the cost
    # of a full recompute); Django's CASCADE still removes a deleted meter's rollups.
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="rollups", db_constraint=False,
                              db_index=False)  # the unique (meter, bucket_start) indexes serve lookups
    granularity = models.CharField(max_length=5, choices=Granularity.choices)
    bucket_start = models.DateTimeField()
    quantity = models.FloatField(help_text=_("Consumption in the meter's unit, multiplier applied."))
    expected_intervals = models.PositiveIntegerField()
    received_intervals = models.PositiveIntegerField()
    estimated_intervals = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        # One bucket per meter, granularity and start, as a partial unique index per granularity on (meter,
        # bucket_start): every read names one granularity, and the full rebuild sorts two 8-byte keys per entry
        # instead of a text column between them (40 % of the index build).
        constraints = [
            models.UniqueConstraint(fields=["meter", "bucket_start"], condition=models.Q(granularity=g),
                                    name=f"meter_rollup_{g}_unique")
            for g in ("hour", "day", "month")
        ]
        verbose_name = _("meter rollup")
        verbose_name_plural = _("meter rollups")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.granularity} {self.bucket_start:%Y-%m-%d %H:%M}"

    @property
    def completeness(self) -> float:
        return min(1.0, self.received_intervals / self.expected_intervals) if self.expected_intervals else 0.0


class IngestBatch(models.Model):
    """One accepted request of a gateway (or one chunk of an upload): traceability and idempotency."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    gateway = models.ForeignKey(Gateway, on_delete=models.PROTECT, null=True, blank=True, related_name="batches")
    batch_key = models.CharField(_("batch id"), max_length=100, null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, default="gateway")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    response = models.JSONField(default=dict, help_text=_("The answer given, replayed for a repeated batch id."))

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "batch_key"], name="ingest_batch_key_unique_per_gateway",
                                    condition=models.Q(batch_key__isnull=False)),
        ]
        verbose_name = _("ingest batch")
        verbose_name_plural = _("ingest batches")

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.accepted}/{self.rows})"


class RejectedRow(models.Model):
    TENANT_PATH = "batch__site__enterprise"

    batch = models.ForeignKey(IngestBatch, on_delete=models.CASCADE, related_name="rejected_rows")
    index = models.PositiveIntegerField()
    meter_code = models.CharField(max_length=64, blank=True)
    ts_text = models.CharField(max_length=64, blank=True)
    value_text = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=40, db_index=True)
    detail = models.CharField(max_length=300)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.index} {self.code}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    RESOLVED = "resolved", _("resolved")


class ReadingConflict(models.Model):
    """A second, different value offered for a stored (meter, ts): the stored value stays until someone decides."""

    TENANT_PATH = "meter__site__enterprise"

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="conflicts")
    ts = models.DateTimeField()
    stored_value = models.FloatField()
    offered_value = models.FloatField()
    batch = models.ForeignKey(IngestBatch, on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=15, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reading conflict")
        verbose_name_plural = _("reading conflicts")

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.ts}: {self.stored_value} vs {self.offered_value}"


class RegisterEvent(models.Model):
    """A cumulative register going backwards: a rollover (accepted) or a reset/anomaly (held for review)."""

    TENANT_PATH = "meter__site__enterprise"

    class Kind(models.TextChoices):
        ROLLOVER = "rollover", _("rollover")
        RESET = "reset", _("reset / anomaly")

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="register_events")
    ts = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    previous_value = models.FloatField()
    value = models.FloatField()
    batch = models.ForeignKey(IngestBatch, on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=15, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("register event")
        verbose_name_plural = _("register events")

    def __str__(self) -> str:
        return f"{self.kind} {self.meter_id}@{self.ts}"


class ImportJob(UploadJob):
    """An energy manager's upload of readings or monthly bills (CSV/XLSX): validated for a preview, then ingested by a
    Celery task in chunks through the same ingestion service as the gateways (lifecycle: energy_platform.uploads)."""

    TENANT_PATH = "site__enterprise"

    class Kind(models.TextChoices):
        READINGS = "readings", _("readings")
        BILLS = "bills", _("monthly bills")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    mapping = models.JSONField(_("mapping"), default=dict, blank=True,
                               help_text=_("How the file's columns are read (meters.services.imports); empty: the "
                                           "plain meter,ts,value layout."))
    preset = models.ForeignKey("ImportPreset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    refused_rows = models.JSONField(default=list, blank=True,
                                    help_text=_("Rows refused or in conflict while saving, with their reasons."))

    class Meta(UploadJob.Meta):
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"


class ImportPreset(models.Model):
    """A named mapping of an enterprise's vendor or utility export (timestamp column and format, start or end
    labelling, time zone, value columns to meters, units, decimal comma), chosen again for the next file."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    #: Readings and bills files (meters.services.imports), and monthly value added and output files (the mapping of
    #: plants.services.monthly_mapping_clean).
    KINDS = [*ImportJob.Kind.choices, ("economic", _("value added")), ("production", _("product output"))]

    kind = models.CharField(_("kind"), max_length=10, choices=KINDS, default=ImportJob.Kind.READINGS)
    mapping = models.JSONField(_("mapping"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("import preset")
        verbose_name_plural = _("import presets")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "name"], name="import_preset_name_unique")]

    def __str__(self) -> str:
        return self.name


class Bill(models.Model):
    """A monthly bill or delivery note (electricity invoice, coal delivery): quantity and amount for a period. The
    quantity is also written as an interval reading at the local start of the period, so rollups include it."""

    TENANT_PATH = "meter__site__enterprise"

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="bills")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (inclusive)"))
    quantity = models.DecimalField(_("quantity (meter unit)"), max_digits=20, decimal_places=4)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    document_no = models.CharField(_("document number"), max_length=64, blank=True)
    import_job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="bills")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meter", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "period_start"], name="bill_unique_per_meter_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="bill_period_ordered"),
        ]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.period_start}..{self.period_end}"

from .models_gateways import GatewayState, GatewayTag, ModbusDevice, ModbusPoint  # noqa: E402, F401  (models in their own module)


class GapFill(models.Model):
    """One gap filled by estimates in one action: the range, the method, the reason and who asked. Its readings are
    stored with estimated=True and batch_id = this fill's `batch` (an IngestBatch with source "estimate"), so every
    estimated reading leads back to its reason and method."""

    TENANT_PATH = "meter__site__enterprise"

    class Method(models.TextChoices):
        LINEAR = "linear", _("linear between register values")
        PROFILE = "profile", _("profile of the same weekday and time in the previous weeks")

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="gap_fills")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    reason = models.CharField(_("reason"), max_length=300)
    readings = models.PositiveIntegerField(_("estimated readings"), default=0)
    batch = models.OneToOneField(IngestBatch, on_delete=models.PROTECT, related_name="gap_fill")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                              name="gap_fill_end_after_start")]
        verbose_name = _("gap fill")
        verbose_name_plural = _("gap fills")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.start:%Y-%m-%dT%H:%M}–{self.end:%Y-%m-%dT%H:%M} ({self.method})"
