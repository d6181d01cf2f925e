"""Request-rate limits for personal API tokens and for failed token authentication, counted in the cache (Redis),
as the gateways' (`meters.apis_ingest.GatewayRateThrottle`): above the rate the answer is 429
`{"code": "throttled", "detail": …}` with `Retry-After`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.views import APIView

import logging

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions, throttling

from .models import ApiToken

logger = logging.getLogger(__name__)


class PersonalTokenRateThrottle(throttling.SimpleRateThrottle):
    """Per-token request rate (API_TOKEN_THROTTLE_RATE) for requests authenticated by a personal API token; browser
    sessions are not counted. Fails open when the cache is down, like the gateways' throttle."""

    scope = "personal_token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001  (any cache backend error)
            logger.warning("token throttle cache unavailable; allowing the request", exc_info=True)
            return True


def _failure_rate() -> tuple[int, int]:
    """AUTH_FAILURE_THROTTLE_RATE as (requests, seconds), in DRF's rate syntax (`30/min`, `5/s`, `100/hour`)."""
    num, per = settings.AUTH_FAILURE_THROTTLE_RATE.split("/")
    return int(num), {"s": 1, "m": 60, "h": 3600, "d": 86400}[per[0]]


def _failure_key(request: HttpRequest) -> str:
    return f"throttle_auth_failure_{request.META.get('REMOTE_ADDR') or 'unknown'}"


def auth_failures_check(request: HttpRequest) -> None:
    """Refuse (429) every token authentication from an address that failed AUTH_FAILURE_THROTTLE_RATE times in the
    current window, so tokens cannot be guessed at speed. Personal and gateway tokens share the count."""
    num, period = _failure_rate()
    try:
        failures = cache.get(_failure_key(request), 0)
    except Exception:  # noqa: BLE001
        logger.warning("auth failure throttle cache unavailable; allowing the request", exc_info=True)
        return
    if failures >= num:
        raise exceptions.Throttled(wait=period, detail="Too many failed authentications from this address.")


def auth_failure_record(request: HttpRequest) -> None:
    """Count one failed token authentication of the request's address (a fixed window of the rate's period)."""
    _num, period = _failure_rate()
    key = _failure_key(request)
    try:
        cache.add(key, 0, timeout=period)
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period)
    except Exception:  # noqa: BLE001
        logger.warning("auth failure throttle cache unavailable", exc_info=True)
