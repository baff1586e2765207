"""A merchant's branding on the pay page: accent colour and logo, safely, and
GET /brand/<merchant uuid>.css, the accent as a stylesheet (CSP forbids inline).

The colour becomes the button and link accent only when white text on it stays readable
(WCAG contrast 4.5:1); otherwise the default accent stays, so branding never breaks access.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort

from models import Merchant

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5


def _luminance(color: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(color: str) -> float:
    return 1.05 / (_luminance(color) + 0.05)


def accent_color(brand_color: str | None) -> str | None:
    """The brand colour if it is valid and readable under white text, else None."""
    if not brand_color or not HEX.match(brand_color):
        return None
    return brand_color.lower() if contrast_with_white(brand_color) >= MIN_CONTRAST else None


def logo_origin(logo_url: str | None) -> str | None:
    """The https origin a logo is loaded from (for the page's img-src), or None."""
    if not logo_url:
        return None
    parts = urlsplit(logo_url)
    return f"https://{parts.netloc}" if parts.scheme == "https" and parts.netloc else None





bp = Blueprint("branding", __name__)


@bp.get("/brand/<merchant_uuid>.css")
def stylesheet(merchant_uuid: str) -> Response:
    merchant = Merchant.get_or_none(Merchant.uuid == merchant_uuid)
    color = accent_color(merchant.brand_color) if merchant else None
    if color is None:
        abort(404)
    response = Response(f":root{{--accent:{color}}}\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
