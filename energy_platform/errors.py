"""One application error type with a stable code; the API exception handler turns it into a 4xx body."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A domain error with a machine-readable code, a human message and an HTTP status."""

    status_code = 400

    def __init__(self, code: str, detail: str, *, status_code: int | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}
