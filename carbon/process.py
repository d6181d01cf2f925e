"""Process emissions by sector guideline (GB/T 32151 series) and the monthly MRV review of activity data.

E_process = Σ ADᵢ × EFᵢ × GWPᵢ over the materials that release gas (flux decomposition, electrodes, carbon-bearing
purchased materials, clinker calcination, raw-meal organic carbon, anode consumption, anode-effect PFCs) minus
Σ ADⱼ × EFⱼ over the products that fix carbon (crude steel, pig iron sold) (DOMAIN.md §10). Biomass CO2 (direction
`memo`) is reported separately and never enters the total (DOMAIN.md §2). Factors are reference rows
(`ProcessFactor`) with their published source and a provisional flag; activity data is monthly (`ProcessActivity`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from energy_platform.errors import ApplicationError
from plants.models import Enterprise, Site

from .energy import memo_active
from .models import GhgSector, GhgSectorSetting, MeasuredFuelProperty, ProcessActivity, ProcessFactor, ReviewStatus
from .reference_data import SECTOR_BY_INDUSTRY

#: The gases each guideline accounts (GB/T 32151.x scope clauses; the general method lists all Kyoto gases but
#: asks for those the enterprise emits).
SECTOR_GASES = {GhgSector.STEEL: ["CO2"], GhgSector.CEMENT: ["CO2"], GhgSector.ALUMINIUM: ["CO2", "CF4", "C2F6"],
                GhgSector.GENERAL: ["CO2", "CH4", "N2O", "HFCs", "PFCs", "SF6", "NF3"]}


def ghg_sector(*, enterprise: Enterprise, site: Site | None = None) -> str:
    """The sector guideline of a site or enterprise: the site's chosen row, the enterprise's chosen row, then the
    enterprise's GB/T 4754 industry code (C31 steel, C3011 cement, C3216 aluminium), else the general method."""
    rows = {r.site_id: r.sector for r in GhgSectorSetting.objects.filter(enterprise=enterprise)}
    if site is not None and site.pk in rows:
        return rows[site.pk]
    if None in rows:
        return rows[None]
    code = enterprise.industry_code or ""
    for prefix, sector in SECTOR_BY_INDUSTRY:
        if code.startswith(prefix):
            return sector
    return GhgSector.GENERAL


def _sign(direction: str) -> int:
    return -1 if direction == ProcessFactor.Direction.SUBTRACT else 1


def process_factor_value(factor: ProcessFactor) -> Decimal:
    """tCO2e per activity unit, signed: value × GWP, negative for carbon fixed in products."""
    return factor.value * factor.gwp * _sign(factor.direction)


def _activities(site: Site, months: list[dt.date]) -> list[ProcessActivity]:
    memo = memo_active()
    if memo is None:
        return list(ProcessActivity.objects.filter(site=site, month__in=months).select_related("factor"))
    key = ("ProcessActivity", site.pk)
    if key not in memo:
        memo[key] = list(ProcessActivity.objects.filter(site=site).select_related("factor").order_by("pk"))
    wanted = set(months)
    return [a for a in memo[key] if a.month in wanted]


def process_lines(*, site: Site, months: list[dt.date]) -> tuple[list[dict], list[dict]]:
    """(scope-1 process lines, biomass lines reported separately) of a site's months, one line per factor."""
    sums: dict[int, tuple[ProcessFactor, Decimal]] = {}
    for a in _activities(site, months):
        f, amount = sums.get(a.factor_id, (a.factor, Decimal(0)))
        sums[a.factor_id] = (f, amount + a.amount)
    lines: list[dict] = []
    biomass: list[dict] = []
    for f, amount in sorted(sums.values(), key=lambda t: (t[0].direction, t[0].code)):
        value = process_factor_value(f)
        line = {"scope": "scope1", "source": f"process: {f.code}", "activity_amount": amount,
                "activity_unit": f.activity_unit, "factor_id": None, "factor_value": value,
                "factor_unit": f"tCO2e/{f.activity_unit}", "factor_version": f"process {f.sector} {f.code}",
                "factor_source": f.source_en, "provisional": f.provisional, "process_factor_id": f.pk,
                "gas": f.gas, "gwp": f.gwp, "direction": f.direction,
                "tco2": (amount * value).quantize(Decimal("0.000001"))}
        (biomass if f.direction == ProcessFactor.Direction.MEMO else lines).append(line)
    return lines, biomass


# ---- Monthly MRV review -------------------------------------------------------------------------------------------

Reviewed = MeasuredFuelProperty | ProcessActivity

_NEXT = {"check": (ReviewStatus.ENTERED, ReviewStatus.CHECKED), "confirm": (ReviewStatus.CHECKED,
                                                                           ReviewStatus.CONFIRMED)}


@transaction.atomic
def mrv_review(*, record: Reviewed, step: str, actor: Any) -> Reviewed:
    """Move a monthly MRV record one step (check: entered → checked; confirm: checked → confirmed), recording who and
    when. A step out of order is refused (409). The caller checks the actor's role and records the audit event."""
    if step not in _NEXT:
        raise ApplicationError("invalid_step", "step must be check or confirm.")
    before, after = _NEXT[step]
    locked: Model = type(record).objects.select_for_update().get(pk=record.pk)
    if locked.review_status != before:  # type: ignore[attr-defined]
        raise ApplicationError("invalid_review_state",
                               f"The record is {locked.review_status}; {step} needs {before}.",  # type: ignore[attr-defined]
                               status_code=409)
    now = timezone.now()
    fields = {"review_status": after, f"{'checked' if step == 'check' else 'confirmed'}_by": actor,
              f"{'checked' if step == 'check' else 'confirmed'}_at": now}
    for k, v in fields.items():
        setattr(locked, k, v)
    locked.save(update_fields=list(fields))
    return locked  # type: ignore[return-value]


#: Who may take a review step: an energy manager checks, an enterprise admin confirms.
STEP_ROLE = {"check": "energy_manager", "confirm": "enterprise_admin"}


def mrv_review_step(*, record: Reviewed, step: str, request: Any) -> Reviewed:
    """`mrv_review` for the acting user of a request (API or page): the role rule, then the step, audited."""
    from accounts import tenancy
    from accounts.audit import audit_record

    if step not in STEP_ROLE:
        raise ApplicationError("invalid_step", "step must be check or confirm.")
    if not tenancy.may_write(request.user, record, STEP_ROLE[step]):
        raise ApplicationError("permission_denied", f"Your role does not allow the {step} step.", status_code=403)
    with transaction.atomic():
        record = mrv_review(record=record, step=step, actor=request.user)
        audit_record(action=f"{record._meta.model_name}.{step}", obj=record, request=request,
                     detail={"review_status": record.review_status, "month": str(record.month)})
    return record


def mrv_reset(record: Reviewed) -> None:
    """A change to a reviewed record sends it back to entered (the caller saves)."""
    record.review_status = ReviewStatus.ENTERED
    record.checked_by = record.confirmed_by = None
    record.checked_at = record.confirmed_at = None
