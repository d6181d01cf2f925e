"""Report generation: `report_generate` creates a new immutable snapshot version and renders its file.

Snapshots are append-only: a done snapshot is never updated (`report_snapshot_update_refused`); regenerating makes
version n+1 for the same (enterprise, site, kind, year, format, lang).
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import translation

from carbon.periods import Period
from energy_platform.errors import ApplicationError

from .builders import NOT_BUILT, builders
from .models import Indicator, IndicatorEntry, ReportFile, ReportSnapshot
from .renderers import RENDERERS

LANGS = ("zh-hans", "en")


def _clean_options(kind: str, options: dict | None) -> dict:
    from .builders.footprint import ALLOCATIONS

    options = dict(options or {})
    unknown = set(options) - ({"allocation"} if kind == "footprint" else set())
    if unknown:
        raise ApplicationError("invalid_options", f"Unknown option(s) for a {kind} report: "
                               f"{', '.join(sorted(unknown))}.", status_code=400)
    if kind == "footprint":
        options.setdefault("allocation", "mass")
        if options["allocation"] not in ALLOCATIONS:
            raise ApplicationError("invalid_allocation", f"allocation must be one of {', '.join(ALLOCATIONS)}.",
                                   status_code=400)
    return options


def report_create(*, kind: str, enterprise, year: int, fmt: str, lang: str, site=None, user=None,
                  options: dict | None = None) -> ReportSnapshot:
    """Validate and queue a new snapshot version (status queued). With `site`, the report covers that site only."""
    if kind in NOT_BUILT:
        raise ApplicationError("report_kind_not_available", f"The {kind} report is not built yet.", status_code=400)
    if kind not in builders():
        raise ApplicationError("invalid_kind", f"Unknown report kind {kind!r}.", status_code=400)
    if fmt not in RENDERERS:
        raise ApplicationError("invalid_format", f"Unknown format {fmt!r}.", status_code=400)
    if lang not in LANGS:
        raise ApplicationError("invalid_lang", f"Language must be one of {', '.join(LANGS)}.", status_code=400)
    if not 2000 <= int(year) <= 2100:
        raise ApplicationError("invalid_year", f"{year!r} is not a report year.", status_code=400)
    if site is not None and site.enterprise_id != enterprise.pk:
        raise ApplicationError("invalid_site", "The site does not belong to the enterprise.", status_code=400)
    options = _clean_options(kind, options)
    with transaction.atomic():
        key = {"enterprise": enterprise, "site": site, "kind": kind, "year": year, "format": fmt, "lang": lang}
        # The enterprise row lock serialises concurrent generations so versions never collide.
        type(enterprise).objects.select_for_update().filter(pk=enterprise.pk).first()
        last = ReportSnapshot.objects.filter(**key).aggregate(v=Max("version"))["v"] or 0
        period = Period.year(int(year))
        return ReportSnapshot.objects.create(**key, version=last + 1, created_by=user, options=options,
                                             period_start=period.start(), period_end=period.end())


def _progress(snapshot: ReportSnapshot, **fields) -> None:
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(**fields)
    for k, v in fields.items():
        setattr(snapshot, k, v)


def report_run(*, snapshot: ReportSnapshot) -> ReportSnapshot:
    """Build and render a queued snapshot; idempotent for a done snapshot."""
    if snapshot.status == ReportSnapshot.Status.DONE:
        return snapshot
    _progress(snapshot, status=ReportSnapshot.Status.RUNNING, progress=10)
    try:
        with translation.override(snapshot.lang):
            doc = builders()[snapshot.kind](enterprise=snapshot.enterprise, year=snapshot.year, site=snapshot.site,
                                            options=snapshot.options)
            _progress(snapshot, progress=60)
            data = RENDERERS[snapshot.format](doc)
    except ApplicationError as exc:
        _progress(snapshot, status=ReportSnapshot.Status.FAILED, error=f"{exc.code}: {exc.detail}")
        raise
    except Exception as exc:
        _progress(snapshot, status=ReportSnapshot.Status.FAILED, error=f"internal: {type(exc).__name__}")
        raise
    subject = snapshot.enterprise.credit_code + (f"_{snapshot.site.code}" if snapshot.site_id else "")
    name = f"{snapshot.kind}_{subject}_{snapshot.year}_{snapshot.lang}_v{snapshot.version}.{snapshot.format}"
    with transaction.atomic():
        rf = ReportFile(snapshot=snapshot, name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        rf.file.save(name, ContentFile(data), save=False)
        rf.save()
        _progress(snapshot, status=ReportSnapshot.Status.DONE, progress=100, ledger_head=doc.ledger_head,
                  factor_versions=doc.factor_versions)
    report_snapshots_supersede(enterprise=snapshot.enterprise)
    _link_superseded(snapshot)
    return snapshot


def report_generate(*, kind: str, enterprise, year: int, fmt: str, lang: str = "zh-hans", site=None,
                    user=None, options: dict | None = None) -> ReportSnapshot:
    """Create and run synchronously (command, tests)."""
    snapshot = report_create(kind=kind, enterprise=enterprise, year=year, fmt=fmt, lang=lang, site=site, user=user,
                             options=options)
    return report_run(snapshot=snapshot)



def _same_report(snap: ReportSnapshot) -> dict:
    return {"enterprise_id": snap.enterprise_id, "site_id": snap.site_id, "kind": snap.kind, "year": snap.year,
            "format": snap.format, "lang": snap.lang}


def _link_superseded(snapshot: ReportSnapshot) -> None:
    """Point earlier superseded versions of the same report at this newer done version."""
    ReportSnapshot.objects.filter(**_same_report(snapshot), version__lt=snapshot.version, superseded=True,
                                  superseded_by__isnull=True).update(superseded_by=snapshot)


def report_snapshots_restated(*, enterprise, month) -> list[str]:
    """Hook for `carbon.ledger.RESTATEMENT_HOOKS`: flag done snapshots covering the restated month's year.

    The only change ever made to a done snapshot is this flag (and later `superseded_by`); files stay as they were.
    Returns references recorded on H3's `Restatement.superseded_reports`.
    """
    qs = ReportSnapshot.objects.filter(enterprise=enterprise, year=month.year, status=ReportSnapshot.Status.DONE,
                                       superseded=False)
    refs = [f"report:{pk} {kind} {year} {fmt}/{lang} v{v}" for pk, kind, year, fmt, lang, v in
            qs.values_list("pk", "kind", "year", "format", "lang", "version")]
    qs.update(superseded=True)
    return refs


def report_snapshots_supersede(*, enterprise) -> int:
    """Flag done snapshots whose year has ledger reversals/restatements after the head they were built on.

    Catches corrections (`ledger_reverse`) that do not run the restatement hooks. Returns how many were flagged.
    """
    from carbon.models import LedgerEntry

    changed = LedgerEntry.objects.filter(enterprise=enterprise, kind__in=[
        LedgerEntry.Kind.RESTATEMENT, LedgerEntry.Kind.REVERSAL, LedgerEntry.Kind.CORRECTION])
    flagged = 0
    for snap in ReportSnapshot.objects.filter(enterprise=enterprise, status=ReportSnapshot.Status.DONE,
                                              superseded=False):
        # Entries after the ledger head the report was built on (seq order; created_at is only to the second).
        head_seq = LedgerEntry.objects.filter(enterprise=enterprise, hash=snap.ledger_head).values_list(
            "seq", flat=True).first() or 0
        if changed.filter(month__year=snap.year, seq__gt=head_seq).exists():
            flagged += ReportSnapshot.objects.filter(pk=snap.pk).update(superseded=True)
    return flagged


@transaction.atomic
def indicator_entry_upsert(*, site, indicator, year: int, value, evidence: str = "", evidence_file=None,
                           user=None) -> IndicatorEntry:
    """Enter (or replace) a factory site's value of an entered green-factory indicator for a year, with evidence."""
    if indicator.source != Indicator.Source.ENTERED:
        raise ApplicationError("indicator_computed", f"Indicator {indicator.code} is computed by the platform; it "
                               "cannot be entered.", status_code=400)
    entry, _created = IndicatorEntry.objects.update_or_create(
        site=site, year=year, indicator=indicator,
        defaults={"enterprise": site.enterprise, "value": value, "evidence": evidence, "entered_by": user})
    if evidence_file is not None:
        entry.evidence_file = evidence_file
        entry.save(update_fields=["evidence_file"])
    return entry
