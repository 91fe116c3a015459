"""Errors the platform answers with: an HTTP status, a stable code the screens translate,
and an English message for logs and API users."""

from __future__ import annotations


class PlatformError(Exception):
    """A request the platform refuses; nothing was changed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_request(code: str, message: str) -> PlatformError:
    """400: the request itself is wrong."""
    return PlatformError(400, code, message)


def unauthorized(code: str, message: str) -> PlatformError:
    """401: not logged in, or the login has expired."""
    return PlatformError(401, code, message)


def forbidden(code: str, message: str) -> PlatformError:
    """403: logged in, but this role (or department, or counter) may not do it."""
    return PlatformError(403, code, message)


def not_found(code: str, message: str) -> PlatformError:
    """404: no such line, counter or ticket."""
    return PlatformError(404, code, message)


def conflict(code: str, message: str) -> PlatformError:
    """409: not now, in this state (ticket already called, counter paused, nothing waiting)."""
    return PlatformError(409, code, message)
