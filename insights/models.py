"""Reference values for benchmarking, monthly weather (degree days), energy baselines and savings projects."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from plants.models import Enterprise, Product, Site


class Indicator(models.TextChoices):
    ENERGY_PER_UNIT = "energy_per_unit", _("energy per unit of product")
    ENERGY_PER_VALUE_ADDED = "energy_per_value_added", _("energy per 10⁴ CNY value added")
    PUE = "pue", _("PUE")


#: The unit each indicator is computed in (a reference in another unit cannot be compared).
INDICATOR_UNITS = {Indicator.ENERGY_PER_VALUE_ADDED: "tce/10^4 CNY", Indicator.PUE: "ratio"}


class BenchmarkReference(models.Model):
    """A reference value a site's indicator is compared with (lower is better for every indicator here).

    National rows (no enterprise) come from standards and policies, each with its source; an enterprise may add its
    own rows. Rows marked provisional ([check] in DOMAIN.md) are flagged wherever they are shown."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        LIMIT = "limit", _("limit value 限定值")
        ACCESS = "access", _("access value 准入值")
        ADVANCED = "advanced", _("advanced value 先进值")
        GREEN_BASELINE = "green_baseline", _("green-factory baseline value 基准值")
        GREEN_LEADING = "green_leading", _("green-factory leading value 引领值")
        GRADE = "grade", _("energy-efficiency grade threshold 能效等级")
        POLICY = "policy", _("policy requirement 政策要求")

    indicator = models.CharField(_("indicator"), max_length=30, choices=Indicator.choices)
    site_kind = models.CharField(_("site kind"), max_length=30, choices=Site.Kind.choices, blank=True,
                                 help_text=_("Empty: applies to every kind of site."))
    product_category = models.CharField(
        _("product category"), max_length=100, blank=True,
        help_text=_("For energy per unit of product: the category a product is mapped to (e.g. crude steel)."))
    kind = models.CharField(_("kind of reference"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=100, blank=True, help_text=_("E.g. grade 1, national hub node."))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=30,
                            help_text=_("kgce/<product unit>, tce/10^4 CNY or ratio (PUE)."))
    source = models.CharField(_("source"), max_length=300)
    edition = models.CharField(_("edition"), max_length=60, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    provisional = models.BooleanField(_("provisional ([check])"), default=False)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                   help_text=_("Empty: a national reference visible to every enterprise."))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["indicator", "site_kind", "product_category", "value"]
        constraints = [models.CheckConstraint(condition=models.Q(value__gt=0), name="benchmark_reference_positive")]
        verbose_name = _("benchmark reference value")
        verbose_name_plural = _("benchmark reference values")

    def __str__(self) -> str:
        what = self.product_category or self.get_site_kind_display() or "*"
        return f"{self.get_indicator_display()} {what} {self.get_kind_display()} {self.label} = {self.value}"

    def clean(self) -> None:
        errors = {}
        if self.indicator == Indicator.ENERGY_PER_UNIT and not self.product_category:
            errors["product_category"] = _("A reference per unit of product needs a product category.")
        if self.indicator != Indicator.ENERGY_PER_UNIT and self.product_category:
            errors["product_category"] = _("Only references per unit of product have a product category.")
        expected = INDICATOR_UNITS.get(self.indicator)
        if expected and self.unit != expected:
            errors["unit"] = _("This indicator is compared in %(unit)s.") % {"unit": expected}
        if self.indicator == Indicator.ENERGY_PER_UNIT and not (self.unit or "").startswith("kgce/"):
            errors["unit"] = _("Energy per unit of product is compared in kgce/<product unit>.")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end of validity must not be before its start.")
        if errors:
            raise ValidationError(errors)


