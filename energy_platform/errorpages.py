"""Error pages (400, 403, 404, 500): the platform's own styled page in the user's language, JSON under /api/.

Django's default handlers render a bare English page (and the 500 one without the request, so without the layout);
these render `<status>.html` (templates/, extending the UI layout) with the request. Under /api/ every error stays
`{"code", "detail"}`. A page that cannot be rendered (the database is down while the navigation asks for roles)
falls back to a minimal page, so an error page never raises an error of its own.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

#: Stable codes and English details of the API's answers (the API speaks English, as the exception handler does).
API_ERRORS = {400: ("bad_request", "The request is malformed."),
              403: ("permission_denied", "You do not have permission to perform this action."),
              404: ("not_found", "Not found."),
              500: ("server_error", "An unexpected error occurred; it has been logged.")}


def _titles() -> dict[int, tuple[str, str]]:
    return {400: (_("Bad request"), _("The request could not be understood: please check what you entered.")),
            403: (_("Access denied"), _("You do not have permission to see this page.")),
            404: (_("Page not found"), _("There is no page at this address.")),
            500: (_("Server error"), _("Something went wrong on our side. The error has been logged; please try "
                                        "again later.")),
            503: (_("Service unavailable"), _("The service is briefly unavailable; please try again in a moment."))}


def error_page(request: HttpRequest, status: int, *, detail: str | None = None, code: str | None = None,
               extra: dict | None = None) -> HttpResponse:
    """The error answer for `request`: JSON under /api/, else the styled `<status>.html` page (error.html for other
    statuses, with the 400 page's wording when there is none of their own)."""
    if request.path_info.startswith("/api/"):
        default_code, default_detail = API_ERRORS.get(status, API_ERRORS[400])
        return JsonResponse({"code": code or default_code, "detail": detail or default_detail, **(extra or {})},
                            status=status)
    title, message = _titles().get(status, _titles()[400])
    context = {"status": status, "title": title, "message": message, "detail": detail, "code": code}
    try:
        body = render_to_string([f"{status}.html", "error.html"], context, request=request)
    except Exception:  # noqa: BLE001  (an error page must not fail: the layout may need the database)
        logger.exception("error page %s could not be rendered", status)
        # The localized message first; the detail and the stable code (e.g. database_unavailable) after it.
        body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>"
                f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
                + (f"<p>{escape(detail)}</p>" if detail else "")
                + (f"<p><small>{escape(_('Error code'))}: <code>{escape(code)}</code></small></p>" if code else "")
                + "<p><a href='/'>Nengtan</a></p></body></html>")
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The reason given to PermissionDenied is written for users (e.g. "The regulator portal is for regulators.").
    reason = str(exception) if exception is not None and str(exception) else None
    return error_page(request, 403, detail=reason)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without a valid CSRF token (an expired page, cookies off): the styled 403 saying what to do."""
    return error_page(request, 403, code="csrf_failed",
                      detail=_("The form has expired or cookies are blocked: reload the page and submit it again."))
