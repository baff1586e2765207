"""Stripe events in: POST /webhooks/stripe (signature verified on the raw body).

One route for both endpoints Stripe delivers to: the platform's own (signed with
STRIPE_WEBHOOK_SECRET) and the Connect endpoint (connected accounts' events, which carry
``account``, signed with STRIPE_CONNECT_WEBHOOK_SECRET). Each secret is accepted only for
its own kind of event.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from services.gateway import UNAVAILABLE, BadWebhook, verify_webhook
from services.payments.stripe_events import handle_event

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _verified_event() -> Any:
    payload, signature = request.get_data(), request.headers.get("Stripe-Signature", "")
    config = current_app.config
    for secret, connect in ((config["STRIPE_WEBHOOK_SECRET"], False),
                            (config.get("STRIPE_CONNECT_WEBHOOK_SECRET"), True)):
        if not secret:
            continue
        try:
            event = verify_webhook(payload, signature, secret)
        except BadWebhook:
            continue
        if bool(_account(event)) == connect:
            return event
    raise BadWebhook("no secret verifies this event")


def _account(event: Any) -> Any:
    try:
        return event["account"]
    except (KeyError, TypeError):
        return None


@bp.post("/stripe")
def stripe_webhook() -> ResponseReturnValue:
    """400 for a bad signature; 503 when Stripe cannot be re-read (Stripe retries)."""
    try:
        event = _verified_event()
    except BadWebhook:
        return jsonify(success=False, message="Invalid Stripe signature."), 400
    try:
        outcome = handle_event(current_app.extensions["stripe_client"], event)
    except UNAVAILABLE:
        return jsonify(success=False, message="Stripe is unreachable; retry later."), 503
    return jsonify(success=True, outcome=outcome)
