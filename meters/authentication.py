"""DRF authentication for meter gateways: `Authorization: Bearer <gateway token>`."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.throttling import auth_failure_record, auth_failures_check

from .services.gateways import gateway_authenticate


class GatewayUser(AnonymousUser):
    """The request.user of a gateway request: not a person, carries the gateway."""

    def __init__(self, gateway):
        super().__init__()
        self.gateway = gateway

    def __str__(self) -> str:
        return f"gateway:{self.gateway.pk}"


class GatewayTokenAuthentication(authentication.BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        auth_failures_check(request)  # failed attempts are throttled per address (AUTH_FAILURE_THROTTLE_RATE)
        if len(header) != 2:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed("Invalid bearer header: give `Bearer <gateway token>`.")
        try:
            token = header[1].decode()
        except UnicodeDecodeError as exc:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed("Invalid gateway token.") from exc
        gateway = gateway_authenticate(token=token)
        if gateway is None:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed("Unknown or revoked gateway token.")
        return GatewayUser(gateway), gateway

    def authenticate_header(self, request):
        return 'Bearer realm="gateway"'


class GatewayTokenScheme(OpenApiAuthenticationExtension):
    target_class = "meters.authentication.GatewayTokenAuthentication"
    name = "gatewayToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "Gateway token from `manage.py provision_gateway` (shown once, stored hashed)."}
