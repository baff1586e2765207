"""Headers on every response: CSP with a fresh nonce, no-store on pay pages and JSON."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

from services.security import security_headers

NO_STORE_PREFIXES = ("/pay/", "/api/", "/webhooks/", "/healthz")


def register(app: Flask) -> None:
    @app.before_request
    def _nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def _template_nonce() -> dict[str, str]:
        return {"csp_nonce": g.get("csp_nonce", "")}

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = security_headers(
            current_app.config, g.get("csp_nonce") or secrets.token_urlsafe(16),
            # Pay views set the merchant's allowed origins; every other page is unframeable.
            g.get("frame_ancestors") or [],
            secure=request.is_secure,
            no_store=request.path.startswith(NO_STORE_PREFIXES) or response.is_json,
            images=g.get("image_origins") or (),  # a merchant's logo host, on its pay page
        )
        # A view's own header of the same name wins (one scan, not one per header).
        present = {name.lower() for name, _ in response.headers.items()}
        response.headers.extend([(name, value) for name, value in headers.items()
                                 if name.lower() not in present])
        return response
