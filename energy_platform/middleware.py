"""Turns an ApplicationError raised in a (non-API) page into a 4xx page with its message instead of a 500, and an
unreachable database (PostgreSQL restarting) into a retryable 503 page with Retry-After."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.html import escape

from .errors import ApplicationError

logger = logging.getLogger(__name__)


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            from .api import database_unavailable

            logger.warning("database unavailable: %s", exception)
            exception = database_unavailable()
        if not isinstance(exception, ApplicationError):
            return None
        body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(exception.code)}</title></head>"
                f"<body><h1>{escape(exception.detail)}</h1><p><code>{escape(exception.code)}</code></p>"
                "<p><a href='/'>Nengtan</a></p></body></html>")
        response = HttpResponse(body, status=exception.status_code)
        if "retry_after" in exception.extra:
            response["Retry-After"] = str(exception.extra["retry_after"])
        return response