class ProductCategory(models.Model):
    """Which benchmark category a product belongs to (its references and the sibling products it is ranked with)."""

    TENANT_PATH = "product__site__enterprise"

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="benchmark_category")
    category = models.CharField(_("product category"), max_length=100)

    class Meta:
        ordering = ["category", "product"]
        verbose_name = _("product benchmark category")
        verbose_name_plural = _("product benchmark categories")

    def __str__(self) -> str:
        return f"{self.product} → {self.category}"


class MonthlyWeather(models.Model):
    """Entered monthly weather of a site: heating and cooling degree days (°C·d) and, optionally, the mean
    temperature. Degree days are entered as published by the weather service for the station near the site."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="weather")
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    hdd = models.DecimalField(_("heating degree days (°C·d)"), max_digits=8, decimal_places=2)
    cdd = models.DecimalField(_("cooling degree days (°C·d)"), max_digits=8, decimal_places=2)
    base_temperature_c = models.DecimalField(_("base temperature (°C)"), max_digits=4, decimal_places=1, default=18)
    mean_temperature_c = models.DecimalField(_("mean temperature (°C)"), max_digits=5, decimal_places=2, null=True,
                                             blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["site", "month"]
        constraints = [
            models.UniqueConstraint(fields=["site", "month"], name="weather_unique_site_month"),
            models.CheckConstraint(condition=models.Q(hdd__gte=0) & models.Q(cdd__gte=0),
                                   name="weather_degree_days_nonnegative"),
        ]
        verbose_name = _("monthly weather")
        verbose_name_plural = _("monthly weather")

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m} HDD {self.hdd} CDD {self.cdd}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("Give the first day of the month.")})


class DailyTemperature(models.Model):
    """An entered daily mean air temperature of a site (e.g. from the nearest weather station); complete months are
    turned into degree days (MonthlyWeather) by insights.services.degree_days_compute."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="daily_temperatures")
    day = models.DateField(_("day"))
    mean_c = models.DecimalField(_("daily mean temperature (°C)"), max_digits=5, decimal_places=2)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["site", "day"]
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="daily_temperature_unique_site_day"),
            models.CheckConstraint(condition=models.Q(mean_c__gte=-90) & models.Q(mean_c__lte=60),
                                   name="daily_temperature_plausible"),
        ]
        verbose_name = _("daily temperature")
        verbose_name_plural = _("daily temperatures")

    def __str__(self) -> str:
        return f"{self.site_id} {self.day} {self.mean_c} °C"


class QualityCriterion(models.Model):
    """An acceptance limit for a baseline model's statistics (ASHRAE Guideline 14 via DOMAIN.md §7), as data."""

    class Statistic(models.TextChoices):
        CV_RMSE = "cv_rmse", _("CV(RMSE)")
        NMBE = "nmbe", _("NMBE")

    statistic = models.CharField(_("statistic"), max_length=10, choices=Statistic.choices, unique=True)
    max_abs_pct = models.DecimalField(_("limit (± %)"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=300)
    provisional = models.BooleanField(_("provisional ([check])"), default=False)

    class Meta:
        ordering = ["statistic"]
        verbose_name = _("baseline quality criterion")
        verbose_name_plural = _("baseline quality criteria")

    def __str__(self) -> str:
        return f"|{self.statistic}| ≤ {self.max_abs_pct} %"


class EnergyBaseline(models.Model):
    """An energy baseline (ISO 50006): a regression of a site's monthly energy on relevant variables over a
    12-month period. Re-baselining creates a new row that supersedes the old one and records why."""

    TENANT_PATH = "site__enterprise"

    class Measure(models.TextChoices):
        ENERGY_TCE = "energy_tce", _("comprehensive energy (tce)")
        ELECTRICITY_KWH = "electricity_kwh", _("electricity consumed (kWh)")
        EMISSIONS_TCO2 = "emissions_tco2", _("scope 1 and 2 emissions (tCO₂)")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="baselines")
    name = models.CharField(_("name"), max_length=200)
    measure = models.CharField(_("energy measure"), max_length=20, choices=Measure.choices,
                               default=Measure.ENERGY_TCE)
    start_month = models.DateField(_("first month of the baseline period"))
    months = models.PositiveSmallIntegerField(_("months"), default=12)
    variables = models.JSONField(_("relevant variables"), default=list,
                                 help_text=_('E.g. ["product:HRC", "hdd", "cdd"].'))
    coefficients = models.JSONField(_("coefficients"), default=dict, editable=False)
    std_errors = models.JSONField(_("standard errors"), default=dict, editable=False)
    r_squared = models.FloatField(_("R²"), editable=False)
    cv_rmse_pct = models.FloatField(_("CV(RMSE) (%)"), editable=False)
    nmbe_pct = models.FloatField(_("NMBE (%)"), editable=False)
    n_observations = models.PositiveSmallIntegerField(editable=False)
    observations = models.JSONField(default=list, editable=False,
                                    help_text=_("The monthly data the model was fitted on."))
    active = models.BooleanField(_("active"), default=True, editable=False)
    supersedes = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, editable=False,
                                      related_name="superseded_by")
    reason = models.TextField(_("reason (re-baselining)"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "measure"], condition=models.Q(active=True),
                                    name="one_active_baseline_per_site_measure"),
        ]
        verbose_name = _("energy baseline")
        verbose_name_plural = _("energy baselines")

    def __str__(self) -> str:
        return f"{self.site.code} {self.name} ({self.start_month:%Y-%m}, {self.months} months)"


