"""DRF authentication by personal API token: `Authorization: Token <token>`."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken
from .throttling import auth_failure_record, auth_failures_check
from .tokens import token_hash


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        auth_failures_check(request)
        if len(header) != 2:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed("Invalid token header: give `Token <token>`.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
        if token is None or token.revoked_at is not None or not token.user.is_active:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
