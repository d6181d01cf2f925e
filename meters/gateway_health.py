"""Gateway health (selectors): last seen, messages per minute and rejected share over a recent window, and the
session state the broker reported (MQTT last will / status topic, Sparkplug NBIRTH / NDEATH). Aggregated in SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Gateway, GatewayToken, IngestBatch, RejectedRow

#: The window messages per minute and the rejected share are measured over.
HEALTH_WINDOW_MINUTES = 60


def gateways_with_health(qs: QuerySet[Gateway], *, now: dt.datetime,
                         window_minutes: int = HEALTH_WINDOW_MINUTES) -> QuerySet[Gateway]:
    since = now - dt.timedelta(minutes=window_minutes)
    recent = IngestBatch.objects.filter(gateway=OuterRef("pk"), received_at__gte=since).values("gateway")
    return qs.annotate(
        last_batch_at=Subquery(IngestBatch.objects.filter(gateway=OuterRef("pk")).order_by("-received_at")
                               .values("received_at")[:1]),
        token_used_at=Subquery(GatewayToken.objects.filter(gateway=OuterRef("pk"), last_used_at__isnull=False)
                               .order_by("-last_used_at").values("last_used_at")[:1]),
        state_seen_at=F("state__last_seen_at"),
        session_state=Coalesce(F("state__session"), Value("unknown")),
        session_changed_at=F("state__session_changed_at"),
        window_batches=Coalesce(Subquery(recent.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0),
        window_rows=Coalesce(Subquery(recent.annotate(n=Sum("rows")).values("n"), output_field=IntegerField()), 0),
        window_rejected=Coalesce(Subquery(recent.annotate(n=Sum("rejected")).values("n"),
                                          output_field=IntegerField()), 0),
    )


def gateway_last_seen(gateway: Gateway) -> dt.datetime | None:
    """The latest sign of life of an annotated gateway: a batch, a token use (HTTP) or an MQTT message."""
    seen = [t for t in (getattr(gateway, "last_batch_at", None), getattr(gateway, "token_used_at", None),
                        getattr(gateway, "state_seen_at", None)) if t is not None]
    return max(seen) if seen else None


def gateway_health(gateway: Gateway, *, window_minutes: int = HEALTH_WINDOW_MINUTES) -> dict[str, Any]:
    """The health figures of a gateway annotated by gateways_with_health()."""
    rows = getattr(gateway, "window_rows", 0) or 0
    last_seen = gateway_last_seen(gateway)
    return {
        "last_seen": last_seen.isoformat() if last_seen else None,
        "messages_per_minute": round((getattr(gateway, "window_batches", 0) or 0) / window_minutes, 2),
        "rejected_share": round((getattr(gateway, "window_rejected", 0) or 0) / rows, 4) if rows else None,
        "session": getattr(gateway, "session_state", "unknown"),
        "window_minutes": window_minutes,
    }


def gateway_recent_errors(gateway_ids: list[int], *, limit: int = 5) -> dict[int, list[RejectedRow]]:
    """The newest rejected rows of each gateway's batches (at most `limit` per gateway), newest first."""
    out: dict[int, list[RejectedRow]] = {gid: [] for gid in gateway_ids}
    for gid in gateway_ids:  # a handful of gateways per page: one indexed query each
        out[gid] = list(RejectedRow.objects.filter(batch__gateway_id=gid).select_related("batch")
                        .order_by("-batch__received_at", "-index")[:limit])
    return out
