"""API plumbing: the v1 router and the exception handler that gives every 4xx a {code, detail} body."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError

# No `.json` format-suffix routes: the API speaks JSON only, the suffix routes were undocumented in the schema, and
# views with their own list/create/action signatures crashed (500) when the router passed them `format=`.
logger = logging.getLogger(__name__)

router = DefaultRouter()
router.include_format_suffixes = False


def _code_for(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return "invalid"


#: Seconds a client is asked to wait (Retry-After) when the database is unreachable (restart, failover).
DATABASE_RETRY_AFTER = 5


def database_unavailable() -> ApplicationError:
    """The retryable error for an unreachable database (connection refused or lost): 503 with Retry-After."""
    return ApplicationError("database_unavailable", "The database is unavailable; retry the request later.",
                            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                            extra={"retry_after": DATABASE_RETRY_AFTER})


def invalid_value() -> ApplicationError:
    """A value the database refused (out of range, malformed): the request's fault, which a retry cannot cure."""
    return ApplicationError("invalid_value", "A value of the request is out of range or malformed for its field.")


def exception_handler(exc, context):
    """Map ApplicationError, Django and DRF errors to `{"code": ..., "detail": ...}` bodies; an unreachable database
    (OperationalError, InterfaceError, e.g. during a PostgreSQL restart) is a retryable 503, not a 500. A DataError
    (a value PostgreSQL refuses) is a 400: 503 means only that the database is unavailable."""
    if isinstance(exc, DataError):
        logger.warning("value refused by the database: %s", exc)
        exc = invalid_value()
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        exc = database_unavailable()
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "detail": exc.detail, **exc.extra}
        response = Response(body, status=exc.status_code)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": "The request has invalid fields.", "errors": response.data}
    elif isinstance(exc, exceptions.APIException):
        response.data = {"code": _code_for(exc), "detail": str(exc.detail)}
    return response
