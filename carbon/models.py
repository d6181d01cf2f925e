"""Coefficients, emission factors, targets, process and green-electricity activity data, periods and the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from meters.models import Carrier
from plants.models import Enterprise, Site


class ConversionMethod(models.TextChoices):
    EQUIVALENT = "equivalent", _("equivalent (calorific) value 当量值")
    EQUAL_VALUE = "equal_value", _("equal value (generation-based) 等价值")


class EnergyCoefficient(models.Model):
    """A standard-coal conversion coefficient as published (GB/T 2589-2020 or -2008), with its source and validity.

    `coefficient` is stored exactly as published in `coefficient_unit` (kgce/kg, kgce/m3, kgce/kWh, kgce/MJ, kgce/t);
    conversion code scales the meter's unit to the denominator. An enterprise row (e.g. a supplier's measured natural
    gas value) takes precedence over the national one."""

    TENANT_PATH = "enterprise"

    carrier = models.CharField(_("energy carrier"), max_length=30, choices=Carrier.choices)
    method = models.CharField(_("electricity method"), max_length=12, choices=ConversionMethod.choices,
                              default=ConversionMethod.EQUIVALENT)
    coefficient = models.DecimalField(_("coefficient"), max_digits=12, decimal_places=6)
    coefficient_unit = models.CharField(_("unit"), max_length=12)
    year = models.PositiveIntegerField(_("year (equal-value rates)"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    source = models.CharField(_("source"), max_length=300)
    edition = models.CharField(_("edition"), max_length=60, blank=True)
    provisional = models.BooleanField(_("provisional ([check])"), default=False)
    ncv_kj = models.DecimalField(_("net calorific value (kJ per unit of the coefficient's denominator)"),
                                 max_digits=12, decimal_places=3, null=True, blank=True,
                                 help_text=_("The heating value the coefficient stands for, as the edition publishes "
                                             "it (raw coal 20,908 kJ/kg); shown next to the emissions heating value."))

    #: Set on a row returned for a date no edition covers (see `carbon.energy.coefficient_for`); not stored.
    substituted_for: dt.date | None = None

    class Meta:
        ordering = ["carrier", "method", "-valid_from"]
        verbose_name = _("energy coefficient")
        verbose_name_plural = _("energy coefficients")

    def __str__(self) -> str:
        return f"{self.carrier} {self.coefficient} {self.coefficient_unit} ({self.edition or self.source})"


class FactorSet(models.Model):
    """A published set of emission factors (one announcement), versioned."""

    class Purpose(models.TextChoices):
        REFERENCE = "reference", _("reference (reporting)")
        COMPLIANCE = "compliance", _("compliance (key-emitter verification)")

    name = models.CharField(_("name"), max_length=200)
    version = models.CharField(_("version"), max_length=40)
    publisher = models.CharField(_("publisher"), max_length=200)
    announcement = models.CharField(_("announcement"), max_length=200, blank=True)
    data_year = models.PositiveIntegerField(_("data year"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.REFERENCE)
    source = models.CharField(_("source"), max_length=300)
    provisional = models.BooleanField(_("provisional ([check])"), default=False)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                   help_text=_("Set for an enterprise's own measured factors."))
    industry_prefixes = models.CharField(
        _("industries (GB/T 4754 prefixes)"), max_length=200, blank=True,
        help_text=_("For a sector guideline: comma-separated GB/T 4754 code prefixes of the industries it governs "
                    "(e.g. C31 for steel). Empty: the general guideline, used where no sector guideline applies."))

    class Meta:
        ordering = ["-data_year", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="factor_set_version_unique")]
        verbose_name = _("emission factor set")
        verbose_name_plural = _("emission factor sets")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class EmissionFactor(models.Model):
    class Kind(models.TextChoices):
        GRID = "grid_electricity", _("grid electricity")
        FUEL = "fuel", _("fuel combustion")
        HEAT = "heat", _("purchased heat")
        STEAM = "steam", _("purchased steam")

    class Basis(models.TextChoices):
        AVERAGE = "average", _("average")
        EXCL_MARKET = "excl_market_nonfossil", _("excluding market-traded non-fossil power")
        FOSSIL = "fossil", _("fossil only")

    factor_set = models.ForeignKey(FactorSet, on_delete=models.PROTECT, related_name="factors")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    carrier = models.CharField(_("energy carrier"), max_length=30, choices=Carrier.choices)
    fuel_name = models.CharField(_("fuel"), max_length=60, blank=True)
    geography = models.CharField(_("geography"), max_length=30, default="national",
                                 help_text=_("national, a grid region (north, east, …) or a 2-digit province code"))
    basis = models.CharField(_("basis"), max_length=24, choices=Basis.choices, default=Basis.AVERAGE)
    ncv_gj_per_unit = models.DecimalField(_("net calorific value (GJ per activity unit)"), max_digits=12,
                                          decimal_places=4, null=True, blank=True)
    carbon_content_tc_per_tj = models.DecimalField(_("carbon content (tC/TJ)"), max_digits=8, decimal_places=3,
                                                   null=True, blank=True)
    oxidation_rate = models.DecimalField(_("oxidation rate"), max_digits=5, decimal_places=4, null=True, blank=True)
    value = models.DecimalField(_("factor (tCO2 per activity unit)"), max_digits=14, decimal_places=6)
    activity_unit = models.CharField(_("activity unit"), max_length=12)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300)
    provisional = models.BooleanField(_("provisional ([check])"), default=False)

    #: Set on a row chosen for a reporting year other than its data year (see `carbon.emissions.factor_select`): what
    #: was substituted and why; not stored.
    substitution: str | None = None
    #: The same as named values, so that a document can word the note in its own language.
    substitution_params: dict | None = None

    class Meta:
        ordering = ["kind", "carrier", "geography"]
        verbose_name = _("emission factor")
        verbose_name_plural = _("emission factors")

    def __str__(self) -> str:
        return f"{self.carrier} {self.geography} {self.value} tCO2/{self.activity_unit} ({self.factor_set})"

    @staticmethod
    def fuel_factor(*, ncv: Decimal, cc: Decimal, of: Decimal) -> Decimal:
        """tCO2 per activity unit = NCV (GJ/unit) × CC (tC/TJ) × OF × 44/12 ÷ 1000 (GB/T 32150, DOMAIN.md §2)."""
        return (ncv * cc * of * Decimal(44) / Decimal(12) / Decimal(1000)).quantize(Decimal("0.000001"))


class Target(models.Model):
    """A reduction target of an enterprise or a site for an indicator, from a baseline year to a target year."""

    TENANT_PATH = "enterprise"

    class Indicator(models.TextChoices):
        ENERGY_PER_VALUE_ADDED = "energy_per_value_added", _("energy per 10⁴ CNY value added")
        CARBON_PER_VALUE_ADDED = "carbon_per_value_added", _("CO2 per 10⁴ CNY value added")
        ENERGY_TCE = "energy_tce", _("comprehensive energy consumption")
        EMISSIONS_TCO2 = "emissions_tco2", _("total emissions")
        PUE = "pue", _("PUE")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="targets")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="targets")
    indicator = models.CharField(_("indicator"), max_length=30, choices=Indicator.choices)
    baseline_year = models.PositiveIntegerField(_("baseline year"))
    baseline_value = models.DecimalField(_("baseline value"), max_digits=18, decimal_places=6, null=True, blank=True,
                                         help_text=_("Empty: computed from the baseline year's data."))
    target_year = models.PositiveIntegerField(_("target year"))
    reduction_pct = models.DecimalField(_("reduction (%)"), max_digits=6, decimal_places=2,
                                        help_text=_("e.g. 13.5 for the 14th five-year plan."))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["enterprise", "indicator", "target_year"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.indicator} −{self.reduction_pct}% {self.baseline_year}→{self.target_year}"

    def clean(self) -> None:
        target_years_check(baseline_year=self.baseline_year, target_year=self.target_year)

    @property
    def unit(self) -> str:
        """The indicator's unit key (the unit of its KPI in carbon.kpis): rounding and labels of its figures."""
        return TARGET_UNITS[self.indicator]


