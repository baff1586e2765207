"""A merchant's own settings: embed origins, outgoing webhooks, calendar sync, branding."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from models import Merchant, transactional
from services.common import fields
from services.common.errors import ServiceError
from services.connect import fees
from services.messaging import outbound
from services.reminders.schedule import offsets, parse_reminders

MAX_ORIGINS = 20
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def normalize_origin(raw: Any) -> str:
    """`https://host[:port]` (http only for localhost), lower-cased, no path or trailing slash."""
    if not isinstance(raw, str) or len(raw) > 200:
        raise ServiceError("allowed_embed_origins must be a list of origins.",
                           field="allowed_embed_origins")
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:
        raise ServiceError(f"{raw!r} is not an origin like https://shop.example.",
                           field="allowed_embed_origins") from None
    host = (parts.hostname or "").lower()
    bracketed = f"[{host}]" if ":" in host else host
    local = bracketed in LOCAL_HOSTS
    ok_scheme = parts.scheme == "https" or (parts.scheme == "http" and local)
    valid_host = re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*",
                              host) or local
    if (not ok_scheme or not valid_host or parts.path not in ("", "/") or parts.query
            or parts.fragment or parts.username or parts.password):
        raise ServiceError(
            f"{raw!r} is not an origin like https://shop.example (http only for localhost).",
            field="allowed_embed_origins")
    return f"{parts.scheme}://{bracketed}" + (f":{port}" if port else "")


def _webhook_url(raw: str | None) -> str | None:
    """https to a public host (services.outbound); checked again at each delivery."""
    if raw is None:
        return None
    try:
        outbound.check_url(raw)
    except outbound.UnsafeURL as exc:
        raise ServiceError(f"webhook_url {exc}", code="webhook_url_not_allowed",
                           field="webhook_url") from None
    return raw


def settings_json(merchant: Merchant) -> dict[str, Any]:
    return {
        "uuid": merchant.uuid,
        "name": merchant.name,
        "currency": merchant.currency,
        "locale": merchant.locale,
        "timezone": merchant.timezone,
        "allowed_embed_origins": list(merchant.allowed_embed_origins or []),
        "webhook_url": merchant.webhook_url,
        # Shown to the key's owner so it can verify the Paylink-Signature header.
        "webhook_secret": merchant.webhook_secret,
        "calendar_sync": merchant.calendar_sync,
        "reminders": offsets(merchant),
        "notification_email": merchant.notification_email,
        "address": merchant.address,
        "branding": {
            "brand_color": merchant.brand_color,
            "logo_url": merchant.logo_url,
            "support_email": merchant.support_email,
        },
        "platformFee": fees.rule_for(merchant).as_json(),
    }


@transactional
def update_settings(merchant: Merchant, data: dict[str, Any]) -> Merchant:
    """Apply a partial update; unknown fields are refused so typos do not pass silently."""
    known = {"name", "allowed_embed_origins", "webhook_url", "calendar_sync", "branding",
             "locale", "timezone", "rotate_webhook_secret", "reminders",
             "notification_email", "address"}
    unknown = set(data) - known
    if unknown:
        raise ServiceError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if "name" in data:
        merchant.name = fields.string(data, "name", required=True)
    if "locale" in data:
        merchant.locale = fields.string(data, "locale", required=True, max_length=16)
    if "timezone" in data:
        merchant.timezone = fields.string(data, "timezone", required=True, max_length=64)
    if "allowed_embed_origins" in data:
        origins = data["allowed_embed_origins"]
        if not isinstance(origins, list) or len(origins) > MAX_ORIGINS:
            raise ServiceError(
                f"allowed_embed_origins must be a list of at most {MAX_ORIGINS} origins.",
                field="allowed_embed_origins")
        merchant.allowed_embed_origins = list(dict.fromkeys(normalize_origin(o) for o in origins))
    if "webhook_url" in data:
        merchant.webhook_url = _webhook_url(fields.string(data, "webhook_url", max_length=500))
    if merchant.webhook_url and (not merchant.webhook_secret
                                 or fields.boolean(data, "rotate_webhook_secret")):
        merchant.webhook_secret = "whsec_" + secrets.token_urlsafe(24)
    if "calendar_sync" in data:
        merchant.calendar_sync = fields.boolean(data, "calendar_sync")
    if "branding" in data:
        _update_branding(merchant, data["branding"])
    if "reminders" in data:
        merchant.reminders = parse_reminders(data["reminders"])
    if "notification_email" in data:
        merchant.notification_email = fields.email(
            fields.string(data, "notification_email", max_length=254), "notification_email")
    if "address" in data:
        merchant.address = fields.string(data, "address", max_length=500, multiline=True)
    merchant.save()
    return merchant


def _update_branding(merchant: Merchant, branding: Any) -> None:
    branding = fields.body_object(branding) if isinstance(branding, dict) else None
    if branding is None:
        raise ServiceError("branding must be an object.")
    if "brand_color" in branding:
        color = fields.string(branding, "brand_color", max_length=7)
        if color is not None and not HEX_COLOR.match(color):
            raise ServiceError("branding.brand_color must look like #0b5cab.",
                               field="branding.brand_color")
        merchant.brand_color = color
    if "logo_url" in branding:
        logo = fields.string(branding, "logo_url", max_length=500)
        if logo is not None and urlsplit(logo).scheme != "https":
            raise ServiceError("branding.logo_url must be an https:// URL.",
                               field="branding.logo_url")
        merchant.logo_url = logo
    if "support_email" in branding:
        merchant.support_email = fields.email(
            fields.string(branding, "support_email", max_length=254), "branding.support_email"
        )
