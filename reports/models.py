"""Report snapshots: immutable, versioned records of a generated report and its stored files."""

from __future__ import annotations

from django.conf import settings
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