#: Unit of each target indicator, as carbon.kpis states the KPI it follows.
TARGET_UNITS: dict[str, str] = {"energy_per_value_added": "tce/10^4 CNY", "carbon_per_value_added": "tCO2/10^4 CNY",
                                "energy_tce": "tce", "emissions_tco2": "tCO2", "pue": "ratio"}


#: Years a target may name: a year outside them was stored through the API and made every KPI read of its
#: enterprise fail (the KPIs compute the baseline year's figures).
TARGET_YEARS = (1990, 2100)


def target_years_check(*, baseline_year: int | None, target_year: int | None) -> None:
    """Refuse baseline or target years outside TARGET_YEARS (field errors, for the admin, UI and API)."""
    message = gettext("Give a year between %(first)d and %(last)d.") % {"first": TARGET_YEARS[0],
                                                                        "last": TARGET_YEARS[1]}
    errors = {name: message
              for name, year in (("baseline_year", baseline_year), ("target_year", target_year))
              if year is not None and not TARGET_YEARS[0] <= year <= TARGET_YEARS[1]}
    if errors:
        raise ValidationError(errors)


class ProcessEmission(models.Model):
    """Process emissions of a site in a month, entered as activity data with its factor."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="process_emissions")
    month = models.DateField(_("month"))
    description = models.CharField(_("description"), max_length=200)
    activity_amount = models.DecimalField(_("activity amount"), max_digits=18, decimal_places=4)
    activity_unit = models.CharField(_("activity unit"), max_length=12)
    factor_tco2_per_unit = models.DecimalField(_("factor (tCO2 per unit)"), max_digits=14, decimal_places=6)
    factor_source = models.CharField(_("factor source"), max_length=300)
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)

    class Meta:
        ordering = ["site", "month"]
        verbose_name = _("process emission")
        verbose_name_plural = _("process emissions")

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m} {self.description}"


class GreenCertificate(models.Model):
    """Purchased green-electricity certificates (GEC) or green-power deals: reported separately, never netted."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="green_certificates")
    month = models.DateField(_("month"))
    mwh = models.DecimalField(_("MWh"), max_digits=14, decimal_places=4)
    certificate_id = models.CharField(_("certificate id"), max_length=100)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)

    class Meta:
        ordering = ["site", "month"]
        verbose_name = _("green-electricity certificate")
        verbose_name_plural = _("green-electricity certificates")

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.mwh} MWh"


