"""GET /brand/<merchant uuid>.css: the merchant's accent as a stylesheet (CSP forbids inline)."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from models import Merchant
from services.branding import accent_color

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
