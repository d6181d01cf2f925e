"""Enterprises (tenants), sites, production units, products, and the monthly economic and production data."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import (
    normalize_code,
    validate_cn_code,
    validate_code,
    validate_credit_code,
    validate_industry_code,
    validate_region_code,
)


class CodeField(models.CharField):
    """The code of a site, production unit, product, meter or gateway: NFC-normalised whenever it is cleaned, saved
    or looked up, and limited to the characters of `validate_code` (README, *Codes*). Deconstructed as a CharField:
    the column is the same, so no migration."""

    default_validators = [validate_code]

    def to_python(self, value):
        return normalize_code(super().to_python(value))

    def get_prep_value(self, value):
        return normalize_code(super().get_prep_value(value))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class Enterprise(models.Model):
    """The tenant: every other record belongs to exactly one enterprise."""

    TENANT_PATH = ""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    industry_code = models.CharField(_("industry code (GB/T 4754)"), max_length=5, validators=[validate_industry_code])
    region_code = models.CharField(_("region code (GB/T 2260)"), max_length=6, validators=[validate_region_code],
                                   db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A plant of an enterprise: factory, data center, base-station fleet or industrial park."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        FACTORY = "factory", _("factory")
        DATA_CENTER = "data_center", _("data center")
        BASE_STATION_FLEET = "base_station_fleet", _("base-station fleet")
        INDUSTRIAL_PARK = "industrial_park", _("industrial park")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="sites")
    code = CodeField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    region_code = models.CharField(_("region code (GB/T 2260)"), max_length=6, validators=[validate_region_code])
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    commissioning_date = models.DateField(_("commissioning date"), null=True, blank=True)
    base_station_count = models.PositiveIntegerField(
        _("number of base stations"), null=True, blank=True, help_text=_("For base-station fleets: sites served.")
    )

    class Meta:
        ordering = ["enterprise", "code"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "code"], name="site_code_unique_in_enterprise")]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": _("Unknown time zone.")}) from exc


class ProductionUnit(models.Model):
    """A workshop, line or major piece of equipment, in a tree under a site."""

    TENANT_PATH = "site__enterprise"

    class Kind(models.TextChoices):
        WORKSHOP = "workshop", _("workshop")
        LINE = "line", _("production line")
        EQUIPMENT = "equipment", _("major equipment")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    code = CodeField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["site", "code"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="unit_code_unique_in_site")]
        verbose_name = _("production unit")
        verbose_name_plural = _("production units")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.parent.site_id != self.site_id:
            raise ValidationError({"parent": _("The parent unit must belong to the same site.")})
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk and self.pk is not None or node.pk in seen:
                raise ValidationError({"parent": _("This parent would make the unit tree a cycle.")})
            seen.add(node.pk)
            node = node.parent


class Product(models.Model):
    """A product of a site with its unit of output."""

    TENANT_PATH = "site__enterprise"

    class Unit(models.TextChoices):
        TONNE = "t", _("t")
        CUBIC_METRE = "m3", _("m³")
        PIECE = "piece", _("pieces")
        KWH = "kWh", _("kWh")
        TB = "TB", _("TB (traffic)")
        SQUARE_METRE = "m2", _("m²")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="products")
    unit_of_production = models.ForeignKey(
        ProductionUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="products",
        verbose_name=_("production unit"),
    )
    code = CodeField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit of output"), max_length=10, choices=Unit.choices)
    cn_code = models.CharField(_("CN code (CBAM)"), max_length=10, blank=True, validators=[validate_cn_code],
                               help_text=_("8 digits of the EU Combined Nomenclature, e.g. 72083900."))

    class Meta:
        ordering = ["site", "code"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="product_code_unique_in_site")]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class VersionedMonthlyValue(models.Model):
    """A monthly figure entered by people; a correction is a new version, the old one stays for the audit trail."""

    month = models.DateField(_("month"), help_text=_("First day of the month."))
    version = models.PositiveIntegerField(default=1, editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=20, default="form")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("Give the first day of the month.")})


class EconomicData(VersionedMonthlyValue):
    """Monthly industrial value added of a site (10⁴ CNY at comparable prices) and gross output."""

    TENANT_PATH = "site__enterprise"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="economic_data")
    value_added_10k_cny = models.DecimalField(_("industrial value added (10⁴ CNY)"), max_digits=16, decimal_places=4)
    gross_output_10k_cny = models.DecimalField(_("gross output (10⁴ CNY)"), max_digits=16, decimal_places=4,
                                               null=True, blank=True)

    class Meta:
        ordering = ["site", "month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["site", "month", "version"], name="economic_data_version_unique"),
            models.CheckConstraint(condition=models.Q(value_added_10k_cny__gte=0), name="economic_data_nonnegative"),
        ]
        verbose_name = _("economic data")
        verbose_name_plural = _("economic data")

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m} v{self.version}"


class ProductionData(VersionedMonthlyValue):
    """Monthly output of a product in the product's unit."""

    TENANT_PATH = "product__site__enterprise"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="production_data")
    quantity = models.DecimalField(_("output"), max_digits=18, decimal_places=4)

    class Meta:
        ordering = ["product", "month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "month", "version"], name="production_data_version_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="production_data_nonnegative"),
        ]
        verbose_name = _("production data")
        verbose_name_plural = _("production data")

    def __str__(self) -> str:
        return f"{self.product_id} {self.month:%Y-%m} v{self.version}"
