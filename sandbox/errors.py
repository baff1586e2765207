"""Stripe's error envelope as an exception the routes turn into a JSON response."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An API error answered as `{"error": {...}}` with an HTTP status, like Stripe's."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        store: bool = True,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        self.body.update(extra)
        # Stripe does not save an idempotent result when the request failed validation
        # before the endpoint began executing; such requests may be retried with the key.
        self.store = store

    def response_body(self) -> dict[str, Any]:
        return {"error": self.body}


def missing(kind: str, ident: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{ident}'", code="resource_missing", param=param)


def param_error(message: str, param: str, code: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param, store=False)
