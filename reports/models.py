"""Report snapshots: immutable, versioned records of a generated report and its stored files."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSnapshot(models.Model):
    """One generated report. A done snapshot is never updated; regenerating makes version n+1."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        GREEN_FACTORY = "green_factory", _("green-factory self-evaluation")
        ENERGY = "energy", _("annual energy-use report")
        GHG = "ghg", _("GHG emissions report")
        FOOTPRINT = "footprint", _("product carbon footprint")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enterprise = models.ForeignKey("plants.Enterprise", on_delete=models.PROTECT, related_name="report_snapshots")
    site = models.ForeignKey("plants.Site", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="report_snapshots")
    year = models.PositiveIntegerField(_("year"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    lang = models.CharField(_("language"), max_length=10, default="zh-hans")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    error = models.TextField(_("error"), blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True,
                               help_text=_('Report options, e.g. {"allocation": "economic"} for a footprint.'))
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end (exclusive)"), null=True, blank=True)
    factor_versions = models.JSONField(_("factor-set versions"), default=list, blank=True)
    ledger_head = models.CharField(_("ledger head hash"), max_length=64, blank=True)
    superseded = models.BooleanField(_("superseded"), default=False)
    superseded_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report snapshot")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "site", "kind", "year", "format", "lang", "version"],
                                    name="report_snapshot_version_unique", nulls_distinct=False),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year} {self.format}/{self.lang} v{self.version}"

    def save(self, *args, **kwargs):
        """A done snapshot is immutable: regenerate (new version) instead of saving over it."""
        if self.pk and type(self).objects.filter(pk=self.pk, status=self.Status.DONE).exists():
            from energy_platform.errors import ApplicationError

            raise ApplicationError("report_snapshot_immutable",
                                   "A generated report is immutable; regenerate it instead.", status_code=409)
        super().save(*args, **kwargs)