class AccountingPeriod(models.Model):
    """A month of an enterprise: open (figures provisional) or closed (the ledger is the record)."""

    TENANT_PATH = "enterprise"

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="periods")
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    restatement_pending = models.BooleanField(_("restatement pending"), default=False)
    restatement_reason = models.CharField(_("what changed"), max_length=500, blank=True)

    class Meta:
        ordering = ["enterprise", "-month"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "month"], name="period_unique")]
        verbose_name = _("accounting period")
        verbose_name_plural = _("accounting periods")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.month:%Y-%m} {self.status}"


class LedgerEntry(models.Model):
    """One append-only line of the carbon ledger; entries of an enterprise form a SHA-256 hash chain."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("original")
        REVERSAL = "reversal", _("reversal")
        RESTATEMENT = "restatement", _("restatement")
        CORRECTION = "correction", _("correction")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="ledger")
    seq = models.PositiveIntegerField(_("sequence"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="ledger")
    month = models.DateField(_("period month"))
    scope = models.CharField(_("scope"), max_length=12)
    source = models.CharField(_("source"), max_length=60)
    activity_amount = models.DecimalField(_("activity amount"), max_digits=20, decimal_places=6)
    activity_unit = models.CharField(_("activity unit"), max_length=12)
    factor = models.ForeignKey(EmissionFactor, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    factor_value = models.DecimalField(_("factor value"), max_digits=14, decimal_places=6)
    factor_version = models.CharField(_("factor-set version"), max_length=100)
    tco2 = models.DecimalField(_("tCO2"), max_digits=20, decimal_places=6)
    readings_from = models.DateTimeField(_("readings from"))
    readings_to = models.DateTimeField(_("readings to"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ORIGINAL)
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    created_at = models.DateTimeField()
    #: SHA-256 of the month's closing snapshots posted with this entry (close or restatement); part of the entry's
    #: hash when set, so the chain covers the frozen figures. Empty on entries from before snapshots existed.
    snapshot_sha256 = models.CharField(_("closing snapshot SHA-256"), max_length=64, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["enterprise", "seq"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "seq"], name="ledger_seq_unique")]
        indexes = [models.Index(fields=["enterprise", "month"], name="ledger_month_idx")]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.month:%Y-%m} {self.source} {self.tco2} tCO2"


class Restatement(models.Model):
    """An explicit restatement of a closed month: who, why, which ledger entries, and which reports it superseded."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="restatements")
    month = models.DateField(_("period month"))
    reason = models.CharField(_("reason"), max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    first_seq = models.PositiveIntegerField(_("first ledger entry"))
    last_seq = models.PositiveIntegerField(_("last ledger entry"))
    superseded_reports = models.JSONField(_("superseded reports"), default=list)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("restatement")
        verbose_name_plural = _("restatements")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.month:%Y-%m} restated"



