"""Merchant API plumbing: Bearer auth, JSON bodies, Idempotency-Key replays."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue

from models import Merchant
from services.common import fields, idempotency
from services.common.errors import ServiceError
from services.merchants.keys import authenticate

AUTH_MESSAGE = "Missing or invalid API key: send Authorization: Bearer <your API key>."


def current_merchant() -> Merchant:
    """The merchant owning the request's Bearer key; 401 otherwise."""
    merchant = g.get("merchant")
    if merchant is not None:
        return merchant
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    merchant = authenticate(key.strip()) if scheme.lower() == "bearer" else None
    if merchant is None:
        raise ServiceError(AUTH_MESSAGE, status=401, code="unauthorized")
    g.merchant = merchant
    return merchant


def json_body() -> dict[str, Any]:
    """The body as a JSON object; anything else is a 400 with a message."""
    return fields.body_object(request.get_json(force=True, silent=True))


def _error_body(exc: ServiceError) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "message": exc.message}
    if exc.code:
        body["code"] = exc.code
    if exc.field:
        body["field"] = exc.field
    return body


def idempotent(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """POSTs with an Idempotency-Key answer a replay with the first answer and status."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or key is None:
            return view(*args, **kwargs)
        merchant = current_merchant()
        print_ = idempotency.fingerprint(request.method, request.path, request.get_data())
        stored = idempotency.begin(merchant, key.strip(), print_)
        if stored is not None:
            response = jsonify(stored.body)
            response.status_code = stored.status
            response.headers["Idempotent-Replayed"] = "true"
            return response
        try:
            response = make_response(view(*args, **kwargs))
        except ServiceError as exc:
            idempotency.finish(merchant, key.strip(), exc.status, _error_body(exc))
            raise
        except Exception:
            idempotency.finish(merchant, key.strip(), 500, None)
            raise
        _store(merchant, key.strip(), response)
        return response

    return wrapper


def _store(merchant: Merchant, key: str, response: Response) -> None:
    idempotency.finish(merchant, key, response.status_code, response.get_json(silent=True))
