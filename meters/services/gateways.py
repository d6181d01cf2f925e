"""Gateways and their bearer tokens (stored as SHA-256, shown once)."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection, transaction
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
    """The gateway (with its site) of a valid, unrevoked token, or None."""
    found = _token_lookup(token_hash(token))
    if found is None:
        return None
    token_pk, last_used_at, gateway = found
    now = timezone.now()
    # One write per minute at most: a busy gateway posts many batches a minute.
    if last_used_at is None or now - last_used_at > dt.timedelta(seconds=60):
        GatewayToken.objects.filter(pk=token_pk).update(last_used_at=now)
    return gateway


@functools.cache
def _token_sql() -> tuple[str, list[str], list[str]]:
    """PostgreSQL: the token's id and last use, its gateway's and site's fields in one statement."""
    quote = connection.ops.quote_name
    gateway = [f.attname for f in Gateway._meta.concrete_fields]
    site = [f.attname for f in Site._meta.concrete_fields]
    columns = ", ".join([f"g.{quote(str(f.column))}" for f in Gateway._meta.concrete_fields]
                        + [f"s.{quote(str(f.column))}" for f in Site._meta.concrete_fields])
    sql = (f"SELECT t.id, t.last_used_at, {columns} FROM {quote(GatewayToken._meta.db_table)} t "  # noqa: S608
           f"JOIN {quote(Gateway._meta.db_table)} g ON g.id = t.gateway_id "
           f"JOIN {quote(Site._meta.db_table)} s ON s.id = g.site_id "
           "WHERE t.key_hash = %s AND t.revoked_at IS NULL")
    return sql, gateway, site


def _token_lookup(key_hash: str) -> tuple[int, dt.datetime | None, Gateway] | None:
    """(token id, last use, gateway with its site) of an unrevoked token. Every gateway request asks: on PostgreSQL
    one statement whose rows become the models as the ORM's would (no field of the three converts its database value),
    without the ORM's building of the query each time; SQLite, whose timestamps need the ORM's conversion, uses it."""
    if connection.vendor != "postgresql":
        row = (GatewayToken.objects.select_related("gateway__site")
               .filter(key_hash=key_hash, revoked_at__isnull=True).first())
        return None if row is None else (row.pk, row.last_used_at, row.gateway)
    sql, gateway_fields, site_fields = _token_sql()
    with connection.cursor() as cur:
        cur.execute(sql, [key_hash])
        found = cur.fetchone()
    if found is None:
        return None
    values = found[2:]
    gateway = Gateway.from_db(connection.alias, gateway_fields, values[:len(gateway_fields)])
    gateway.site = Site.from_db(connection.alias, site_fields, values[len(gateway_fields):])
    return found[0], found[1], gateway
