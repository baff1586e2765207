"""Errors the services raise; the HTTP edge turns them into JSON or a page."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule said no. ``status`` is the HTTP status that fits; ``message`` is for people;
    ``field`` (optional) names the input it is about."""

    status = 422

    def __init__(self, message: str, status: int | None = None, code: str | None = None,
                 field: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.code = code
        self.field = field


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409
