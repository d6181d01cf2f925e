"""Energy cost: tariffs and time-of-use calendars as versioned data, and the cost computed from meter data.

Reference rows (TOU calendars, power-factor tables) with `enterprise` empty are national/provincial data, read by
everyone and edited by platform staff only; tariffs and carrier prices belong to a site (DOMAIN.md §12).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meters.models import Carrier, Meter
from plants.models import Enterprise, Site


class Band(models.TextChoices):
    CRITICAL_PEAK = "critical_peak", _("critical peak 尖峰")
    PEAK = "peak", _("peak 高峰")
    FLAT = "flat", _("flat 平段")
    VALLEY = "valley", _("valley 低谷")
    DEEP_VALLEY = "deep_valley", _("deep valley 深谷")


#: Display order of the bands, most expensive first.
BANDS = [Band.CRITICAL_PEAK, Band.PEAK, Band.FLAT, Band.VALLEY, Band.DEEP_VALLEY]


class VersionedData(models.Model):
    """Source, validity and the provisional flag every tariff row carries."""

    source = models.CharField(_("source"), max_length=300, help_text=_("Notice, document number or contract."))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (inclusive)"), null=True, blank=True)
    provisional = models.BooleanField(_("provisional"), default=False,
                                      help_text=_("Not verified against the published source."))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end of validity must not be before its start.")})

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class TouCalendar(VersionedData):
    """A province's time-of-use calendar (one version): which band each quarter-hour of a day is in, by month and by
    day type (work day or holiday)."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   help_text=_("Empty: a published calendar every enterprise may use."))
    province_code = models.CharField(_("province (GB/T 2260, 2 digits)"), max_length=2)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["province_code", "-valid_from"]
        verbose_name = _("time-of-use calendar")
        verbose_name_plural = _("time-of-use calendars")

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%Y-%m-%d})"


class TouPeriod(models.Model):
    """One band over a span of the day in some months. Spans of `holiday` rows replace the others on the
    calendar's holidays; `workday` rows apply on other days; `all` rows apply where neither says anything."""

    TENANT_PATH = "calendar__enterprise"

    class DayType(models.TextChoices):
        ALL = "all", _("every day")
        WORKDAY = "workday", _("non-holidays")
        HOLIDAY = "holiday", _("holidays")

    calendar = models.ForeignKey(TouCalendar, on_delete=models.CASCADE, related_name="periods")
    months = models.CharField(_("months"), max_length=40, default="1,2,3,4,5,6,7,8,9,10,11,12",
                              help_text=_("Comma-separated months, e.g. 7,8 for the summer critical peak."))
    day_type = models.CharField(_("day type"), max_length=8, choices=DayType.choices, default=DayType.ALL)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("00:00 means midnight at the end of the day."))
    band = models.CharField(_("band"), max_length=16, choices=Band.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=0, help_text=_("Where spans overlap, the higher priority wins (尖峰 inside 高峰)."))

    class Meta:
        ordering = ["calendar", "priority", "start"]
        verbose_name = _("time-of-use span")
        verbose_name_plural = _("time-of-use spans")

    def __str__(self) -> str:
        return f"{self.months} {self.start:%H:%M}-{self.end:%H:%M} {self.band}"

    def month_list(self) -> list[int]:
        return [int(m) for m in self.months.replace(" ", "").split(",") if m]

    def clean(self) -> None:
        try:
            months = self.month_list()
        except ValueError:
            months = [0]
        if not months or any(not 1 <= m <= 12 for m in months):
            raise ValidationError({"months": _("List months 1 to 12, separated by commas.")})
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and (value.minute % 15 or value.second):
                raise ValidationError({name: _("Spans start and end on a quarter-hour.")})
        if self.start is not None and self.end is not None and self.end != dt.time(0) and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start (split spans crossing midnight).")})


