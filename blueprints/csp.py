"""Security headers: a per-response CSP nonce, frame-ancestors from the merchant's list.

Stripe's documented hosts are allowed by default; when STRIPE_JS_URL or STRIPE_API_BASE
point elsewhere (the sandbox), those origins are allowed instead, so the policy is
always exactly as wide as the Stripe in use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

STRIPE_SCRIPT = ("https://js.stripe.com", "https://*.js.stripe.com")
STRIPE_FRAMES = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
STRIPE_CONNECT = ("https://api.stripe.com",)
# Where an Account Link sends the merchant (the console's Connect button posts, then is
# redirected there: form-action covers that redirect).
STRIPE_ONBOARDING = "https://connect.stripe.com"
SAFE_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


def origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def stripe_sources(js_url: str | None, api_base: str | None) -> dict[str, tuple[str, ...]]:
    js = origin(js_url)
    api = origin(api_base)
    script: tuple[str, ...]
    frames: tuple[str, ...]
    connect: tuple[str, ...]
    if js is None or js == "https://js.stripe.com":
        script, frames = STRIPE_SCRIPT, STRIPE_FRAMES
    else:
        script, frames = (js,), (js,)
    connect = (api,) if api and api != "https://api.stripe.com" else STRIPE_CONNECT
    if js not in (None, "https://js.stripe.com") and js not in connect:
        connect = (*connect, js)  # the double's Stripe.js calls its own origin
    return {"script": script, "frame": frames, "connect": connect}


def onboarding_origin(api_base: str | None) -> str:
    """Stripe's hosted onboarding, or the sandbox's (its Account Links are on its API)."""
    api = origin(api_base)
    return api if api and api != "https://api.stripe.com" else STRIPE_ONBOARDING


def _policy_around_nonce(js_url: str | None, api_base: str | None,
                         frame_ancestors: tuple[str, ...], images: tuple[str, ...],
                         connect: bool = False) -> tuple[str, str]:
    """The policy's text before and after the nonce (cached by _headers_around_nonce)."""
    stripe = stripe_sources(js_url, api_base)
    forms = "form-action 'self'" + (f" {onboarding_origin(api_base)}" if connect else "")
    nonce = "\x00nonce\x00"
    # Origins are validated when saved; this keeps a bad row from rewriting the policy.
    ancestors = " ".join(o for o in frame_ancestors if SAFE_ORIGIN.match(o)) or "'none'"
    directives = [
        "default-src 'none'",
        f"script-src 'self' 'nonce-{nonce}' " + " ".join(stripe["script"]),
        "style-src 'self'",
        " ".join(["img-src 'self' data:", *images]),
        "font-src 'self'",
        "connect-src 'self' " + " ".join(stripe["connect"]),
        "frame-src " + " ".join(stripe["frame"]),
        forms,
        "base-uri 'none'",
        "object-src 'none'",
        f"frame-ancestors {ancestors}",
    ]
    before, _, after = "; ".join(directives).partition(nonce)
    return before, after


def security_headers(config: Mapping[str, Any], nonce: str, frame_ancestors: Iterable[str],
                     secure: bool, no_store: bool, images: Iterable[str] = ()
                     ) -> list[tuple[str, str]]:
    """Every security header of a response, CSP first."""
    before, after, rest = _headers_around_nonce(
        config.get("STRIPE_JS_URL"), config.get("STRIPE_API_BASE"), tuple(frame_ancestors),
        tuple(images), secure, no_store, bool(config.get("STRIPE_CONNECT")))
    return [("Content-Security-Policy", before + nonce + after), *rest]


@lru_cache(maxsize=1024)
def _headers_around_nonce(js_url: str | None, api_base: str | None,
                          frame_ancestors: tuple[str, ...], images: tuple[str, ...],
                          secure: bool, no_store: bool, connect: bool = False
                          ) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The CSP around its nonce and the other headers: built once per combination."""
    before, after = _policy_around_nonce(js_url, api_base, frame_ancestors, images, connect)
    headers = [
        # Same-origin only: a pay link's path never leaves in a Referer header.
        ("Referrer-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if not frame_ancestors:
        headers.append(("X-Frame-Options", "DENY"))  # for browsers without frame-ancestors
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    if no_store:
        headers.append(("Cache-Control", "no-store"))
    return before, after, tuple(headers)
