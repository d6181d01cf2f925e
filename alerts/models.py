"""Energy-use quotas, carbon allowances, alert rules and the alerts they raise (forecasting and early warning)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from meters.models import Meter
from plants.models import Enterprise, Site


class _YearlyLimit(models.Model):
    """A yearly cap of an enterprise (site empty) or of one of its sites."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             help_text=_("Empty: the whole enterprise."))
    year = models.PositiveIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    source = models.CharField(_("source"), max_length=300, blank=True,
                              help_text=_("The notice or decision that sets it."))

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.site_id and self.enterprise_id and self.site.enterprise_id != self.enterprise_id:
            raise ValidationError({"site": _("The site must belong to the enterprise.")})


class EnergyQuota(_YearlyLimit):
    """Energy-use quota (用能权 / 能耗总量控制) of a year, in tonnes of standard coal."""

    energy_tce = models.DecimalField(_("quota (tce)"), max_digits=18, decimal_places=4)

    class Meta:
        ordering = ["enterprise", "year", "site"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "site", "year"], name="energy_quota_unique_site"),
            models.UniqueConstraint(fields=["enterprise", "year"], condition=models.Q(site__isnull=True),
                                    name="energy_quota_unique_enterprise"),
            models.CheckConstraint(condition=models.Q(energy_tce__gt=0), name="energy_quota_positive"),
        ]
        verbose_name = _("energy-use quota")
        verbose_name_plural = _("energy-use quotas")

    def __str__(self) -> str:
        return f"{self.year} {self.site or self.enterprise}: {self.energy_tce} tce"


class CarbonAllowance(_YearlyLimit):
    """Carbon emission allowance (碳排放配额) of a year, in tonnes of CO2."""

    allowance_tco2 = models.DecimalField(_("allowance (tCO2)"), max_digits=18, decimal_places=4)

    class Meta:
        ordering = ["enterprise", "year", "site"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "site", "year"], name="carbon_allowance_unique_site"),
            models.UniqueConstraint(fields=["enterprise", "year"], condition=models.Q(site__isnull=True),
                                    name="carbon_allowance_unique_enterprise"),
            models.CheckConstraint(condition=models.Q(allowance_tco2__gt=0), name="carbon_allowance_positive"),
        ]
        verbose_name = _("carbon allowance")
        verbose_name_plural = _("carbon allowances")

    def __str__(self) -> str:
        return f"{self.year} {self.site or self.enterprise}: {self.allowance_tco2} tCO2"