class ReviewStatus(models.TextChoices):
    """Monthly MRV review of a record: entered → checked → confirmed (DOMAIN.md §10)."""

    ENTERED = "entered", _("entered")
    CHECKED = "checked", _("checked")
    CONFIRMED = "confirmed", _("confirmed")


class MrvReviewed(models.Model):
    """The monthly MRV review of a record, one definition for fuel measurements and process activity data:
    entered → checked (energy manager) → confirmed (enterprise admin), with who and when. Only confirmed months
    replace the guideline defaults in the emissions."""

    review_status = models.CharField(_("review status"), max_length=10, choices=ReviewStatus.choices,
                                     default=ReviewStatus.ENTERED)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        abstract = True


class MeasuredFuelProperty(MrvReviewed):
    """An enterprise's measured net calorific value and carbon content of a fuel in a month (monthly lab analysis,
    DOMAIN.md §2 and §10), with its evidence. It replaces the guideline default in that month's emissions."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="measured_fuel_properties")
    carrier = models.CharField(_("fuel"), max_length=30, choices=Carrier.choices)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    ncv_gj_per_unit = models.DecimalField(_("measured net calorific value (GJ per activity unit)"), max_digits=12,
                                          decimal_places=4)
    activity_unit = models.CharField(_("activity unit"), max_length=12,
                                     help_text=_("The unit of the fuel's emission factor: t, or 10^4 m3 for gases."))
    carbon_content_tc_per_tj = models.DecimalField(_("measured carbon content (tC/TJ)"), max_digits=8,
                                                   decimal_places=3)
    oxidation_rate = models.DecimalField(_("oxidation rate"), max_digits=5, decimal_places=4, null=True, blank=True,
                                         help_text=_("Empty: the guideline default of the fuel."))
    lab_report_number = models.CharField(_("lab report number"), max_length=100)
    laboratory = models.CharField(_("laboratory"), max_length=200, blank=True)
    evidence_file = models.FileField(_("lab report (file)"), upload_to="fuel-analyses/%Y/", blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    consumption = models.DecimalField(
        _("consumption (activity unit)"), max_digits=18, decimal_places=4, null=True, blank=True,
        help_text=_("The month's consumption as recorded for MRV (invoice, weighbridge); the emissions take the "
                    "boundary meters' quantity, this figure is shown next to it."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "carrier", "-month"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "carrier", "month"],
                                               name="measured_fuel_month_unique")]
        verbose_name = _("measured fuel property (NCV, carbon content)")
        verbose_name_plural = _("measured fuel properties (NCV, carbon content)")

    def __str__(self) -> str:
        return f"{self.carrier} {self.month:%Y-%m} NCV {self.ncv_gj_per_unit} CC {self.carbon_content_tc_per_tj}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.month and self.month.day != 1:
            errors["month"] = _("Give the first day of the month.")
        if self.ncv_gj_per_unit is not None and self.ncv_gj_per_unit <= 0:
            errors["ncv_gj_per_unit"] = _("Must be positive.")
        if self.carbon_content_tc_per_tj is not None and self.carbon_content_tc_per_tj <= 0:
            errors["carbon_content_tc_per_tj"] = _("Must be positive.")
        if self.oxidation_rate is not None and not (0 < self.oxidation_rate <= 1):
            errors["oxidation_rate"] = _("Between 0 and 1.")
        if self.activity_unit and self.activity_unit not in ("t", "10^4 m3"):
            errors["activity_unit"] = _("t or 10^4 m3.")
        if errors:
            raise ValidationError(errors)


class ClosingSnapshot(models.Model):
    """The figures of one site for one closed month, as recorded at close (or at a restatement): energy by carrier
    in physical units and tce with the coefficient edition and method, the value added and output used, and the
    emissions. Closed months are read from here, never recomputed from rollups. Append-only: a restatement adds the
    next version. `payload` is canonical JSON (`carbon.ledger.snapshot_dumps`); `sha256` its hash; the ledger
    entries posted with it carry the hash of the month's snapshots (`LedgerEntry.snapshot_sha256`)."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="closing_snapshots")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="closing_snapshots")
    month = models.DateField(_("period month"))
    version = models.PositiveIntegerField(_("version"), default=1)
    method = models.CharField(_("electricity conversion method"), max_length=16, choices=ConversionMethod.choices)
    payload = models.TextField(_("figures (canonical JSON)"))
    sha256 = models.CharField(max_length=64)
    #: The ledger entry (sequence number) that carries this month's snapshot hash; None when the month posted none.
    ledger_seq = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "month", "site", "-version"]
        constraints = [models.UniqueConstraint(fields=["site", "month", "method", "version"],
                                               name="closing_snapshot_unique")]
        indexes = [models.Index(fields=["enterprise", "month"], name="closing_snapshot_month_idx")]
        verbose_name = _("closing snapshot")
        verbose_name_plural = _("closing snapshots")

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m} v{self.version} {self.method}"


