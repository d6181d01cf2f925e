"""Gateways and their bearer tokens (stored as SHA-256, shown once)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from accounts.tokens import token_generate, token_hash
from energy_platform.errors import ApplicationError
from meters.models import Gateway, GatewayToken, Meter
from plants.models import Site

from .mqtt_auth import broker_credentials_sync, gateway_mqtt_password_set

#: Who creates gateways, chooses their meters, issues and revokes their tokens: the one rule of the API, the admin and
#: the UI's gateways page. Energy managers onboard the meters of their sites, so they onboard the gateways too.
GATEWAY_MANAGE_ROLE = Role.ENERGY_MANAGER


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


@transaction.atomic
def gateway_meters_set(*, gateway: Gateway, meter_ids: list[int]) -> list[str]:
    """Limit the gateway to these meters of its site (none: every meter of the site); returns their codes."""
    meters = list(Meter.objects.filter(site_id=gateway.site_id, pk__in=meter_ids).order_by("code"))
    if len(meters) != len(set(meter_ids)):
        raise ApplicationError("unknown_meter", "Every meter must belong to the gateway's site.")
    gateway.allowed_meters.set(meters)
    return [m.code for m in meters]


@transaction.atomic
def gateway_token_issue(*, gateway: Gateway) -> str:
    """A new token; it also becomes the gateway's MQTT password (the broker's files are rewritten on commit)."""
    token, digest = token_generate("ntg_")
    row = GatewayToken.objects.create(gateway=gateway, prefix=token[:12], key_hash=digest)
    gateway_mqtt_password_set(gateway=gateway, token_row=row, token=token)
    return token


@transaction.atomic
def gateway_tokens_revoke(*, gateway: Gateway) -> int:
    """Revoke every token of the gateway; the broker refuses it from the next connection on."""
    n = GatewayToken.objects.filter(gateway=gateway, revoked_at__isnull=True).update(revoked_at=timezone.now())
    transaction.on_commit(broker_credentials_sync)
    return n


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
