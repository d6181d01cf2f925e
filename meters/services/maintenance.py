"""Housekeeping of ingestion records: retention of rejected rows."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from meters.models import RejectedRow


def rejected_rows_purge(*, now: dt.datetime | None = None) -> int:
    """Delete rejected rows of batches received more than INGEST_REJECTED_RETENTION_DAYS ago; return how many.
    The batch records themselves (counts, response) are kept."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.INGEST_REJECTED_RETENTION_DAYS)
    deleted, _ = RejectedRow.objects.filter(batch__received_at__lt=cutoff).delete()
    return deleted