class GhgSector(models.TextChoices):
    """The GB/T 32151 sector guideline an enterprise or site reports by; `general` is GB/T 32150-2015 alone."""

    STEEL = "steel", _("iron and steel (GB/T 32151.5-2015)")
    CEMENT = "cement", _("cement (GB/T 32151.8-2015)")
    ALUMINIUM = "aluminium", _("aluminium smelting (GB/T 32151.4-2015)")
    GENERAL = "general", _("general method (GB/T 32150-2015)")


class GhgSectorSetting(models.Model):
    """The sector guideline chosen for an enterprise (site empty) or one of its sites; without a row the sector
    follows the enterprise's GB/T 4754 industry code (`carbon.process.ghg_sector`)."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    sector = models.CharField(_("sector guideline"), max_length=12, choices=GhgSector.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "site"], name="ghg_sector_unique")]
        verbose_name = _("GHG sector guideline")
        verbose_name_plural = _("GHG sector guidelines")

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.site_id or '-'} {self.sector}"


class ProcessFactor(models.Model):
    """Reference data: a sector guideline's process-emission factor of one material (t of gas per activity unit),
    with its published source and GWP; unverified values are provisional."""

    class Direction(models.TextChoices):
        ADD = "add", _("emission (added)")
        SUBTRACT = "subtract", _("carbon fixed in products (subtracted)")
        MEMO = "memo", _("biomass CO2 (reported separately, not in the total)")

    sector = models.CharField(_("sector guideline"), max_length=12, choices=GhgSector.choices)
    code = models.CharField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.ADD)
    gas = models.CharField(_("gas"), max_length=8, default="CO2")
    value = models.DecimalField(_("factor (t gas per activity unit)"), max_digits=16, decimal_places=9)
    activity_unit = models.CharField(_("activity unit"), max_length=12, default="t")
    gwp = models.DecimalField(_("GWP (100-year)"), max_digits=10, decimal_places=2, default=1)
    gwp_source = models.CharField(_("GWP source"), max_length=200, blank=True)
    formula = models.CharField(_("formula"), max_length=300, blank=True)
    source_zh = models.CharField(_("published source (Chinese)"), max_length=300)
    source_en = models.CharField(_("published source (English)"), max_length=300)
    provisional = models.BooleanField(_("provisional ([check])"), default=False)

    class Meta:
        ordering = ["sector", "direction", "code"]
        constraints = [models.UniqueConstraint(fields=["sector", "code", "gas"], name="process_factor_unique")]
        verbose_name = _("process emission factor")
        verbose_name_plural = _("process emission factors")

    def __str__(self) -> str:
        return f"{self.sector} {self.code} {self.value} t{self.gas}/{self.activity_unit}"


class ProcessActivity(MrvReviewed):
    """A site's monthly process activity data (t of limestone, electrodes, clinker …) against a process factor,
    with MRV review (entered → checked → confirmed) and evidence files (`MrvEvidence`)."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="process_activities")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    factor = models.ForeignKey(ProcessFactor, on_delete=models.PROTECT, related_name="activities")
    amount = models.DecimalField(_("amount (activity unit)"), max_digits=18, decimal_places=4)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "month", "factor"]
        constraints = [models.UniqueConstraint(fields=["site", "month", "factor"], name="process_activity_unique")]
        verbose_name = _("process activity data")
        verbose_name_plural = _("process activity data")

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m} {self.factor_id} {self.amount}"

    def clean(self) -> None:
        errors = {}
        if self.month and self.month.day != 1:
            errors["month"] = _("Give the first day of the month.")
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("Must not be negative.")
        if errors:
            raise ValidationError(errors)


