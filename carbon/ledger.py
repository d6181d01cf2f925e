"""The carbon ledger: append-only entries per site, month and source, chained by SHA-256 per enterprise.

- `period_close` posts the entries of a month from `site_emissions` (the figures were provisional until then);
- `ledger_reverse` appends a reversing entry (negated amounts) with a reason and an author;
- `restatement_check` compares closed months with a recomputation and flags differences as pending, never silently
  changing them; `period_restate` then appends reversals of the month's live entries and new entries;
- `ledger_verify` recomputes the chain and names the first broken entry, and checks the closing snapshots;
- closing and restating also record the month's figures per site (`ClosingSnapshot`: energy by carrier with the
  coefficients' edition and method, value added, output, emissions); the KPIs read closed months from them. The
  snapshots' hash is carried by the entries posted with them (`snapshot_sha256`, part of the entry hash);
- `closed_months_flag` marks closed months *restatement pending* at once when late or corrected data for them is
  stored (called by the ingestion, import, estimate and monthly-data writes through `meters.hooks`).
On PostgreSQL a trigger (migration 0003) refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min, Sum
from django.utils import timezone

from accounts.audit import audit_record
from energy_platform.errors import ApplicationError
from plants.models import Enterprise

from .emissions import site_emissions
from .models import AccountingPeriod, ClosingSnapshot, ConversionMethod, EnergyCoefficient, LedgerEntry, Restatement
from .periods import Period

GENESIS = "0" * 64

#: Callables `hook(*, enterprise, month) -> list[str]` run after a restatement; each returns references of the
#: documents it superseded. The reports app registers one (reports imports carbon, never the reverse).
RESTATEMENT_HOOKS: list = []
#: Callables `hook(*, enterprise, month)` run inside `period_close()`'s transaction after the month is closed: figures
#: that other apps keep per month are frozen with it (costs registers one; carbon imports no higher app).
CLOSE_HOOKS: list = []
HASHED_FIELDS = ["enterprise_id", "seq", "site_id", "month", "scope", "source", "activity_amount", "activity_unit",
                 "factor_id", "factor_value", "factor_version", "tco2", "readings_from", "readings_to", "kind",
                 "reverses_id", "reason", "author_id", "created_at"]


def _canonical(value) -> str | int | None:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != 0 else "0"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def entry_hash(entry: LedgerEntry, prev_hash: str) -> str:
    payload = {f: _canonical(getattr(entry, f)) for f in HASHED_FIELDS}
    if entry.snapshot_sha256:  # entries from before closing snapshots keep their hash
        payload["snapshot_sha256"] = entry.snapshot_sha256
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def _append(*, enterprise: Enterprise, entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Chain and insert entries; the enterprise row lock keeps concurrent appends from forking the chain."""
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    last = LedgerEntry.objects.filter(enterprise=enterprise).order_by("-seq").values("seq", "hash").first()
    seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
    now = timezone.now().replace(microsecond=0)
    for e in entries:
        seq += 1
        e.enterprise = enterprise
        e.seq = seq
        e.created_at = now
        e.activity_amount = Decimal(e.activity_amount).quantize(Decimal("0.000001"))
        e.factor_value = Decimal(e.factor_value).quantize(Decimal("0.000001"))
        e.tco2 = Decimal(e.tco2).quantize(Decimal("0.000001"))
        e.prev_hash = prev
        e.hash = prev = entry_hash(e, prev)
    return LedgerEntry.objects.bulk_create(entries)


def _entries_for_month(enterprise: Enterprise, month: dt.date, *, kind: str, author, reason: str) -> list[LedgerEntry]:
    period = Period(month, 1)
    out: list[LedgerEntry] = []
    for site in enterprise.sites.all():
        figures = site_emissions(site=site, period=period)
        out.extend(
            LedgerEntry(site=site, month=month, scope=ln["scope"], source=ln["source"][:60],
                        activity_amount=ln["activity_amount"], activity_unit=ln["activity_unit"],
                        factor_id=ln["factor_id"], factor_value=ln["factor_value"],
                        factor_version=ln["factor_version"][:100], tco2=ln["tco2"],
                        readings_from=period.start(site.timezone), readings_to=period.end(site.timezone),
                        kind=kind, author=author, reason=reason)
            for ln in figures["lines"]
        )
    return out


