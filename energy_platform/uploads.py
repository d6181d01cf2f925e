"""What the two kinds of background upload share: meters.ImportJob (readings and bills of a site) and
ui.MonthlyUpload (value added and product output of an enterprise).

Both go validating -> preview (or invalid) -> queued -> running -> done (or failed): a Celery task validates the
file for a preview, the user commits it, and another task writes it in chunks, each chunk committed together with
the job's progress so that a retried task resumes after the last committed chunk. The model fields, the file check,
the commit step and the run's status bookkeeping live here; what a row means stays with each app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ApplicationError


class UploadStatus(models.TextChoices):
    VALIDATING = "validating", gettext_lazy("being validated")
    PREVIEW = "preview", gettext_lazy("validated, waiting for commit")
    INVALID = "invalid", gettext_lazy("file could not be read")
    QUEUED = "queued", gettext_lazy("queued")
    RUNNING = "running", gettext_lazy("running")
    DONE = "done", gettext_lazy("done")
    FAILED = "failed", gettext_lazy("failed")


class UploadJob(models.Model):
    """Fields of a background upload; concrete models add their owner, kind, file and result counters."""

    Status = UploadStatus

    original_name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(gettext_lazy("status"), max_length=12, choices=UploadStatus.choices,
                              default=UploadStatus.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, help_text=gettext_lazy("Counts and rejected rows found by validation."))
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


UploadJobT = TypeVar("UploadJobT", bound=UploadJob)


def upload_file_name(uploaded_file) -> str:
    """The uploaded file's name, if it is a CSV or XLSX file (the only formats read)."""
    name = getattr(uploaded_file, "name", "") or ""
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ApplicationError("unsupported_file", _("Upload a .csv or .xlsx file."))
    return name[:200]


def upload_commit(job: UploadJob, *, enqueue: Callable[[int], object], refusal: str,
                  on_queued: Callable[[UploadJob], None] | None = None):
    """Queue the writing of a validated upload: `enqueue(pk)` (a task's `delay`, passed in by the adapter) after
    this transaction commits. A job not in
    preview is refused (409) with `refusal`, in which `{status}` stands for the job's status."""
    model = type(job)
    with transaction.atomic():
        job = model.objects.select_for_update().get(pk=job.pk)
        if job.status != UploadStatus.PREVIEW:
            raise ApplicationError("not_committable", refusal.format(status=job.status), status_code=409)
        job.status = UploadStatus.QUEUED
        job.save(update_fields=["status"])
        if on_queued is not None:
            on_queued(job)
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def upload_run(job: UploadJobT, write: Callable[[UploadJobT], None]):
    """Run `write(job)` (which commits chunk by chunk) as the job's run: running, then done, or failed with the
    error (and the exception re-raised for the task's retry). A job neither queued nor running is left alone."""
    model = type(job)
    if job.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        return job
    model.objects.filter(pk=job.pk).update(status=UploadStatus.RUNNING)
    try:
        write(job)
    except Exception as exc:
        model.objects.filter(pk=job.pk).update(status=UploadStatus.FAILED, error=str(exc)[:2000],
                                               finished_at=timezone.now())
        raise
    model.objects.filter(pk=job.pk).update(status=UploadStatus.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job
