"""Gateways and their bearer tokens (stored as SHA-256, shown once)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.tokens import token_generate, token_hash
from energy_platform.errors import ApplicationError
from meters.models import Gateway, GatewayToken, Meter
from plants.models import Site


@transaction.atomic
def gateway_provision(*, site: Site, name: str, meter_codes: list[str] | None = None) -> tuple[Gateway, str]:
    """Create a gateway (optionally limited to some meters) with a first token; return it and the plain token."""
    if Gateway.objects.filter(site=site, name=name).exists():
        raise ApplicationError("gateway_exists", f"Site {site.code} already has a gateway named {name!r}.",
                               status_code=409)
    gateway = Gateway.objects.create(site=site, name=name)
    if meter_codes:
        meters = list(Meter.objects.filter(site=site, code__in=meter_codes))
        missing = sorted(set(meter_codes) - {m.code for m in meters})
        if missing:
            raise ApplicationError("unknown_meter", f"No meters {', '.join(missing)} at site {site.code}.")
        gateway.allowed_meters.set(meters)
    return gateway, gateway_token_issue(gateway=gateway)


def gateway_token_issue(*, gateway: Gateway) -> str:
    token, digest = token_generate("ntg_")
    GatewayToken.objects.create(gateway=gateway, prefix=token[:12], key_hash=digest)
    return token


def gateway_tokens_revoke(*, gateway: Gateway) -> int:
    return GatewayToken.objects.filter(gateway=gateway, revoked_at__isnull=True).update(revoked_at=timezone.now())


def gateway_authenticate(*, token: str) -> Gateway | None:
    """The gateway of a valid, unrevoked token, or None."""
    row = (GatewayToken.objects.select_related("gateway__site")
           .filter(key_hash=token_hash(token), revoked_at__isnull=True).first())
    if row is None:
        return None
    now = timezone.now()
    # One write per minute at most: a busy gateway posts many batches a minute.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(seconds=60):
        GatewayToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.gateway
