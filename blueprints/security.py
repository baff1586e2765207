"""Headers on every response: CSP with a fresh nonce, no-store on pay pages and JSON."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

from blueprints.csp import security_headers

NO_STORE_PREFIXES = ("/pay/", "/api/", "/webhooks/", "/healthz")


def register(app: Flask) -> None:
    @app.before_request
    def _nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def _template_nonce() -> dict[str, str]:
        return {"csp_nonce": g.get("csp_nonce", "")}

    config = app.config

    @app.after_request
    def _headers(response: Response) -> Response:
        state = g._get_current_object()
        req = request._get_current_object()  # type: ignore[attr-defined]  # a werkzeug proxy
        headers = security_headers(
            config, getattr(state, "csp_nonce", None) or secrets.token_urlsafe(16),
            # Pay views set the merchant's allowed origins; every other page is unframeable.
            getattr(state, "frame_ancestors", None) or (),
            secure=req.is_secure,
            no_store=req.path.startswith(NO_STORE_PREFIXES) or response.is_json,
            images=getattr(state, "image_origins", None) or (),  # a merchant's logo host
        )
        # A view's own header of the same name wins (one scan, not one per header).
        own = response.headers
        present = {name.lower() for name, _ in own}
        own.extend([(name, value) for name, value in headers if name.lower() not in present])
        return response
