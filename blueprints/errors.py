"""One place that turns errors into a friendly page or a JSON message."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from runtime.logs import redact_path
from services.common.errors import ServiceError
from services.common.locales import N_, translate

log = logging.getLogger("paylink")

MESSAGES = {
    400: N_("The request could not be understood."),
    403: N_("You are not allowed to do that."),
    404: N_("This page does not exist. The link may have expired or been deleted."),
    405: N_("That method is not allowed here."),
    413: N_("The request is too large."),
    429: N_("Too many attempts. Please wait a moment and try again."),
    500: N_("Something went wrong on our side. Nothing was charged; please try again."),
    503: N_("The service is briefly unavailable. Please try again in a moment."),
}


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/webhooks/", "/healthz")) or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, message: str, code: str | None = None,
                   field: str | None = None) -> ResponseReturnValue:
    # The customer's language on the pay pages; elsewhere the catalog is English (as is).
    message = translate(message)
    if wants_json():
        body = {"success": False, "message": message}
        if code:
            body["code"] = code
        if field:
            body["field"] = field
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> ResponseReturnValue:
        return error_response(exc.status, exc.message, exc.code, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        return error_response(status, MESSAGES.get(status, exc.description or "Error."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: Exception) -> ResponseReturnValue:
        log.error("database unavailable", extra={"fields": {"error": type(exc).__name__}})
        return error_response(503, MESSAGES[503])

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error", extra={"fields": {"path": redact_path(request.path)}})
        return error_response(500, MESSAGES[500])