class ReportFile(models.Model):
    """A stored file of a snapshot with its SHA-256."""

    TENANT_PATH = "snapshot__enterprise"

    snapshot = models.ForeignKey(ReportSnapshot, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("report file")

    def __str__(self) -> str:
        return self.name


class IndicatorSet(models.Model):
    """A green-factory indicator set (GB/T 36132 edition, per industry code prefix), loaded and edited as data."""

    class Edition(models.TextChoices):
        E2025 = "GB/T 36132-2025", "GB/T 36132-2025"
        E2018 = "GB/T 36132-2018", "GB/T 36132-2018"

    edition = models.CharField(_("edition"), max_length=20, choices=Edition.choices)
    industry_prefix = models.CharField(_("industry code prefix (GB/T 4754, empty = any)"), max_length=5, blank=True)
    name = models.CharField(_("name"), max_length=200)
    provisional = models.BooleanField(_("provisional"), default=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    thresholds = models.JSONField(_("score thresholds"), default=dict, blank=True,
                                  help_text=_('e.g. {"provincial": 80, "national": 90}'))
    thresholds_source = models.CharField(_("source of the thresholds and grading"), max_length=300, blank=True,
                                         help_text=_("The published document the thresholds are taken from."))
    groups = models.JSONField(
        _("first-level groups"), default=list, blank=True,
        help_text=_('In order: [{"name": "能源低碳化", "name_en": "…", "weight": 30, "description_zh": "…", '
                    '"description_en": "…"}]'))

    class Meta:
        verbose_name = _("green-factory indicator set")

    def __str__(self) -> str:
        return f"{self.edition} {self.industry_prefix or '*'} {self.name}"


class Indicator(models.Model):
    class Direction(models.TextChoices):
        LOWER = "lower_is_better", _("lower is better")
        HIGHER = "higher_is_better", _("higher is better")

    class Source(models.TextChoices):
        COMPUTED = "computed", _("computed from platform data")
        ENTERED = "entered", _("entered with evidence")

    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="indicators")
    group = models.CharField(_("first-level group"), max_length=60)
    code = models.CharField(_("code"), max_length=30)
    name_zh = models.CharField(_("name (zh)"), max_length=200)
    name_en = models.CharField(_("name (en)"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    baseline_value = models.DecimalField(_("baseline value 基准值"), max_digits=18, decimal_places=6)
    leading_value = models.DecimalField(_("leading value 引领值"), max_digits=18, decimal_places=6)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    metric_key = models.CharField(_("metric key"), max_length=60, blank=True)
    provisional = models.BooleanField(_("provisional"), default=True)
    subgroup = models.CharField(_("second-level indicator"), max_length=60, blank=True)
    mandatory = models.BooleanField(_("mandatory"), default=False)
    reference = models.CharField(_("source document"), max_length=300, blank=True,
                                 help_text=_("The published standard or document the indicator and values come from."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("green-factory indicator")
        ordering = ["indicator_set", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["indicator_set", "code"], name="indicator_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"


class BasicRequirement(models.Model):
    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="requirements")
    code = models.CharField(_("code"), max_length=30)
    text_zh = models.CharField(_("requirement (zh)"), max_length=300)
    text_en = models.CharField(_("requirement (en)"), max_length=300)
    reference = models.CharField(_("source document"), max_length=300, blank=True)
    provisional = models.BooleanField(_("provisional"), default=True)

    class Meta:
        verbose_name = _("basic requirement")
        ordering = ["indicator_set", "code"]

    def __str__(self) -> str:
        return self.code


class IndicatorEntry(models.Model):
    """An entered indicator value of a factory site (or, without a site, of the whole enterprise) for a year, with
    evidence (certificate, monitoring report, photo)."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey("plants.Enterprise", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("plants.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             help_text=_("The factory the value is of; empty = the whole enterprise."))
    year = models.PositiveIntegerField(_("year"))
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="entries")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=6)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="evidence/%Y/", blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("indicator entry")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year", "indicator"],
                                               condition=models.Q(site__isnull=True), name="indicator_entry_unique"),
                       models.UniqueConstraint(fields=["site", "year", "indicator"],
                                               condition=models.Q(site__isnull=False),
                                               name="indicator_entry_site_unique")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"

    def clean(self) -> None:
        if self.site_id is not None and self.site.enterprise_id != self.enterprise_id:
            raise ValidationError({"site": _("The site belongs to another enterprise.")})


class RequirementEntry(models.Model):
    """Whether a factory site (or, without a site, the whole enterprise) meets a basic requirement in a year."""

    TENANT_PATH = "enterprise"

    enterprise = models.ForeignKey("plants.Enterprise", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("plants.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             help_text=_("The factory assessed; empty = the whole enterprise."))
    year = models.PositiveIntegerField(_("year"))
    requirement = models.ForeignKey(BasicRequirement, on_delete=models.CASCADE, related_name="entries")
    passed = models.BooleanField(_("passed"))
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="evidence/%Y/", blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("requirement entry")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year", "requirement"],
                                               condition=models.Q(site__isnull=True),
                                               name="requirement_entry_unique"),
                       models.UniqueConstraint(fields=["site", "year", "requirement"],
                                               condition=models.Q(site__isnull=False),
                                               name="requirement_entry_site_unique")]

    def __str__(self) -> str:
        return f"{self.requirement.code} {self.year}: {self.passed}"


class GreenFactoryProfile(models.Model):
    """What a factory's self-evaluation report says in words for a year: overview, basic information, improvement
    plan (the MIIT template's narrative parts)."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey("plants.Site", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField(_("year"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    land_area_m2 = models.DecimalField(_("land area (m²)"), max_digits=14, decimal_places=2, null=True, blank=True)
    enterprise_overview = models.TextField(_("enterprise overview"), blank=True)
    plant_overview = models.TextField(_("plant overview (processes, products, main equipment)"), blank=True)
    improvement_plan = models.TextField(_("improvement plan"), blank=True)

    class Meta:
        verbose_name = _("green-factory profile")
        constraints = [models.UniqueConstraint(fields=["site", "year"], name="green_factory_profile_unique")]

    def __str__(self) -> str:
        return f"{self.site} {self.year}"


class MeteringRequirement(models.Model):
    """GB 17167-2006 required equipping rate (%) for a carrier at a metering level (DOMAIN.md §6), as data."""

    carrier = models.CharField(_("carrier"), max_length=30)
    level = models.CharField(_("level"), max_length=20)
    required_rate_pct = models.DecimalField(_("required equipping rate %"), max_digits=5, decimal_places=1)
    source = models.CharField(_("source"), max_length=200, default="GB 17167-2006")

    class Meta:
        verbose_name = _("metering requirement")
        constraints = [models.UniqueConstraint(fields=["carrier", "level"], name="metering_requirement_unique")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.level} {self.required_rate_pct}%"


class ProductPrice(models.Model):
    """Average unit price of a product in a year, for economic allocation of a product carbon footprint."""

    TENANT_PATH = "product__site__enterprise"

    product = models.ForeignKey("plants.Product", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField(_("year"))
    price_cny_per_unit = models.DecimalField(_("unit price (CNY per unit of output)"), max_digits=16,
                                             decimal_places=4)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("product price")
        constraints = [
            models.UniqueConstraint(fields=["product", "year"], name="product_price_unique"),
            models.CheckConstraint(condition=models.Q(price_cny_per_unit__gt=0), name="product_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.year}: {self.price_cny_per_unit}"


class LimitStandard(models.Model):
    """A national energy-consumption limit standard for a product (单位产品能源消耗限额: GB 21256, GB 16780,
    GB 21346 …): limit 限定值, access 准入值 and advanced 先进值 values of one indicator, as global reference data with
    its source; values not read in a copy of the standard are flagged provisional."""

    standard = models.CharField(_("standard"), max_length=60, help_text=_("e.g. GB 21346-2013"))
    title = models.CharField(_("title of the standard"), max_length=200)
    product_zh = models.CharField(_("product / process (zh)"), max_length=100)
    product_en = models.CharField(_("product / process (en)"), max_length=100)
    indicator_zh = models.CharField(_("indicator (zh)"), max_length=100)
    indicator_en = models.CharField(_("indicator (en)"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, default="kgce/t")
    limit_value = models.DecimalField(_("limit value 限定值"), max_digits=12, decimal_places=3, null=True, blank=True)
    access_value = models.DecimalField(_("access value 准入值"), max_digits=12, decimal_places=3, null=True, blank=True)
    advanced_value = models.DecimalField(_("advanced value 先进值"), max_digits=12, decimal_places=3, null=True,
                                         blank=True)
    electricity_method = models.CharField(_("electricity converted by"), max_length=12, default="equivalent",
                                          choices=[("equivalent", _("equivalent value 当量值")),
                                                   ("equal_value", _("equal value 等价值"))])
    valid_from = models.DateField(_("in force from"), null=True, blank=True)
    valid_to = models.DateField(_("replaced on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300)
    provisional = models.BooleanField(_("provisional (not verified against the standard)"), default=True)

    class Meta:
        verbose_name = _("product energy limit standard")
        ordering = ["standard", "product_zh"]

    def __str__(self) -> str:
        return f"{self.standard} {self.product_zh} {self.indicator_zh}"


class ProductLimit(models.Model):
    """Which limit standard a product of a site is compared with in the energy-utilisation report."""

    TENANT_PATH = "product__site__enterprise"

    product = models.OneToOneField("plants.Product", on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey(LimitStandard, on_delete=models.PROTECT, related_name="products")

    class Meta:
        verbose_name = _("product limit standard")

    def __str__(self) -> str:
        return f"{self.product_id} → {self.standard}"


class MainEquipment(models.Model):
    """A main energy-using equipment of a site (主要用能设备), as entered for the energy-utilisation report."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey("plants.Site", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    model = models.CharField(_("model"), max_length=100, blank=True)
    carrier = models.CharField(_("energy carrier"), max_length=30, blank=True)
    quantity = models.PositiveIntegerField(_("number of units"), default=1)
    rated_power_kw = models.DecimalField(_("rated power or capacity (kW)"), max_digits=12, decimal_places=1,
                                         null=True, blank=True)
    commissioned_year = models.PositiveIntegerField(_("year commissioned"), null=True, blank=True)
    efficiency_note = models.CharField(_("efficiency / energy-efficiency grade"), max_length=200, blank=True)
    obsolete = models.BooleanField(_("listed for elimination (淘汰目录)"), default=False)

    class Meta:
        verbose_name = _("main energy-using equipment")
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return f"{self.site_id} {self.name} {self.model}"


class CarrierYear(models.Model):
    """A site's entries per energy carrier and year for the energy-utilisation report: stock at the start and end of
    the year (in the carrier's meter unit) and the reason for the change against the previous year."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey("plants.Site", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField(_("year"))
    carrier = models.CharField(_("energy carrier"), max_length=30)
    opening_stock = models.DecimalField(_("stock at the start of the year"), max_digits=18, decimal_places=4,
                                        null=True, blank=True)
    closing_stock = models.DecimalField(_("stock at the end of the year"), max_digits=18, decimal_places=4,
                                        null=True, blank=True)
    change_reason = models.TextField(_("reason for the change against the previous year"), blank=True)

    class Meta:
        verbose_name = _("carrier year entry")
        constraints = [models.UniqueConstraint(fields=["site", "year", "carrier"], name="carrier_year_unique")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.year} {self.carrier}"


class MeteringPoints(models.Model):
    """How many metering points GB 17167 requires a site to meter per carrier and level (the inventory the required
    equipping rate applies to); installed meters are counted from the meter register."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey("plants.Site", on_delete=models.CASCADE, related_name="+")
    carrier = models.CharField(_("energy carrier"), max_length=30)
    level = models.CharField(_("level"), max_length=20)
    points = models.PositiveIntegerField(_("metering points to be metered"))

    class Meta:
        verbose_name = _("metering points")
        verbose_name_plural = _("metering points")
        constraints = [models.UniqueConstraint(fields=["site", "carrier", "level"], name="metering_points_unique")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.carrier} {self.level}: {self.points}"
