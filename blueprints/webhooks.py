"""Stripe events in: POST /webhooks/stripe (signature verified on the raw body)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from services.gateway import UNAVAILABLE, BadWebhook, verify_webhook
from services.payments.stripe_events import handle_event

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/stripe")
def stripe_webhook() -> ResponseReturnValue:
    """400 for a bad signature; 503 when Stripe cannot be re-read (Stripe retries)."""
    try:
        event = verify_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""),
                               current_app.config["STRIPE_WEBHOOK_SECRET"])
    except BadWebhook:
        return jsonify(success=False, message="Invalid Stripe signature."), 400
    try:
        outcome = handle_event(current_app.extensions["stripe_client"], event)
    except UNAVAILABLE:
        return jsonify(success=False, message="Stripe is unreachable; retry later."), 503
    return jsonify(success=True, outcome=outcome)
