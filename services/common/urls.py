"""Absolute URLs, made in one place: PAYLINK_BASE_URL plus an app path.

Never from the request (``request.host_url``, ``url_for(_external=True)``): the Host and
X-Forwarded-Host headers are the client's to choose, and a URL built from them would send
customers (a PaymentIntent's return_url, a link in an email) to whatever host they named.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def absolute_url(base_url: str, path: str) -> str:
    """``base_url`` (which may carry a path prefix) joined with an app path."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def public_url_for(endpoint: str, **values: Any) -> str:
    """url_for's path for an endpoint, on PAYLINK_BASE_URL; works without a request too."""
    # A map bound to no request: the path alone, whatever Host or SCRIPT_NAME came in.
    adapter = current_app.url_map.bind("paylink.invalid", script_name="/")
    return absolute_url(current_app.config["PAYLINK_BASE_URL"], adapter.build(endpoint, values))
