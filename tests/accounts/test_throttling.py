"""Personal API tokens are rate-limited per token, and failed token authentications per client address, in Redis."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services import api_token_create
from accounts.throttling import PersonalTokenRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_rate_2_per_min(monkeypatch):
    # The rate is read from the settings once, when DRF's throttle class is defined (as for the gateways' test).
    monkeypatch.setattr(PersonalTokenRateThrottle, "THROTTLE_RATES", {"personal_token": "2/min"})


def _client(token: str | None = None, addr: str = "10.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=addr)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_personal_token_above_its_rate_gets_429_with_code_and_retry_after(tenants, clean_cache,
                                                                          token_rate_2_per_min):
    _, token = api_token_create(user=tenants["manager_a"])
    client = _client(token)

    codes = [client.get("/api/v1/sites/").status_code for _ in range(3)]
    response = client.get("/api/v1/sites/")

    assert codes == [200, 200, 429]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == {"code", "detail"}
    assert int(response["Retry-After"]) > 0


def test_each_personal_token_has_its_own_count_and_sessions_are_not_counted(tenants, clean_cache,
                                                                            token_rate_2_per_min):
    _, first = api_token_create(user=tenants["manager_a"])
    _, second = api_token_create(user=tenants["manager_a"], name="second")
    session = APIClient()
    session.force_login(tenants["viewer_a"])

    first_codes = [_client(first).get("/api/v1/sites/").status_code for _ in range(3)]
    second_codes = [_client(second).get("/api/v1/sites/").status_code for _ in range(2)]
    session_codes = [session.get("/api/v1/sites/").status_code for _ in range(3)]

    assert first_codes == [200, 200, 429]
    assert second_codes == [200, 200]
    assert session_codes == [200, 200, 200]


def test_failed_token_authentications_from_one_address_are_throttled(tenants, clean_cache, settings):
    settings.AUTH_FAILURE_THROTTLE_RATE = "3/min"
    _, good = api_token_create(user=tenants["manager_a"])

    # Three wrong guesses are answered 401; from then on the address gets 429, even with a right token, so a
    # guessing client learns nothing more until the window ends. Another address is unaffected.
    guesses = [_client("wrong-guess").get("/api/v1/sites/").status_code for _ in range(3)]
    blocked = _client("another-guess").get("/api/v1/sites/")
    right_token_same_address = _client(good).get("/api/v1/sites/")
    other_address = _client(good, addr="10.0.0.2").get("/api/v1/sites/")

    assert guesses == [401, 401, 401]
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert int(blocked["Retry-After"]) == 60
    assert right_token_same_address.status_code == 429
    assert other_address.status_code == 200


def test_failed_gateway_token_authentications_count_too(tenants, clean_cache, settings):
    settings.AUTH_FAILURE_THROTTLE_RATE = "2/min"
    client = APIClient(REMOTE_ADDR="10.0.0.3", HTTP_AUTHORIZATION="Bearer not-a-gateway-token")

    codes = [client.post("/api/v1/readings/", {"readings": []}, format="json").status_code for _ in range(3)]

    assert codes == [401, 401, 429]


def test_the_failure_throttle_fails_open_when_redis_is_down(tenants, settings):
    settings.AUTH_FAILURE_THROTTLE_RATE = "1/min"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    _, good = api_token_create(user=tenants["manager_a"])

    codes = [_client("wrong").get("/api/v1/sites/").status_code for _ in range(2)]

    assert codes == [401, 401]
    assert _client(good).get("/api/v1/sites/").status_code == 200