class SavingsProject(models.Model):
    """An energy-saving or fuel-switching project with its expected savings, measured against a baseline from the
    month after commissioning (项目碳评价)."""

    TENANT_PATH = "site__enterprise"

    class Kind(models.TextChoices):
        ENERGY_SAVING = "energy_saving", _("energy saving")
        FUEL_SWITCHING = "fuel_switching", _("fuel switching")
        RENEWABLE = "renewable", _("on-site renewable energy")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="savings_projects")
    baseline = models.ForeignKey(EnergyBaseline, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="projects",
                                 help_text=_("Empty: the site's active baseline of comprehensive energy."))
    emissions_baseline = models.ForeignKey(
        EnergyBaseline, on_delete=models.PROTECT, null=True, blank=True, related_name="emission_projects",
        verbose_name=_("emissions baseline"), help_text=_("Empty: the site's active baseline of emissions, if any."))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    commissioned_on = models.DateField(_("commissioning date"))
    expected_savings_tce_per_year = models.DecimalField(_("expected energy savings (tce/year)"), max_digits=14,
                                                        decimal_places=4)
    expected_reduction_tco2_per_year = models.DecimalField(_("expected emission reduction (tCO₂/year)"),
                                                           max_digits=14, decimal_places=4, null=True, blank=True)
    investment_10k_cny = models.DecimalField(_("investment (10⁴ CNY)"), max_digits=14, decimal_places=2, null=True,
                                             blank=True)

    class Meta:
        ordering = ["site", "commissioned_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expected_savings_tce_per_year__gte=0),
                                   name="project_expected_savings_nonnegative"),
        ]
        verbose_name = _("savings project")
        verbose_name_plural = _("savings projects")

    def __str__(self) -> str:
        return f"{self.site.code} {self.name}"

    def clean(self) -> None:
        errors = {}
        for field, measure in (("baseline", EnergyBaseline.Measure.ENERGY_TCE),
                               ("emissions_baseline", EnergyBaseline.Measure.EMISSIONS_TCO2)):
            chosen = getattr(self, field) if getattr(self, f"{field}_id") else None
            if chosen is None:
                continue
            if self.site_id and chosen.site_id != self.site_id:
                errors[field] = _("The baseline must belong to the project's site.")
            elif chosen.measure != measure:
                errors[field] = _("Choose a baseline of %(measure)s.") % {
                    "measure": EnergyBaseline.Measure(measure).label}
        if errors:
            raise ValidationError(errors)
