"""Hostile input stops at the door, for every route at once (a new field cannot forget it).

- Body size: MAX_CONTENT_LENGTH for the merchant API and webhooks, a smaller cap for the
  public pay routes and the console's forms; werkzeug stops reading there (a declared
  Content-Length is refused before any byte is read; a chunked body when the cap is hit).
- JSON bodies: nested at most services.text.MAX_JSON_DEPTH deep (checked on the raw
  bytes, before ``json.loads`` can recurse), and every key and string follows the text
  rule. This is the app's JSON provider's loads, so however a view parses its body
  (``get_json(force=True)`` or not) it is checked; JSON bodies are also parsed here, in
  the first before_request, so nothing (an idempotency key, a pending payment) is stored
  for a request that is then refused.
- Query strings, form fields and header values follow the text rule too (422 naming the
  field); a path that breaks it names nothing and is a 404, like any unknown id or link.

Stripe's webhook is the exception for its body only: it is verified on the raw bytes and
parsed by Stripe's SDK, and a refusal would have Stripe retry it for days.
"""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from services.common import text
from services.common.errors import ServiceError

RAW_BODY_ENDPOINTS = frozenset({"webhooks.stripe_webhook"})
# Unauthenticated or form routes whose bodies are a few fields: the smaller cap.
SMALL_BODY_BLUEPRINTS = frozenset({"pay", "public_api", "console"})
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsing with the depth cap first (on the raw text), then the text rule.

    Flask parses every request body through ``app.json.loads`` (it sets the request's
    json_module to the app's provider), so every way a view reads JSON is covered.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if text.json_depth_exceeds(s):
            raise ServiceError(f"The JSON body is nested too deeply (at most "
                               f"{text.MAX_JSON_DEPTH} levels).", status=400,
                               code="json_too_deep")
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:  # cannot happen below the depth cap; never a 500 regardless
            raise ServiceError("The JSON body is nested too deeply.", status=400,
                               code="json_too_deep") from None
        return text.check_json(value)


def _check_request() -> None:
    if request.blueprint in SMALL_BODY_BLUEPRINTS:
        small = current_app.config["PAYLINK_MAX_SMALL_BODY_BYTES"]
        request.max_content_length = min(request.max_content_length or small, small)
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()  # before reading a byte
    if (limit is not None and request.content_length is None
            and request.method not in SAFE_METHODS
            and "wsgi.input_terminated" in request.environ):
        # A chunked body: werkzeug stops reading at the cap but hands over what it read,
        # cut short. Read one byte past it (kept for the view), so a longer body is a 413.
        request.max_content_length = limit + 1
        if len(request.get_data()) > limit:
            raise RequestEntityTooLarge()
    # A path naming nothing is a 404, as any unknown id or link is (no query is made).
    if text.problem(request.path) is not None:
        raise NotFound()
    for name, value in request.args.items(multi=True):
        text.check(name, "query")
        text.check(value, name)
    for name, value in request.headers.items():
        if text.HEADER_BAD.search(value):
            raise text.TextError(name, f"The {name} header must not contain control "
                                       "characters.")
    if request.method in SAFE_METHODS or request.endpoint in RAW_BODY_ENDPOINTS:
        return
    if request.mimetype in FORM_MIMETYPES:
        for name, value in request.form.items(multi=True):
            text.check(name, "form")
            text.check(value, name, multiline=True)
    elif request.is_json:
        request.get_json(silent=True)  # parsed once (cached for the view), checked by loads
    else:
        data = request.get_data()  # views may parse any body as JSON (force=True)
        if data:
            with contextlib.suppress(ValueError):  # not JSON: the view answers as it did
                current_app.json.loads(data)


def register(app: Flask) -> None:
    """The JSON provider, the size caps, and the check as the app's first before_request."""
    app.json = GuardedJSONProvider(app)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # a caller's own value wins
        app.config["MAX_CONTENT_LENGTH"] = app.config["PAYLINK_MAX_BODY_BYTES"]
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
