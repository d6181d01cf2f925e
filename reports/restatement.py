"""Marks the generated reports that a restatement of a closed month supersedes (registered in carbon.ledger)."""

from __future__ import annotations

from .models import ReportSnapshot


def reports_supersede(*, enterprise, month) -> list[str]:
    """Flag done snapshots of the enterprise covering the restated month's year; return their references."""
    qs = ReportSnapshot.objects.filter(enterprise=enterprise, year=month.year, superseded=False,
                                       status=ReportSnapshot.Status.DONE)
    refs = [f"{s.pk}: {s}" for s in qs]
    qs.update(superseded=True)  # a status flag only: the stored files and hashes stay as generated
    return refs
