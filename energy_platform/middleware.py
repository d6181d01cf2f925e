"""Request guards and error pages.

`InputGuardMiddleware` refuses, before any view or database sees them, text that no field of the platform accepts:
control characters (NUL and the rest) in the path, query, headers, JSON, CSV and form bodies and in uploaded CSV
files, and over-long headers and query values. It answers 400 `invalid_characters` or `too_long`, as JSON
`{"code", "detail"}` under /api/ and as a small page elsewhere. Without it a NUL reached PostgreSQL, which refuses it
with a DataError that was answered as an outage (503) or a 500.

`ApplicationErrorMiddleware` turns an ApplicationError raised in a (non-API) page into a 4xx page with its message
instead of a 500, a value the database refuses (DataError) into a 400, and an unreachable database (PostgreSQL
restarting) into a retryable 503 page with Retry-After.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse

from .errors import ApplicationError

logger = logging.getLogger(__name__)

#: In one-line text (path, query, headers): every C0 control character, DEL and the C1 controls.
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
#: In a body (free text and CSV may hold tabs and line breaks): the same without tab, line feed and carriage return.
#: C0 and DEL are found by deleting them (bytes.translate: 2 ms for a 10,000-row batch of 740 kB, 15 ms with a
#: regular expression); the C1 controls are \xc2\x80-\x9f in UTF-8, looked for only when \xc2 occurs at all.
_CONTROL_BODY_BYTES = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20)) + b"\x7f"
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
#: A JSON escape of such a character (`\u0000`), not preceded by an odd number of backslashes (`\\u0000` is text).
_CONTROL_JSON_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])")

#: Longest accepted path, query parameter value and header value, in characters; some headers have their own limit.
MAX_QUERY_VALUE = 2000
MAX_PATH = 2000
MAX_HEADER_VALUE = 8190  # as gunicorn's limit_request_field_size
HEADER_LIMITS = {"HTTP_X_BATCH_ID": 100}
#: Bodies checked as text (without a Content-Encoding; the readings endpoint checks a gzip body after inflating it).
TEXT_BODIES = ("application/json", "text/csv", "text/plain")
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
UPLOAD_CHUNK = 1024 * 1024


def invalid_characters(where: str) -> ApplicationError:
    return ApplicationError("invalid_characters", f"{where} contains control characters (such as NUL); they are "
                            "not accepted in any text.")


def body_check(data: bytes, *, where: str = "The request body") -> None:
    """Refuse a text body (JSON, CSV, form) holding control characters other than tab and line breaks, raw or as a
    JSON escape."""
    if len(data.translate(None, _CONTROL_BODY_BYTES)) != len(data) \
            or (b"\xc2" in data and _C1_UTF8.search(data)) \
            or (b"\\u00" in data and _CONTROL_JSON_ESCAPE.search(data)):
        raise invalid_characters(where)


def line_check(text: str, *, where: str, limit: int | None = None) -> None:
    """Refuse one-line text (a path, query value or header) with control characters or longer than `limit`."""
    if _CONTROL_LINE.search(text):
        raise invalid_characters(where)
    if limit is not None and len(text) > limit:
        raise ApplicationError("too_long", f"{where} is longer than {limit} characters.")


def _check(request) -> None:
    line_check(request.path_info, where="The path", limit=MAX_PATH)
    for key, values in request.GET.lists():
        line_check(key, where="A query parameter name", limit=100)
        for value in values:
            line_check(value, where=f"The query parameter {key!r}", limit=MAX_QUERY_VALUE)
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            name = key[5:].replace("_", "-").title()
            line_check(value, where=f"The header {name}", limit=HEADER_LIMITS.get(key, MAX_HEADER_VALUE))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = (request.content_type or "").lower()
    if request.META.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() not in ("", "identity"):
        return  # checked once inflated (the readings endpoint)
    if content_type in TEXT_BODIES:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            body_check(request.body)  # an over-large body is refused by its view (413)
    elif content_type in FORMS:
        try:
            fields, files = request.POST, request.FILES
        except Exception:  # noqa: BLE001  (a malformed form is answered by the view's own parser)
            return
        for key, values in fields.lists():
            for value in values:
                body_check(value.encode(), where=f"The field {key!r}")
        for uploaded in files.values():
            if (uploaded.name or "").lower().endswith((".csv", ".txt")):
                for chunk in uploaded.chunks(UPLOAD_CHUNK):
                    body_check(chunk, where=f"The file {uploaded.name!r}")
                uploaded.seek(0)


def error_response(request, exception: ApplicationError) -> HttpResponse:
    """The error as `{"code", "detail"}` JSON under /api/, as the styled error page elsewhere (errorpages)."""
    from .errorpages import error_page

    response = error_page(request, exception.status_code, detail=exception.detail, code=exception.code,
                          extra=exception.extra)
    if "retry_after" in exception.extra:
        response["Retry-After"] = str(exception.extra["retry_after"])
    return response


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            _check(request)
        except ApplicationError as exc:
            return error_response(request, exc)
        return self.get_response(request)


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DataError):  # a value the database refuses: the request's fault, not an outage
            from .api import invalid_value

            logger.warning("value refused by the database: %s", exception)
            exception = invalid_value()
        elif isinstance(exception, OperationalError | InterfaceError):
            from .api import database_unavailable

            logger.warning("database unavailable: %s", exception)
            exception = database_unavailable()
        if not isinstance(exception, ApplicationError):
            return None
        return error_response(request, exception)
