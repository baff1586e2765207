"""Builders for Stripe objects, carrying the keys (and JSON types) of Stripe's own examples."""

from __future__ import annotations

import time
from typing import Any

from sandbox.cards import Card, Decline
from sandbox.ids import new_id, rand

API_VERSION = "2025-09-30.clover"


def now() -> int:
    return int(time.time())


def year_month() -> tuple[int, int]:
    t = time.gmtime()
    return t.tm_year, t.tm_mon


def now_year() -> int:
    return time.gmtime().tm_year


def address(postal_code: str | None = None, country: str | None = None) -> dict[str, Any]:
    return {
        "city": None,
        "country": country,
        "line1": None,
        "line2": None,
        "postal_code": postal_code,
        "state": None,
    }


def billing_details(data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    addr = data.get("address") or {}
    out = {
        "address": address(addr.get("postal_code"), addr.get("country")),
        "email": data.get("email"),
        "name": data.get("name"),
        "phone": data.get("phone"),
        "tax_id": None,
    }
    for key in ("city", "line1", "line2", "state"):
        if addr.get(key):
            out["address"][key] = addr[key]
    return out


def card_details(card: Card, exp_month: int, exp_year: int) -> dict[str, Any]:
    """The `card` hash of a PaymentMethod (and a ConfirmationToken's preview)."""
    return {
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "unchecked",
        },
        "country": card.country,
        "display_brand": card.brand,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": "fp" + card.number[-4:] + card.number[:6],
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def payment_method(
    card: Card, exp_month: int, exp_year: int, billing: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(billing),
        "card": card_details(card, exp_month, exp_year),
        "created": now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def confirmation_token(
    card: Card,
    exp_month: int,
    exp_year: int,
    billing: dict[str, Any] | None,
    params: dict[str, Any],
    use_stripe_sdk_default: bool = True,
) -> dict[str, Any]:
    """Stripe.js-made tokens say use_stripe_sdk=true; the server-side test helper's do not."""
    created = now()
    use_sdk = str(params.get("use_stripe_sdk", use_stripe_sdk_default)).lower() == "true"
    return {
        "id": new_id("ctoken"),
        "object": "confirmation_token",
        "created": created,
        "expires_at": created + 12 * 3600,
        "livemode": False,
        "mandate_data": None,
        "payment_intent": None,
        "payment_method_options": None,
        "payment_method_preview": {
            "allow_redisplay": "unspecified",
            "billing_details": billing_details(billing),
            "card": card_details(card, exp_month, exp_year),
            "customer": None,
            "customer_account": None,
            "type": "card",
        },
        "return_url": params.get("return_url"),
        "setup_future_usage": params.get("setup_future_usage"),
        "setup_intent": None,
        "shipping": params.get("shipping"),
        "use_stripe_sdk": use_sdk,
    }


def payment_intent(
    params: dict[str, Any], amount: int, currency: str, apm_default: bool = True
) -> dict[str, Any]:
    pi_id = new_id("pi")
    apm = params.get("automatic_payment_methods") or {}
    # Since 2023-08-16 Stripe turns automatic payment methods on unless types are listed.
    default_on = "true" if apm_default and not params.get("payment_method_types") else "false"
    apm_on = str(apm.get("enabled", default_on)).lower() == "true"
    types = params.get("payment_method_types") or ["card"]
    metadata = params.get("metadata") or {}
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": params.get("application_fee_amount"),
        "automatic_payment_methods": (
            {"allow_redirects": apm.get("allow_redirects", "always"), "enabled": True}
            if apm_on
            else None
        ),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic_async"),
        "client_secret": f"{pi_id}_secret_{rand(25)}",
        "confirmation_method": "automatic",
        "created": now(),
        "currency": currency,
        "customer": params.get("customer"),
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": dict(metadata) if isinstance(metadata, dict) else {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": (
            {"id": "pmc_sandboxdefault", "parent": None} if apm_on else None
        ),
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": list(types) if isinstance(types, list) else ["card"],
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": None,
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    pi: dict[str, Any],
    pm: dict[str, Any],
    decline: Decline | None,
    three_ds: bool,
    capture: bool = True,
) -> dict[str, Any]:
    """A charge; `capture=False` is an authorisation only (capture_method=manual)."""
    ch_id = new_id("ch")
    ok = decline is None
    captured = ok and capture
    card = pm["card"]
    return {
        "id": ch_id,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"] if captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": pi.get("application_fee_amount"),
        "balance_transaction": new_id("txn") if captured else None,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "PAYLINK",
        "captured": captured,
        "created": now(),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if ok else decline.code,
        "failure_message": None if ok else decline.message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network" if ok else "declined_by_network",
            "reason": None if ok else decline.decline_code,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": (
                "Payment complete."
                if ok
                else "The bank did not return any further details with this decline."
            ),
            "type": "authorized" if ok else "issuer_declined",
        },
        "paid": ok,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": {
            "card": {
                "amount_authorized": pi["amount"] if ok else None,
                "authorization_code": "123456" if ok else None,
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card["brand"],
                "network_token": {"used": False},
                "network_transaction_id": rand(15) if ok else None,
                "overcapture": {"maximum_amount_capturable": pi["amount"], "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": (
                    {
                        "authentication_flow": "challenge",
                        "electronic_commerce_indicator": "05",
                        "exemption_indicator": None,
                        "result": "authenticated",
                        "result_reason": None,
                        "transaction_id": rand(32),
                        "version": "2.2.0",
                    }
                    if three_ds
                    else None
                ),
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": pi["receipt_email"],
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{rand(40)}",
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": pi["statement_descriptor"],
        "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
        "status": "succeeded" if ok else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def refund_list(ch_id: str, refunds: list[dict[str, Any]]) -> dict[str, Any]:
    """`charge.refunds`, only present with `expand[]=refunds` (since 2022-11-15)."""
    return {
        "object": "list",
        "data": refunds,
        "has_more": False,
        "url": f"/v1/charges/{ch_id}/refunds",
    }


def refund(ch: dict[str, Any], amount: int, params: dict[str, Any]) -> dict[str, Any]:
    metadata = params.get("metadata") or {}
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": ch["id"],
        "created": now(),
        "currency": ch["currency"],
        "customer": ch["customer"],
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": dict(metadata) if isinstance(metadata, dict) else {},
        "payment_intent": ch["payment_intent"],
        "payment_method": ch["payment_method"],
        "reason": params.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def event(
    type_: str, obj: dict[str, Any], request_id: str | None, idempotency_key: str | None
) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": type_,
    }


def card_error_body(decline: Decline, pm: dict[str, Any], charge_id: str | None) -> dict[str, Any]:
    """A `last_payment_error` / 402 error hash for a card decline."""
    body: dict[str, Any] = {
        "type": "card_error",
        "code": decline.code,
        "decline_code": decline.decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{decline.code.replace('_', '-')}",
        "message": decline.message,
        "payment_method": pm,
    }
    if charge_id:
        body["charge"] = charge_id
    if decline.param:
        body["param"] = decline.param
    return body
