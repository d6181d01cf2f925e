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
        CBAM = "cbam", _("EU CBAM installation communication")

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


# -- product footprint upstream data and EU CBAM installation data (issue 16 items 3 and 4) ---------------------------

UNLOCODE_RE = r"^[A-Z]{2}[A-Z2-9]{3}$"


def validate_unlocode(value: str) -> None:
    """UN/LOCODE: 2-letter ISO 3166 country code + 3 characters (letters or digits 2-9), e.g. CNTGS."""
    import re

    if not re.fullmatch(UNLOCODE_RE, value or ""):
        raise ValidationError(_("A UN/LOCODE is a 2-letter country code and 3 letters or digits 2-9, e.g. CNTVS."),
                              code="invalid_unlocode")


class UpstreamFactor(models.Model):
    """Cradle-to-gate emission factor of a purchased material or precursor (tCO2e per unit, GWP100), supplier-specific
    or a published default, as data with its source; provisional until the enterprise confirms it."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        SUPPLIER = "supplier_specific", _("supplier-specific")
        DEFAULT = "default", _("default value")

    enterprise = models.ForeignKey("plants.Enterprise", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=10, default="t")
    value_tco2e_per_unit = models.DecimalField(_("embedded emissions (tCO2e per unit)"), max_digits=14,
                                               decimal_places=6)
    indirect_tco2e_per_unit = models.DecimalField(
        _("of which indirect, from electricity (tCO2e per unit)"), max_digits=14, decimal_places=6, default=0,
        help_text=_("The part of the embedded emissions from electricity consumed upstream (CBAM indirect)."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DEFAULT)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=300)
    data_year = models.PositiveIntegerField(_("data year"), null=True, blank=True)
    provisional = models.BooleanField(_("provisional"), default=True,
                                      help_text=_("Not confirmed by the enterprise: reports flag it."))
    gwp_basis = models.CharField(_("characterisation"), max_length=60, default="GWP100")

    class Meta:
        verbose_name = _("upstream emission factor")
        ordering = ["enterprise", "code"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "code"], name="upstream_factor_code_unique"),
            models.CheckConstraint(condition=models.Q(value_tco2e_per_unit__gte=0), name="upstream_factor_nonneg"),
            models.CheckConstraint(condition=models.Q(indirect_tco2e_per_unit__gte=0)
                                   & models.Q(indirect_tco2e_per_unit__lte=models.F("value_tco2e_per_unit")),
                                   name="upstream_factor_indirect_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.value_tco2e_per_unit} tCO2e/{self.unit}"


class MaterialPurchase(models.Model):
    """Quantity of a purchased material or precursor consumed in a month for a product (or for the site's products
    together, shared by the footprint's allocation rule), in its factor's unit."""

    TENANT_PATH = "site__enterprise"

    class Role(models.TextChoices):
        MATERIAL = "material", _("purchased material")
        PRECURSOR = "precursor", _("precursor (CBAM)")

    site = models.ForeignKey("plants.Site", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("plants.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                help_text=_("Empty: used by the site's products together (shared by the rule)."))
    factor = models.ForeignKey(UpstreamFactor, on_delete=models.PROTECT, related_name="purchases")
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    quantity = models.DecimalField(_("quantity consumed (factor unit)"), max_digits=18, decimal_places=4)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MATERIAL)
    cn_code = models.CharField(_("CN code of a precursor"), max_length=8, blank=True)
    country_of_origin = models.CharField(_("country of origin (ISO 3166)"), max_length=2, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("purchased material consumption")
        ordering = ["site", "month", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["site", "product", "factor", "month"], name="material_purchase_unique",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="material_purchase_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m} {self.factor_id}: {self.quantity}"

    def clean(self) -> None:
        from plants.validators import validate_cn_code

        errors = {}
        if self.month and self.month.day != 1:
            errors["month"] = _("Give the first day of the month.")
        if self.product_id and self.site_id and self.product.site_id != self.site_id:
            errors["product"] = _("The product must belong to the site.")
        if self.factor_id and self.site_id and self.factor.enterprise_id != self.site.enterprise_id:
            errors["factor"] = _("The factor must belong to the site's enterprise.")
        if self.cn_code:
            try:
                validate_cn_code(self.cn_code)
            except ValidationError as exc:
                errors["cn_code"] = exc.messages[0]
        if errors:
            raise ValidationError(errors)


class CbamInstallation(models.Model):
    """The EU CBAM communication data of an installation (a site): identification, location, production routes."""

    TENANT_PATH = "site__enterprise"

    site = models.OneToOneField("plants.Site", on_delete=models.PROTECT, related_name="cbam_installation")
    name = models.CharField(_("installation name"), max_length=200)
    operator_name = models.CharField(_("operator"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    postcode = models.CharField(_("post code"), max_length=20, blank=True)
    country = models.CharField(_("country (ISO 3166)"), max_length=2, default="CN")
    unlocode = models.CharField(_("UN/LOCODE"), max_length=5, validators=[validate_unlocode])
    latitude = models.DecimalField(_("latitude (°)"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude (°)"), max_digits=9, decimal_places=6)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    production_routes = models.JSONField(
        _("production routes"), default=list, blank=True,
        help_text=_('[{"category": "Iron or steel products", "route": "hot rolling of purchased slab", '
                    '"products": ["HRC"]}]'))

    class Meta:
        verbose_name = _("CBAM installation")
        ordering = ["site"]
        constraints = [
            models.CheckConstraint(condition=models.Q(latitude__gte=-90, latitude__lte=90)
                                   & models.Q(longitude__gte=-180, longitude__lte=180),
                                   name="cbam_installation_coords"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unlocode})"


class CarbonPricePaid(models.Model):
    """A carbon price due in the country of origin for a good of a year (CBAM Regulation 2023/956 Art. 9): the
    instrument, the price per tCO2e and the specific emissions it covers, less free allocation."""

    TENANT_PATH = "product__site__enterprise"

    product = models.ForeignKey("plants.Product", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField(_("year"))
    instrument = models.CharField(_("carbon pricing instrument"), max_length=200)
    price_per_tco2e = models.DecimalField(_("price per tCO2e"), max_digits=12, decimal_places=4)
    currency = models.CharField(_("currency (ISO 4217)"), max_length=3, default="CNY")
    covered_tco2e_per_unit = models.DecimalField(_("specific emissions covered (tCO2e/t)"), max_digits=12,
                                                 decimal_places=6)
    free_allocation_tco2e_per_unit = models.DecimalField(_("free allocation or compensation (tCO2e/t)"),
                                                         max_digits=12, decimal_places=6, default=0)
    source = models.CharField(_("source"), max_length=300, blank=True)
    provisional = models.BooleanField(_("provisional"), default=True)

    class Meta:
        verbose_name = _("carbon price paid")
        ordering = ["product", "year", "instrument"]
        constraints = [
            models.UniqueConstraint(fields=["product", "year", "instrument"], name="carbon_price_paid_unique"),
            models.CheckConstraint(condition=models.Q(price_per_tco2e__gte=0)
                                   & models.Q(covered_tco2e_per_unit__gte=0)
                                   & models.Q(free_allocation_tco2e_per_unit__gte=0), name="carbon_price_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.year} {self.instrument}"

    @property
    def amount_per_unit(self):
        """Carbon price paid per tonne of good: price × (covered − free allocation), never below zero."""
        from decimal import Decimal

        return self.price_per_tco2e * max(self.covered_tco2e_per_unit - self.free_allocation_tco2e_per_unit,
                                          Decimal(0))
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
