"""UI records: background uploads of monthly value added / product output, and acknowledged data gaps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from energy_platform.uploads import UploadJob
from meters.models import Meter
from plants.models import Enterprise


class MonthlyUpload(UploadJob):
    """A CSV/XLSX file of monthly value added or product output: validated by a background task (preview), then
    saved by another in chunks (progress = processed_rows / total_rows) through plants.services.monthly_data_import
    (lifecycle: energy_platform.uploads)."""

    TENANT_PATH = "enterprise"

    class Kind(models.TextChoices):
        ECONOMIC = "economic", _("Value added (10⁴ CNY)")
        PRODUCTION = "production", _("Product output")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    data = models.BinaryField(help_text=_("The uploaded file (at most 8 MB)."))
    saved = models.PositiveIntegerField(default=0)
    rejected = models.JSONField(default=list, help_text=_("Rows refused while saving."))
    decimal_comma = models.BooleanField(default=False, help_text=_("The file writes 1.234,5 for 1234.5."))
    mapping = models.JSONField(default=dict, blank=True,
                               help_text=_("Which columns hold the month, site, product and value (empty: the plain "
                                           "layout)."))

    class Meta(UploadJob.Meta):
        verbose_name = _("monthly data upload")
        verbose_name_plural = _("monthly data uploads")

    def __str__(self) -> str:
        return f"{self.kind} upload {self.pk} ({self.status})"


class GapAcknowledgement(models.Model):
    """A meter-day with missing intervals that an energy manager has seen and accepted as it is."""

    TENANT_PATH = "meter__site__enterprise"

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="+")
    day_start = models.DateTimeField(help_text=_("Start of the local day (the day rollup's bucket_start)."))
    note = models.CharField(max_length=300, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meter", "day_start"], name="gap_ack_unique_meter_day")]
        verbose_name = _("acknowledged gap")
        verbose_name_plural = _("acknowledged gaps")

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.day_start:%Y-%m-%d}"