class AlertRule(models.Model):
    """A condition checked by the periodic evaluation; one open alert per rule and condition at most."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("KPI threshold")
        PROJECTION = "projection", _("projection breaches a target or quota")
        SILENT_METER = "silent_meter", _("meter silent")
        LOAD_CHANGE = "load_change", _("sudden load change")
        GATEWAY_OFFLINE = "gateway_offline", _("gateway offline")

    class Metric(models.TextChoices):
        ENERGY_TCE = "energy_tce", _("energy consumption (tce)")
        TOTAL_TCO2 = "total_tco2", _("emissions (tCO2)")
        ENERGY_PER_VALUE_ADDED = "energy_per_value_added", _("energy per 10⁴ CNY value added")
        CARBON_INTENSITY = "carbon_intensity", _("CO2 per 10⁴ CNY value added")
        ELECTRICITY_KWH = "electricity_kwh", _("electricity consumed (kWh)")
        PUE = "pue", _("PUE")
        DATA_COMPLETENESS = "data_completeness", _("data completeness")

    class Window(models.TextChoices):
        MONTH = "month", _("current month to date")
        YEAR = "year", _("current year to date")

    class Operator(models.TextChoices):
        ABOVE = "gt", _("above")
        BELOW = "lt", _("below")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="alert_rules")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_rules",
                             help_text=_("Empty: the whole enterprise."))
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_rules",
                              help_text=_("For silent-meter and load-change rules; empty: every meter in scope."))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    metric = models.CharField(_("KPI"), max_length=30, choices=Metric.choices, blank=True)
    window = models.CharField(_("window"), max_length=5, choices=Window.choices, default=Window.MONTH)
    operator = models.CharField(_("operator"), max_length=2, choices=Operator.choices, default=Operator.ABOVE)
    threshold = models.DecimalField(
        _("threshold"), max_digits=18, decimal_places=4, null=True, blank=True,
        help_text=_("KPI limit for threshold rules; change in percent for load-change rules."))
    intervals = models.PositiveIntegerField(
        _("silent intervals"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Silent-meter rules: fire after this many reading intervals without a reading."))
    offline_minutes = models.PositiveIntegerField(
        _("offline minutes"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Gateway-offline rules: fire when a gateway of the scope has not been heard from for this long."))
    baseline_days = models.PositiveIntegerField(
        _("baseline days"), default=7, validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Load-change rules: the same hour on this many previous days is the baseline."))
    email_to = models.TextField(
        _("e-mail recipients"), blank=True,
        help_text=_("Comma-separated addresses; empty: the enterprise's energy managers and admins."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_evaluated_at = models.DateTimeField(_("last evaluated at"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["enterprise", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(baseline_days__gte=1), name="alert_rule_baseline_days_min"),
        ]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.site_id and self.enterprise_id and self.site.enterprise_id != self.enterprise_id:
            errors["site"] = _("The site must belong to the enterprise.")
        if self.meter_id:
            if self.enterprise_id and self.meter.site.enterprise_id != self.enterprise_id:
                errors["meter"] = _("The meter must belong to the enterprise.")
            elif self.site_id and self.meter.site_id != self.site_id:
                errors["meter"] = _("The meter must belong to the site.")
            if self.kind in (self.Kind.THRESHOLD, self.Kind.PROJECTION):
                errors["meter"] = _("Threshold and projection rules apply to a site or the enterprise, not a meter.")
        if self.kind == self.Kind.THRESHOLD:
            if not self.metric:
                errors["metric"] = _("Choose the KPI to watch.")
            if self.threshold is None:
                errors["threshold"] = _("Give the limit.")
            if self.metric == self.Metric.PUE and not self.site_id:
                errors["site"] = _("PUE is a data center's KPI: choose the site.")
        if self.kind == self.Kind.SILENT_METER and not self.intervals:
            errors["intervals"] = _("Give the number of silent intervals (at least 1).")
        if self.kind == self.Kind.GATEWAY_OFFLINE:
            if not self.offline_minutes:
                errors["offline_minutes"] = _("Give the number of minutes (at least 1).")
            if self.meter_id:
                errors["meter"] = _("Gateway-offline rules apply to a site or the enterprise, not a meter.")
        if self.kind == self.Kind.LOAD_CHANGE and (self.threshold is None or self.threshold <= 0):
            errors["threshold"] = _("Give the change in percent that raises an alert (above 0).")
        if errors:
            raise ValidationError(errors)

    def recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.replace(";", ",").split(",") if a.strip()]


class Alert(models.Model):
    """A condition found by a rule. Open until it clears (resolved) — acknowledging records that someone is on it."""

    TENANT_PATH = "enterprise"

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        RESOLVED = "resolved", _("resolved")

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="alerts")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    condition_key = models.CharField(max_length=200, help_text=_("What exactly fired, e.g. the meter and the hour."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    detail = models.JSONField(_("detail"), default=dict,
                              help_text=_("What was measured (rendered as a message in the reader's language)."))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True, blank=True)
    limit = models.DecimalField(_("limit"), max_digits=20, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+")
    acknowledgement_note = models.CharField(_("note"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    emailed_to = models.TextField(_("e-mailed to"), blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            # Idempotent evaluation: a condition that is still active never raises a second alert.
            models.UniqueConstraint(fields=["rule", "condition_key"], condition=models.Q(resolved_at__isnull=True),
                                    name="alert_one_active_per_condition"),
        ]
        indexes = [models.Index(fields=["enterprise", "status"], name="alert_enterprise_status")]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.rule} [{self.condition_key}] {self.status}"