class TouHoliday(models.Model):
    """A day on which the calendar's holiday spans apply (the province's holiday rule, as dates)."""

    TENANT_PATH = "calendar__enterprise"

    calendar = models.ForeignKey(TouCalendar, on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="tou_holiday_unique")]
        verbose_name = _("time-of-use holiday")
        verbose_name_plural = _("time-of-use holidays")

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class PowerFactorTable(VersionedData):
    """The power-factor adjustment (力调电费) table for one standard value (0.90, 0.85 or 0.80)."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    standard = models.DecimalField(_("standard power factor"), max_digits=3, decimal_places=2)

    class Meta:
        ordering = ["-standard", "-valid_from"]
        verbose_name = _("power-factor adjustment table")
        verbose_name_plural = _("power-factor adjustment tables")

    def __str__(self) -> str:
        return f"{self.name} ({self.standard})"


class PowerFactorStep(models.Model):
    """From this monthly power factor (rounded to two decimals) up to the next step, the bill changes by
    `adjustment_pct` percent (+ raises, − lowers it)."""

    TENANT_PATH = "table__enterprise"

    table = models.ForeignKey(PowerFactorTable, on_delete=models.CASCADE, related_name="steps")
    power_factor = models.DecimalField(_("power factor from"), max_digits=3, decimal_places=2)
    adjustment_pct = models.DecimalField(_("adjustment (%)"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["table", "power_factor"]
        constraints = [models.UniqueConstraint(fields=["table", "power_factor"], name="pf_step_unique")]
        verbose_name = _("power-factor step")
        verbose_name_plural = _("power-factor steps")

    def __str__(self) -> str:
        return f"≥{self.power_factor}: {self.adjustment_pct:+}%"


class ElectricityTariff(VersionedData):
    """One version of a site's electricity tariff: energy price per band, government funds per kWh and, for a
    two-part tariff, the capacity charge by transformer kVA or by maximum demand kW; the power-factor standard.
    Without `meter` it applies to every electricity meter of the site; capacity charges and the power-factor
    adjustment apply to its billing meters (top-level meters whose role is purchase)."""

    TENANT_PATH = "site__enterprise"

    class Kind(models.TextChoices):
        SINGLE_PART = "single_part", _("single-part")
        TWO_PART = "two_part", _("two-part")

    class CapacityBasis(models.TextChoices):
        NONE = "none", _("none")
        TRANSFORMER_KVA = "kva", _("transformer capacity (kVA)")
        MAX_DEMAND_KW = "kw", _("maximum demand (kW)")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="electricity_tariffs")
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              help_text=_("Empty: every electricity meter of the site without a tariff of its own."))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    calendar = models.ForeignKey(TouCalendar, on_delete=models.PROTECT, related_name="tariffs")
    price_critical_peak = models.DecimalField(_("尖峰 price (CNY/kWh)"), max_digits=8, decimal_places=6,
                                              null=True, blank=True)
    price_peak = models.DecimalField(_("高峰 price (CNY/kWh)"), max_digits=8, decimal_places=6)
    price_flat = models.DecimalField(_("平段 price (CNY/kWh)"), max_digits=8, decimal_places=6)
    price_valley = models.DecimalField(_("低谷 price (CNY/kWh)"), max_digits=8, decimal_places=6)
    price_deep_valley = models.DecimalField(_("深谷 price (CNY/kWh)"), max_digits=8, decimal_places=6,
                                            null=True, blank=True)
    funds_cny_per_kwh = models.DecimalField(_("government funds and surcharges (CNY/kWh)"), max_digits=8,
                                            decimal_places=6, default=Decimal(0))
    capacity_basis = models.CharField(_("capacity charge by"), max_length=4, choices=CapacityBasis.choices,
                                      default=CapacityBasis.NONE)
    capacity_price_cny = models.DecimalField(_("capacity price (CNY per kVA or kW per month)"), max_digits=8,
                                             decimal_places=4, null=True, blank=True)
    transformer_kva = models.DecimalField(_("transformer capacity (kVA)"), max_digits=10, decimal_places=1,
                                          null=True, blank=True)
    pf_table = models.ForeignKey(PowerFactorTable, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("power-factor adjustment table"))
    reactive_meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("reactive energy meter (kvarh)"),
        help_text=_("The register of reactive energy of the billing meter; without it there is no adjustment."))

    class Meta:
        ordering = ["site", "-valid_from"]
        verbose_name = _("electricity tariff")
        verbose_name_plural = _("electricity tariffs")

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%Y-%m-%d})"

    def price(self, band: str) -> Decimal | None:
        return getattr(self, f"price_{band}")

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.kind == self.Kind.TWO_PART and self.capacity_basis == self.CapacityBasis.NONE:
            errors["capacity_basis"] = _("A two-part tariff has a capacity charge.")
        if self.capacity_basis != self.CapacityBasis.NONE and self.capacity_price_cny is None:
            errors["capacity_price_cny"] = _("Give the capacity price.")
        if self.capacity_basis == self.CapacityBasis.TRANSFORMER_KVA and not self.transformer_kva:
            errors["transformer_kva"] = _("Give the transformer capacity.")
        if self.meter_id and self.site_id and self.meter.site_id != self.site_id:
            errors["meter"] = _("The meter must belong to the site.")
        if self.meter_id and self.meter.carrier != Carrier.ELECTRICITY:
            errors["meter"] = _("An electricity tariff applies to an electricity meter.")
        if errors:
            raise ValidationError(errors)


class CarrierPrice(VersionedData):
    """A contract's unit price of another carrier (gas, water, steam, heat, coal) for a site, per meter unit."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="carrier_prices")
    carrier = models.CharField(_("energy carrier"), max_length=30, choices=Carrier.choices)
    price_cny = models.DecimalField(_("unit price (CNY per meter unit)"), max_digits=12, decimal_places=6)

    class Meta:
        ordering = ["site", "carrier", "-valid_from"]
        constraints = [models.CheckConstraint(condition=Q(price_cny__gte=0), name="carrier_price_not_negative")]
        verbose_name = _("carrier price")
        verbose_name_plural = _("carrier prices")

    def __str__(self) -> str:
        return f"{self.carrier} {self.price_cny} ({self.valid_from:%Y-%m-%d})"

    def clean(self) -> None:
        super().clean()
        if self.carrier in (Carrier.ELECTRICITY, Carrier.PV_GENERATION, Carrier.GREEN_ELECTRICITY):
            raise ValidationError({"carrier": _("Electricity is priced by an electricity tariff.")})