def _encode(value):
    if isinstance(value, Decimal):
        return {"$d": format(value, "f")}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(obj: dict):
    if "$d" in obj and len(obj) == 1:
        return Decimal(obj["$d"])
    if "$date" in obj and len(obj) == 1:
        return dt.date.fromisoformat(obj["$date"])
    if "$dt" in obj and len(obj) == 1:
        return dt.datetime.fromisoformat(obj["$dt"])
    return obj


def snapshot_dumps(figures: dict) -> str:
    """Canonical JSON of a closing snapshot: Decimals exact (as tagged strings), keys sorted."""
    return json.dumps(_encode(figures), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def snapshot_loads(text: str) -> dict:
    return json.loads(text, object_hook=_decode)


def _snapshot_figures(site, month: dt.date, method: str) -> dict:
    """What a closed month records for one site: its figures (`core`, as the KPIs use them) with the coefficients'
    edition and the conversion method."""
    from .kpis import _live_core  # the KPIs' own recomputation, so a closed month reads exactly as it did

    core = _live_core(site, Period(month, 1), method)
    editions = dict(EnergyCoefficient.objects.filter(
        pk__in=[c["coefficient_id"] for c in core["energy"]["by_carrier"]]).values_list("pk", "edition"))
    for c in core["energy"]["by_carrier"]:
        c["coefficient_edition"] = editions.get(c["coefficient_id"], "")
        c["method"] = method
    return {"site": site.code, "month": month, "method": method, "core": core}


def _month_snapshots(enterprise: Enterprise, month: dt.date) -> tuple[list[ClosingSnapshot], str]:
    """The month's closing snapshots (one per site and computable method, next version) and their joint hash."""
    version = (ClosingSnapshot.objects.filter(enterprise=enterprise, month=month).order_by("-version")
               .values_list("version", flat=True).first() or 0) + 1
    out = []
    for site in enterprise.sites.order_by("pk"):
        for method in (ConversionMethod.EQUIVALENT, ConversionMethod.EQUAL_VALUE):
            try:
                figures = _snapshot_figures(site, month, method)
            except ApplicationError:
                if method == ConversionMethod.EQUIVALENT:
                    raise
                continue  # no equal-value rate for the year: that method is not recorded
            payload = snapshot_dumps(figures)
            out.append(ClosingSnapshot(enterprise=enterprise, site=site, month=month, version=version,
                                       method=method, payload=payload,
                                       sha256=hashlib.sha256(payload.encode()).hexdigest()))
    return out, _joint_hash(out)


def _joint_hash(snapshots) -> str:
    return hashlib.sha256("\n".join(sorted(s.sha256 for s in snapshots)).encode()).hexdigest() if snapshots else ""


def _post_with_snapshots(enterprise: Enterprise, month: dt.date, entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Append entries carrying the hash of the month's new closing snapshots, and store the snapshots."""
    snapshots, joint = _month_snapshots(enterprise, month)
    for e in entries:
        if e.kind != LedgerEntry.Kind.REVERSAL:
            e.snapshot_sha256 = joint
    posted = _append(enterprise=enterprise, entries=entries)
    anchored = [e.seq for e in posted if e.snapshot_sha256]
    for snap in snapshots:
        snap.ledger_seq = anchored[-1] if anchored else None
    ClosingSnapshot.objects.bulk_create(snapshots)
    return posted


def closed_months_flag(*, enterprise_id: int, months, reason: str) -> list[dt.date]:
    """Mark the closed months among `months` *restatement pending* (late or corrected data was stored for them), in
    the caller's transaction; their figures stay as closed until restated. Returns the months newly flagged."""
    firsts = sorted({m.replace(day=1) for m in months})
    if not firsts:
        return []
    # One statement (every ingestion batch calls this, and almost always nothing is closed for its month): an UPDATE
    # … RETURNING, which PostgreSQL and SQLite (3.35+) both have, without the ORM's work of a query and an update.
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {AccountingPeriod._meta.db_table} SET restatement_pending = %s, restatement_reason = %s "  # noqa: S608
            f"WHERE enterprise_id = %s AND status = %s AND restatement_pending = %s "
            f"AND month IN ({', '.join(['%s'] * len(firsts))}) RETURNING month",
            [True, reason[:500], enterprise_id, str(AccountingPeriod.Status.CLOSED), False,
             *(m.isoformat() for m in firsts)])
        found = [row[0] for row in cur.fetchall()]
    return sorted(m if isinstance(m, dt.date) else dt.date.fromisoformat(m) for m in found)  # SQLite answers text


def meter_days_flag(*, meter_days, enterprise_id: int | None = None) -> None:
    """`meters.hooks` callback: readings stored for these (meter id, local day) pairs, all of `enterprise_id` when
    it is given (an ingestion batch: one query, not a lookup of its hundreds of meters)."""
    from meters.models import Meter

    pairs = list(meter_days)
    if not pairs:
        return
    if enterprise_id is not None:
        closed_months_flag(enterprise_id=enterprise_id, months={day.replace(day=1) for _m, day in pairs},
                           reason="late or corrected readings stored")
        return
    enterprise_of = dict(Meter.objects.filter(pk__in={m for m, _d in pairs}).values_list("pk", "site__enterprise_id"))
    months: dict[int, set] = {}
    for meter_id, day in pairs:
        if meter_id in enterprise_of:
            months.setdefault(enterprise_of[meter_id], set()).add(day.replace(day=1))
    for enterprise_id, ms in months.items():
        closed_months_flag(enterprise_id=enterprise_id, months=ms, reason="late or corrected readings stored")


def monthly_data_flag(*, enterprise_id: int, month: dt.date, kind: str) -> None:
    """`plants.hooks` callback: a version of a month's value added or output was stored."""
    what = "value added" if kind == "economic" else "output"
    closed_months_flag(enterprise_id=enterprise_id, months=[month], reason=f"corrected {what} stored")


@transaction.atomic
def period_close(*, enterprise: Enterprise, month: dt.date, actor=None) -> list[LedgerEntry]:
    """Close a month: post its ledger entries; from then on the ledger is the record."""
    period, _ = AccountingPeriod.objects.select_for_update().get_or_create(enterprise=enterprise, month=month)
    if period.status == AccountingPeriod.Status.CLOSED:
        raise ApplicationError("period_closed", f"{month:%Y-%m} is already closed; restate it instead.",
                               status_code=409)
    entries = _post_with_snapshots(enterprise, month, _entries_for_month(
        enterprise, month, kind=LedgerEntry.Kind.ORIGINAL, author=actor, reason="period close"))
    period.status = AccountingPeriod.Status.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = actor
    period.save(update_fields=["status", "closed_at", "closed_by"])
    for hook in CLOSE_HOOKS:
        hook(enterprise=enterprise, month=month)
    audit_record(actor=actor, action="period.close", obj=period, enterprise=enterprise,
                 detail={"month": f"{month:%Y-%m}", "entries": len(entries)})
    return entries


def _reversal(entry: LedgerEntry, *, reason: str, actor) -> LedgerEntry:
    return LedgerEntry(site_id=entry.site_id, month=entry.month, scope=entry.scope, source=entry.source,
                       activity_amount=-entry.activity_amount, activity_unit=entry.activity_unit,
                       factor_id=entry.factor_id, factor_value=entry.factor_value,
                       factor_version=entry.factor_version, tco2=-entry.tco2, readings_from=entry.readings_from,
                       readings_to=entry.readings_to, kind=LedgerEntry.Kind.REVERSAL, reverses=entry,
                       reason=reason, author=actor)


def _live_entries(enterprise: Enterprise, month: dt.date) -> list[LedgerEntry]:
    entries = list(LedgerEntry.objects.filter(enterprise=enterprise, month=month).order_by("seq"))
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    return [e for e in entries if e.kind != LedgerEntry.Kind.REVERSAL and e.pk not in reversed_ids]


@transaction.atomic
def ledger_reverse(*, entry: LedgerEntry, reason: str, actor) -> LedgerEntry:
    if not reason.strip():
        raise ApplicationError("reason_required", "A correction needs a reason.")
    if LedgerEntry.objects.filter(reverses=entry).exists() or entry.kind == LedgerEntry.Kind.REVERSAL:
        raise ApplicationError("already_reversed", f"Entry #{entry.seq} cannot be reversed (again).",
                               status_code=409)
    reversal = _append(enterprise=entry.enterprise, entries=[_reversal(entry, reason=reason, actor=actor)])[0]
    audit_record(actor=actor, action="ledger.reverse", obj=entry, enterprise=entry.enterprise,
                 detail={"seq": entry.seq, "reversal_seq": reversal.seq, "reason": reason})
    return reversal


def ledger_month_total(*, enterprise: Enterprise, month: dt.date) -> Decimal:
    return LedgerEntry.objects.filter(enterprise=enterprise, month=month).aggregate(s=Sum("tco2"))["s"] or Decimal(0)


#: Differences below this (tce, tCO2, 10⁴ CNY, output units) are rounding of stored decimals, not a restatement.
RESTATE_TOLERANCE = Decimal("0.000001")


def _differs(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(Decimal(a) - Decimal(b)) > RESTATE_TOLERANCE


def _snapshot_differences(enterprise: Enterprise, month: dt.date) -> list[str]:
    """What of a closed month's closing snapshot (equivalent method: energy by carrier in tce, value added, output,
    emissions) differs from a recomputation from today's data, named per site ("A1 energy diesel")."""
    from .kpis import _live_core

    method = ConversionMethod.EQUIVALENT
    latest: dict[int, ClosingSnapshot] = {}
    for snap in ClosingSnapshot.objects.filter(enterprise=enterprise, month=month, method=method).order_by("version"):
        latest[snap.site_id] = snap  # the highest version wins
    out: list[str] = []
    for site in enterprise.sites.filter(pk__in=latest).order_by("code"):
        closed = snapshot_loads(latest[site.pk].payload)["core"]
        try:
            now = _live_core(site, Period(month, 1), method)
        except ApplicationError as exc:  # e.g. a coefficient withdrawn: the closed figures cannot be reproduced
            out.append(f"{site.code} figures ({exc.code})")
            continue
        was_tce = {c["carrier"]: c["tce"] for c in closed["energy"]["by_carrier"]}
        now_tce = {c["carrier"]: c["tce"] for c in now["energy"]["by_carrier"]}
        out += [f"{site.code} energy {c}" for c in sorted(was_tce.keys() | now_tce.keys())
                if _differs(was_tce.get(c), now_tce.get(c))]
        if _differs(closed["value_added"], now["value_added"]):
            out.append(f"{site.code} value added")
        for code in sorted(closed["products"].keys() | now["products"].keys()):
            was, is_ = closed["products"].get(code, {}).get("output"), now["products"].get(code, {}).get("output")
            if _differs(was, is_):
                out.append(f"{site.code} output {code}")
        if _differs(closed["emissions"]["total_tco2"], now["emissions"]["total_tco2"]):
            out.append(f"{site.code} emissions")
    return out


def restatement_check(*, enterprise: Enterprise) -> list[dt.date]:
    """Flag closed months whose recomputed figures differ from those closed: the ledger's emission entries (new
    factor version, late reading) and the closing snapshot (energy by carrier in tce, value added, output,
    emissions), so that a change in energy or value added alone is flagged too. Nothing is changed but the flag;
    returns the months flagged."""
    flagged = []
    for period in AccountingPeriod.objects.filter(enterprise=enterprise, status=AccountingPeriod.Status.CLOSED):
        recomputed = {(e.site_id, e.source): (e.tco2, e.factor_id) for e in _entries_for_month(
            enterprise, period.month, kind=LedgerEntry.Kind.ORIGINAL, author=None, reason="")}
        booked = {(e.site_id, e.source): (e.tco2, e.factor_id) for e in _live_entries(enterprise, period.month)}
        differs = {k for k in recomputed.keys() | booked.keys()
                   if k not in booked or k not in recomputed
                   or _differs(recomputed[k][0], booked[k][0]) or recomputed[k][1] != booked[k][1]}
        if period.restatement_pending:
            continue
        what = sorted(src for _, src in differs)
        what += [d for d in _snapshot_differences(enterprise, period.month) if d not in what]
        if what:
            AccountingPeriod.objects.filter(pk=period.pk).update(
                restatement_pending=True, restatement_reason=f"recomputed figures differ for: {', '.join(what)}"[:500])
            flagged.append(period.month)
    return flagged


@transaction.atomic
def period_restate(*, enterprise: Enterprise, month: dt.date, reason: str, actor) -> list[LedgerEntry]:
    """Explicit restatement of a closed month: reverse its live entries and post the recomputed ones."""
    if not reason.strip():
        raise ApplicationError("reason_required", "A restatement needs a reason.")
    period = AccountingPeriod.objects.select_for_update().filter(enterprise=enterprise, month=month).first()
    if period is None or period.status != AccountingPeriod.Status.CLOSED:
        raise ApplicationError("period_open", f"{month:%Y-%m} is open: its figures recompute by themselves.",
                               status_code=409)
    reversals = [_reversal(e, reason=reason, actor=actor) for e in _live_entries(enterprise, month)]
    new = _entries_for_month(enterprise, month, kind=LedgerEntry.Kind.RESTATEMENT, author=actor, reason=reason)
    entries = _post_with_snapshots(enterprise, month, reversals + new)
    superseded: list[str] = []
    for hook in RESTATEMENT_HOOKS:
        superseded += hook(enterprise=enterprise, month=month)
    if entries:
        Restatement.objects.create(enterprise=enterprise, month=month, reason=reason, author=actor,
                                   first_seq=entries[0].seq, last_seq=entries[-1].seq,
                                   superseded_reports=superseded)
    period.restatement_pending = False
    period.restatement_reason = ""
    period.save(update_fields=["restatement_pending", "restatement_reason"])
    audit_record(actor=actor, action="period.restate", obj=period, enterprise=enterprise,
                 detail={"month": f"{month:%Y-%m}", "reason": reason, "entries": len(entries),
                         "superseded_reports": superseded})
    return entries


def ledger_head(*, enterprise: Enterprise) -> str:
    last = LedgerEntry.objects.filter(enterprise=enterprise).order_by("-seq").values_list("hash", flat=True).first()
    return last or GENESIS


def ledger_verify(*, enterprise: Enterprise) -> dict:
    """Recompute the chain; report the first entry whose hash or link does not match."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    anchors: dict[int, str] = {}
    for entry in LedgerEntry.objects.filter(enterprise=enterprise).order_by("seq").iterator(chunk_size=2000):
        problem = None
        if entry.seq != expected_seq:
            problem = f"sequence gap: expected #{expected_seq}, found #{entry.seq}"
        elif entry.prev_hash != prev:
            problem = "link to the previous entry does not match"
        elif entry_hash(entry, prev) != entry.hash:
            problem = "content does not match its hash"
        if problem:
            return {"ok": False, "entries": count, "first_broken": {"id": entry.pk, "seq": entry.seq,
                                                                    "problem": problem}, "head": None}
        prev = entry.hash
        expected_seq += 1
        count += 1
        if entry.snapshot_sha256:
            anchors[entry.seq] = entry.snapshot_sha256
    snapshot_problem = _snapshots_problem(enterprise, anchors)
    if snapshot_problem:
        return {"ok": False, "entries": count, "first_broken": snapshot_problem, "head": None}
    return {"ok": True, "entries": count, "first_broken": None, "head": prev}


def _snapshots_problem(enterprise: Enterprise, anchors: dict[int, str]) -> dict | None:
    """The first closing snapshot whose payload does not match its hash, or whose month's joint hash is not the one
    its ledger entry carries."""
    groups: dict[tuple, list[ClosingSnapshot]] = {}
    for snap in ClosingSnapshot.objects.filter(enterprise=enterprise).order_by("month", "version", "pk"):
        if hashlib.sha256(snap.payload.encode()).hexdigest() != snap.sha256:
            return {"id": snap.pk, "seq": snap.ledger_seq, "snapshot": snap.pk, "month": f"{snap.month:%Y-%m}",
                    "version": snap.version, "problem": f"closing snapshot {snap.month:%Y-%m} v{snap.version} "
                                                        "does not match its hash"}
        groups.setdefault((snap.month, snap.version), []).append(snap)
    for (month, version), snaps in groups.items():
        seq = snaps[0].ledger_seq
        if seq is not None and anchors.get(seq) != _joint_hash(snaps):
            return {"id": snaps[0].pk, "seq": seq, "snapshot": snaps[0].pk, "month": f"{month:%Y-%m}",
                    "version": version, "problem": f"closing snapshots {month:%Y-%m} v{version} do not match the "
                                                  "hash in the ledger"}
    return None


def months_due_for_close(*, enterprise: Enterprise, days_after: int, today: dt.date) -> list[dt.date]:
    """Months ended at least `days_after` days ago that are not closed, from the first month with data."""
    from meters.models import MeterRollup

    earliest = MeterRollup.objects.filter(meter__site__enterprise=enterprise, granularity="month").aggregate(
        m=Min("bucket_start"))["m"]
    if earliest is None:
        return []
    month = timezone.localtime(earliest).date().replace(day=1)
    closed = set(AccountingPeriod.objects.filter(enterprise=enterprise, status="closed").values_list("month",
                                                                                                     flat=True))
    out = []
    while True:
        nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if nxt + dt.timedelta(days=days_after) > today:
            break
        if month not in closed:
            out.append(month)
        month = nxt
    return out
