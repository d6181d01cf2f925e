"""The gateways page: create a gateway, choose its meters, issue a token (shown once, with a ready curl line), revoke
tokens, and each gateway's health over the last 24 hours. Energy managers and enterprise admins write, viewers read,
regulators have no access."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.audit import audit_record
from accounts.tenancy import has_role, is_regulator, scope, visible_enterprises
from energy_platform.errors import ApplicationError
from energy_platform.numbers import present
from meters.gateway_health import gateway_last_seen, gateway_recent_errors, gateways_with_health
from meters.models import Gateway, GatewayToken, Meter
from meters.services.gateways import (
    GATEWAY_MANAGE_ROLE,
    gateway_meters_set,
    gateway_provision,
    gateway_token_issue,
    gateway_tokens_revoke,
)
from meters.services.mqtt_auth import gateway_code
from plants.models import Site
from plants.validators import validate_code

from . import selectors

#: The health window of the page: the last 24 hours.
WINDOW_MINUTES = 24 * 60


def _meter_ids(request) -> list[int]:
    return sorted({int(v) for v in request.POST.getlist("meters") if v.isdigit()})


def _gateway(request, enterprise) -> Gateway:
    pk = request.POST.get("gateway", "")
    gateway = scope(Gateway.objects.filter(site__enterprise=enterprise).select_related("site"), request.user).filter(
        pk=int(pk) if pk.isdigit() else 0).first()
    if gateway is None:
        raise Http404
    return gateway


def _curl(request, *, gateway: Gateway, token: str) -> str:
    """A ready request that posts one reading of the current quarter-hour for the gateway's first meter."""
    meter = gateway.allowed_meters.order_by("code").first() or Meter.objects.filter(
        site=gateway.site).order_by("code").first()
    now = timezone.localtime()
    slot = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    body = {"batch_id": f"{gateway.name}-{slot:%Y%m%d%H%M}",
            "readings": [{"meter": meter.code if meter else "<meter>", "ts": slot.isoformat(), "value": 1.0}]}
    url = request.build_absolute_uri(reverse("readings-ingest"))
    return (f'curl -H "Authorization: Bearer {token}" -H "Content-Type: application/json" '
            f"-d '{json.dumps(body, ensure_ascii=False)}' {url}")


def _post(request, enterprise, sites):
    """Run one write; returns the issued token's context (shown once) or None for a redirect."""
    action = request.POST.get("action")
    if action == "create":
        site = sites.filter(pk=int(request.POST["site"]) if request.POST.get("site", "").isdigit() else 0).first()
        if site is None:
            raise ApplicationError("site_required", _("Choose the gateway's site."))
        name = request.POST.get("name", "").strip()
        if not name:
            raise ApplicationError("name_required", _("Give the gateway a name."))
        try:
            validate_code(name)
        except ValidationError as exc:  # the code rule, shown as the form's error
            raise ApplicationError("invalid_code", " ".join(exc.messages)) from exc
        if Gateway.objects.filter(site=site, name=name).exists():
            raise ApplicationError("gateway_exists", _("This site already has a gateway of that name."))
        codes = list(Meter.objects.filter(site=site, pk__in=_meter_ids(request)).values_list("code", flat=True))
        if len(codes) != len(_meter_ids(request)):
            raise ApplicationError("unknown_meter", _("Every meter must belong to the gateway's site."))
        gateway, token = gateway_provision(site=site, name=name, meter_codes=codes or None)
        audit_record(action="gateway.create", obj=gateway, request=request,
                     detail={"via": "ui", "meters": sorted(codes)})
        audit_record(action="gateway.token_issue", obj=gateway, request=request, detail={"via": "ui"})
        return {"gateway": gateway, "token": token, "curl": _curl(request, gateway=gateway, token=token)}
    gateway = _gateway(request, enterprise)
    if action == "issue":
        token = gateway_token_issue(gateway=gateway)
        audit_record(action="gateway.token_issue", obj=gateway, request=request, detail={"via": "ui"})
        return {"gateway": gateway, "token": token, "curl": _curl(request, gateway=gateway, token=token)}
    if action == "revoke":
        revoked = gateway_tokens_revoke(gateway=gateway)
        audit_record(action="gateway.tokens_revoke", obj=gateway, request=request,
                     detail={"via": "ui", "revoked": revoked})
        messages.success(request, _("%(n)d token(s) revoked.") % {"n": revoked})
        return None
    if action == "meters":
        codes = gateway_meters_set(gateway=gateway, meter_ids=_meter_ids(request))
        audit_record(action="gateway.meters_set", obj=gateway, request=request, detail={"via": "ui", "meters": codes})
        messages.success(request, _("Saved."))
        return None
    raise ApplicationError("invalid_action", _("Unknown action."))


def _rows(request, enterprise, now: dt.datetime) -> list[dict]:
    qs = scope(Gateway.objects.filter(site__enterprise=enterprise), request.user).select_related(
        "site").prefetch_related("allowed_meters").order_by("site__code", "name")
    gateways = list(gateways_with_health(qs, now=now, window_minutes=WINDOW_MINUTES))
    errors = gateway_recent_errors([g.pk for g in gateways])
    tokens: dict[int, list[GatewayToken]] = {}
    for t in GatewayToken.objects.filter(gateway__in=gateways).order_by("-created_at"):
        tokens.setdefault(t.gateway_id, []).append(t)
    rows = []
    for g in gateways:
        rows_in, rejected = g.window_rows or 0, g.window_rejected or 0
        rows.append({
            "gateway": g, "code": gateway_code(g), "last_seen": gateway_last_seen(g), "batches": g.window_batches or 0,
            "readings": rows_in - rejected, "rows": rows_in, "rejected": rejected,
            "rejected_pct": present(Decimal(rejected * 100) / rows_in, "percent") if rows_in else None,
            "meters": list(g.allowed_meters.all()), "meter_ids": {m.pk for m in g.allowed_meters.all()},
            "tokens": tokens.get(g.pk, []), "active_tokens": sum(1 for t in tokens.get(g.pk, []) if not t.revoked_at),
            "errors": errors.get(g.pk, [])})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def gateways_page(request):
    enterprise = selectors.current_enterprise(request)
    if is_regulator(request.user) and not request.user.is_superuser:
        raise PermissionDenied  # regulators read reports and KPIs, not the plant's collectors
    can_manage = request.user.is_superuser or has_role(request.user, enterprise, GATEWAY_MANAGE_ROLE)
    sites = scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code")
    issued, error, status = None, None, 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        try:
            issued = _post(request, enterprise, sites)
        except ApplicationError as exc:
            error, status = exc.detail, exc.status_code if exc.status_code != 409 else 400
        if issued is None and error is None:
            return redirect(f"{request.path}?enterprise={enterprise.pk}")
    meters = list(scope(Meter.objects.filter(site__enterprise=enterprise), request.user).select_related(
        "site").order_by("site__code", "code"))
    return render(request, "ui/gateways.html", {
        "enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
        "can_edit": selectors.can_edit(request.user, enterprise), "regulator": False, "can_manage": can_manage,
        "rows": _rows(request, enterprise, timezone.now()), "sites": sites, "meters": meters, "issued": issued,
        "error": error, "form": request.POST if error else {}, "window_hours": WINDOW_MINUTES // 60,
        "ingest_url": request.build_absolute_uri(reverse("readings-ingest"))}, status=status)