class MeterCostDay(models.Model):
    """A meter's cost on one local day (derived; recomputed from readings): quantity, energy charge and funds,
    the day's maximum demand (electricity) and the rollup figures it was computed against."""

    TENANT_PATH = "meter__site__enterprise"

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    quantity = models.DecimalField(max_digits=20, decimal_places=4)
    energy_cny = models.DecimalField(max_digits=18, decimal_places=4, null=True,
                                     help_text=_("Empty: no tariff or price valid on the day."))
    funds_cny = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    max_demand_kw = models.DecimalField(max_digits=16, decimal_places=4, null=True)
    max_demand_at = models.DateTimeField(null=True)
    tariff = models.ForeignKey(ElectricityTariff, on_delete=models.SET_NULL, null=True, related_name="+",
                               db_constraint=False)
    carrier_price = models.ForeignKey(CarrierPrice, on_delete=models.SET_NULL, null=True, related_name="+",
                                      db_constraint=False)
    rollup_quantity = models.FloatField(null=True, help_text=_("The day rollup's quantity when computed."))
    rollup_received = models.IntegerField(null=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meter", "day"], name="meter_cost_day_unique")]
        verbose_name = _("meter cost (day)")
        verbose_name_plural = _("meter costs (day)")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.day}"


class MeterBandDay(models.Model):
    """A meter's electricity in one time-of-use band on one local day."""

    TENANT_PATH = "meter__site__enterprise"

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    band = models.CharField(max_length=16, choices=Band.choices)
    energy_kwh = models.DecimalField(max_digits=20, decimal_places=4)
    energy_cny = models.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meter", "day", "band"], name="meter_band_day_unique")]
        verbose_name = _("meter band energy (day)")
        verbose_name_plural = _("meter band energy (day)")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.day} {self.band}"


class MeterCostMonth(models.Model):
    """A meter's cost in one month: energy charge and funds from its days, the month's maximum demand, and for a
    billing meter the capacity charge and the power-factor adjustment. Frozen (`frozen_at`) when the month closes:
    recomputation leaves it, its days and bands alone."""

    TENANT_PATH = "meter__site__enterprise"

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    month = models.DateField(help_text=_("First day of the month."))
    quantity = models.DecimalField(max_digits=20, decimal_places=4)
    energy_cny = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    funds_cny = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    max_demand_kw = models.DecimalField(max_digits=16, decimal_places=4, null=True)
    max_demand_at = models.DateTimeField(null=True)
    capacity_cny = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    reactive_kvarh = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    power_factor = models.DecimalField(max_digits=5, decimal_places=4, null=True)
    pf_adjustment_pct = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    pf_adjustment_cny = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    total_cny = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    tariff = models.ForeignKey(ElectricityTariff, on_delete=models.SET_NULL, null=True, related_name="+",
                               db_constraint=False)
    billing = models.BooleanField(default=False, help_text=_("A billing meter: capacity and power factor apply."))
    frozen_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meter", "month"], name="meter_cost_month_unique")]
        verbose_name = _("meter cost (month)")
        verbose_name_plural = _("meter costs (month)")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.month:%Y-%m}"