class MrvEvidence(models.Model):
    """An evidence file of a monthly MRV record: a lab report, an invoice or a weighbridge record."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        LAB_REPORT = "lab_report", _("lab report")
        INVOICE = "invoice", _("invoice")
        WEIGHBRIDGE = "weighbridge", _("weighbridge record")
        OTHER = "other", _("other")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    fuel_property = models.ForeignKey(MeasuredFuelProperty, on_delete=models.CASCADE, null=True, blank=True,
                                      related_name="evidence")
    process_activity = models.ForeignKey(ProcessActivity, on_delete=models.CASCADE, null=True, blank=True,
                                         related_name="evidence")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reference = models.CharField(_("document number"), max_length=100)
    file = models.FileField(_("file"), upload_to="mrv-evidence/%Y/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "kind", "reference"]
        verbose_name = _("MRV evidence")
        verbose_name_plural = _("MRV evidence")

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"

    def clean(self) -> None:
        if (self.fuel_property_id is None) == (self.process_activity_id is None):
            raise ValidationError(_("Attach the evidence to one fuel measurement or one process activity."))
        owner = None
        if self.fuel_property is not None:
            owner = self.fuel_property.enterprise_id
        elif self.process_activity is not None:
            owner = self.process_activity.site.enterprise_id
        if owner is not None and self.enterprise_id is not None and owner != self.enterprise_id:
            raise ValidationError(_("The record belongs to another enterprise."))


class DataQualityPlanItem(models.Model):
    """An item of an enterprise's monthly data-quality control plan (数据质量控制计划): what is measured, how,
    how often, by whom, with which evidence."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(_("fuel or material"), max_length=100)
    parameter = models.CharField(_("parameter"), max_length=100)
    method = models.CharField(_("method and standard"), max_length=200)
    frequency = models.CharField(_("frequency"), max_length=60)
    responsible = models.CharField(_("responsible"), max_length=100)
    evidence_kind = models.CharField(_("evidence"), max_length=12, choices=MrvEvidence.Kind.choices)

    class Meta:
        ordering = ["enterprise", "subject", "parameter"]
        verbose_name = _("data-quality control plan item")
        verbose_name_plural = _("data-quality control plan items")

    def __str__(self) -> str:
        return f"{self.subject}: {self.parameter}"
