"""In-memory Stripe state and the rules that move PaymentIntents between statuses.

Every public method takes the store lock, so the threaded server can call them concurrently.
Objects are kept as JSON-ready dicts; callers get deep copies.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sandbox import objects
from sandbox.cards import (
    AUTH_FAILURE_MESSAGE,
    TEST_PAYMENT_METHODS,
    Card,
    card_for_number,
    luhn_ok,
)
from sandbox.errors import StripeError, missing, param_error
from sandbox.flows import FlowsMixin
from sandbox.params import as_bool

CURRENCIES = {
    "usd", "eur", "gbp", "cad", "aud", "chf", "sek", "nok", "dkk", "pln", "czk", "nzd",
    "jpy", "sgd", "hkd", "mxn", "brl", "inr", "huf", "ron", "bgn",
}  # fmt: skip
ZERO_DECIMAL = {"jpy"}
MINIMUM = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

PI_CREATE_PARAMS = {
    "amount", "currency", "confirm", "confirmation_token", "payment_method",
    "automatic_payment_methods", "return_url", "use_stripe_sdk", "metadata", "description",
    "receipt_email", "customer", "capture_method", "setup_future_usage", "statement_descriptor",
    "statement_descriptor_suffix", "expand", "payment_method_types", "payment_method_options",
    "off_session", "error_on_requires_action", "mandate_data", "shipping", "transfer_group",
    "confirmation_method", "payment_method_data",
    "application_fee_amount",  # direct charges only: sandbox/connect.py checks it
}  # fmt: skip
PI_CONFIRM_PARAMS = {
    "confirmation_token", "payment_method", "return_url", "use_stripe_sdk", "expand",
    "client_secret", "key", "receipt_email", "setup_future_usage", "payment_method_options",
    "mandate_data", "off_session", "error_on_requires_action", "shipping", "payment_method_data",
    "payment_method_types", "_stripe_version",
}  # fmt: skip


@dataclass
class RequestInfo:
    """Who is asking: fills event.request and absolute URLs in next_action."""

    request_id: str | None = None
    idempotency_key: str | None = None
    base_url: str = "http://127.0.0.1"
    api_version: str = objects.API_VERSION  # the Stripe-Version asked for

    def at_least(self, version: str) -> bool:
        """Whether the asked version has a change of `version` (dates compare as text)."""
        return self.api_version[:10] >= version


current_request: ContextVar[RequestInfo] = ContextVar("current_request")


def _unknown_params(params: dict[str, Any], allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise param_error(f"Received unknown parameter: {key}", key, "parameter_unknown")


def _format_amount(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency}"
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    return f"{symbol}{amount / 100:.2f}" + ("" if symbol else f" {currency}")


def parse_positive_int(value: Any, param: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise param_error(f"Invalid integer: {value}", param, "parameter_invalid_integer") from None
    if number < 1:
        raise param_error(
            "This value must be greater than or equal to 1.", param, "parameter_invalid_integer"
        )
    return number


class Store(FlowsMixin):
    """All objects, keyed by id, plus private facts Stripe keeps (which test card a PM is)."""

    def __init__(self, on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.lock = threading.RLock()
        self.on_event = on_event
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.payment_intents: dict[str, dict[str, Any]] = {}
            self.charges: dict[str, dict[str, Any]] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            self.events: dict[str, dict[str, Any]] = {}
            self.payment_methods: dict[str, dict[str, Any]] = {}
            self.confirmation_tokens: dict[str, dict[str, Any]] = {}
            self._card_of: dict[str, Card] = {}  # pm_/ctoken_ id -> test card behaviour
            self._return_url: dict[str, str | None] = {}  # pi id -> return_url of last confirm

    # ---- reads -------------------------------------------------------------------------
    def get(self, kind: str, ident: str) -> dict[str, Any]:
        with self.lock:
            table: dict[str, dict[str, Any]] = getattr(self, kind + "s")
            if ident not in table:
                raise missing(kind, ident)
            return copy.deepcopy(table[ident])

    def list_objects(self, kind: str, limit: int = 10, **filters: Any) -> list[dict[str, Any]]:
        return self.list_page(kind, limit, **filters)[0]

    def list_page(
        self,
        kind: str,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        **filters: Any,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page, newest first, after or before a cursor object; and whether more remain."""
        with self.lock:
            table: dict[str, dict[str, Any]] = getattr(self, kind + "s")
            rows = [
                o
                for o in reversed(list(table.values()))
                if all(o.get(k) == v for k, v in filters.items() if v is not None)
            ]
            ids = [o["id"] for o in rows]
            cursors = (("starting_after", starting_after), ("ending_before", ending_before))
            for param, cursor in cursors:
                if cursor is not None and cursor not in table:
                    raise missing(kind, cursor, param)
            if starting_after is not None:
                start = ids.index(starting_after) + 1 if starting_after in ids else len(ids)
                page = rows[start : start + limit]
                return copy.deepcopy(page), start + limit < len(rows)
            if ending_before is not None:
                end = ids.index(ending_before) if ending_before in ids else 0
                start = max(end - limit, 0)
                return copy.deepcopy(rows[start:end]), start > 0
            return copy.deepcopy(rows[:limit]), len(rows) > limit

    def pi_for_client_secret(self, pi_id: str, client_secret: str | None) -> dict[str, Any]:
        pi = self.get("payment_intent", pi_id)
        if client_secret != pi["client_secret"]:
            raise StripeError(
                400,
                "The client_secret provided does not match the client_secret associated "
                "with the PaymentIntent.",
                code="payment_intent_invalid_parameter",
                param="client_secret",
            )
        return pi

    # ---- events --------------------------------------------------------------------------
    def _emit(self, type_: str, obj: dict[str, Any]) -> None:
        info = current_request.get(RequestInfo())
        evt = objects.event(type_, copy.deepcopy(obj), info.request_id, info.idempotency_key)
        self.events[evt["id"]] = evt
        if self.on_event:
            self.on_event(copy.deepcopy(evt))

    # ---- payment methods and confirmation tokens -----------------------------------------
    def _pm_from_test_id(self, pm_id: str) -> str:
        """`pm_card_visa` and friends mint a fresh PaymentMethod each time, as Stripe does."""
        if pm_id in self.payment_methods:
            return pm_id
        number = TEST_PAYMENT_METHODS.get(pm_id)
        if number is None:
            raise missing("PaymentMethod", pm_id, "payment_method")
        card = card_for_number(number)
        pm = objects.payment_method(card, 12, objects.now_year() + 5, None)
        self.payment_methods[pm["id"]] = pm
        self._card_of[pm["id"]] = card
        return pm["id"]

    def create_confirmation_token_from_card(self, params: dict[str, Any]) -> dict[str, Any]:
        """What Stripe.js does: raw card fields (publishable key) -> ConfirmationToken."""
        with self.lock:
            pmd = params.get("payment_method_data")
            if not isinstance(pmd, dict) or pmd.get("type") != "card":
                raise param_error(
                    "Missing required param: payment_method_data[type].",
                    "payment_method_data[type]",
                    "parameter_missing",
                )
            raw = pmd.get("card") or {}
            number = "".join(ch for ch in str(raw.get("number", "")) if ch.isdigit())
            if not luhn_ok(number):
                raise StripeError(
                    402, "Your card number is incorrect.", type="card_error",
                    code="incorrect_number", param="number",
                )  # fmt: skip
            exp_month, exp_year = _parse_expiry(raw)
            cvc = str(raw.get("cvc", ""))
            if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
                raise StripeError(
                    402, "Your card's security code is invalid.", type="card_error",
                    code="invalid_cvc", param="cvc",
                )  # fmt: skip
            card = card_for_number(number)
            token = objects.confirmation_token(
                card, exp_month, exp_year, pmd.get("billing_details"), params
            )
            self.confirmation_tokens[token["id"]] = token
            self._card_of[token["id"]] = card
            return copy.deepcopy(token)

    def create_test_confirmation_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """`POST /v1/test_helpers/confirmation_tokens` with `payment_method=pm_card_visa`."""
        with self.lock:
            pm_param = params.get("payment_method")
            if pm_param:
                pm = self.payment_methods[self._pm_from_test_id(str(pm_param))]
                card = self._card_of[pm["id"]]
                token = objects.confirmation_token(
                    card, pm["card"]["exp_month"], pm["card"]["exp_year"], None, params, False
                )
                token["payment_method_preview"]["billing_details"] = copy.deepcopy(
                    pm["billing_details"]
                )
                self.confirmation_tokens[token["id"]] = token
                self._card_of[token["id"]] = card
                return copy.deepcopy(token)
        return self.create_confirmation_token_from_card(params)

    def _pm_from_token(self, ctoken_id: str) -> tuple[str, dict[str, Any]]:
        token = self.confirmation_tokens.get(ctoken_id)
        if token is None:
            raise missing("ConfirmationToken", ctoken_id, "confirmation_token")
        if token.get("payment_intent"):
            raise StripeError(
                400,
                f"ConfirmationToken {ctoken_id} has already been used.",
                code="token_already_used",
                param="confirmation_token",
            )
        preview = token["payment_method_preview"]
        card = self._card_of[ctoken_id]
        pm = objects.payment_method(
            card, preview["card"]["exp_month"], preview["card"]["exp_year"], None
        )
        pm["billing_details"] = copy.deepcopy(preview["billing_details"])
        self.payment_methods[pm["id"]] = pm
        self._card_of[pm["id"]] = card
        return pm["id"], token

    # ---- payment intents -----------------------------------------------------------------
    def create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        _unknown_params(params, PI_CREATE_PARAMS)
        if "amount" not in params:
            raise param_error("Missing required param: amount.", "amount", "parameter_missing")
        amount = parse_positive_int(params["amount"], "amount")
        currency = str(params.get("currency", "")).lower()
        if not currency:
            raise param_error("Missing required param: currency.", "currency", "parameter_missing")
        if currency not in CURRENCIES:
            raise param_error(
                f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                + ", ".join(sorted(CURRENCIES)),
                "currency",
                "parameter_invalid_string",
            )
        minimum = MINIMUM.get(currency, 50)
        if amount < minimum:
            raise param_error(
                f"Amount must be at least {_format_amount(minimum, currency)} {currency}",
                "amount",
                "amount_too_small",
            )
        confirm = as_bool(params.get("confirm", False), "confirm")
        if params.get("capture_method", "automatic") not in CAPTURE_METHODS:
            raise param_error(
                f"Invalid capture_method: must be one of {', '.join(CAPTURE_METHODS)}",
                "capture_method",
                "parameter_invalid_string",
            )
        if params.get("confirmation_token") and not confirm:
            raise param_error(
                "You can only provide `confirmation_token` when `confirm` is true.",
                "confirmation_token",
            )
        with self.lock:
            # Stripe turned automatic payment methods on by default in API 2023-08-16.
            apm_default = current_request.get(RequestInfo()).at_least("2023-08-16")
            pi = objects.payment_intent(params, amount, currency, apm_default)
            if params.get("payment_method"):
                pi["payment_method"] = self._pm_from_test_id(str(params["payment_method"]))
                pi["status"] = "requires_confirmation"
            self.payment_intents[pi["id"]] = pi
            self._emit("payment_intent.created", pi)
            if confirm:
                self._confirm(pi, params)
            return copy.deepcopy(pi)

    def confirm_payment_intent(self, pi_id: str, params: dict[str, Any]) -> dict[str, Any]:
        _unknown_params(params, PI_CONFIRM_PARAMS)
        with self.lock:
            pi = self.payment_intents.get(pi_id)
            if pi is None:
                raise missing("payment_intent", pi_id)
            self._confirm(pi, params)
            return copy.deepcopy(pi)

    def _confirm(self, pi: dict[str, Any], params: dict[str, Any]) -> None:
        if pi["status"] not in CONFIRMABLE:
            raise StripeError(
                400,
                f"You cannot confirm this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                f"be confirmed: {', '.join(CONFIRMABLE)}.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(pi),
            )
        token: dict[str, Any] = {}
        if params.get("confirmation_token"):
            pm_id, token = self._pm_from_token(str(params["confirmation_token"]))
        elif params.get("payment_method"):
            pm_id = self._pm_from_test_id(str(params["payment_method"]))
        elif pi["payment_method"]:
            pm_id = pi["payment_method"]
        else:
            raise StripeError(
                400,
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Update the PaymentIntent with a payment method and then confirm it again.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(pi),
            )
        return_url = params.get("return_url") or token.get("return_url")
        use_sdk = as_bool(
            params.get("use_stripe_sdk", token.get("use_stripe_sdk", False)), "use_stripe_sdk"
        )
        apm = pi["automatic_payment_methods"]
        if apm and apm.get("allow_redirects") != "never" and not return_url and not use_sdk:
            raise param_error(
                "This PaymentIntent is configured to accept payment methods enabled in your "
                "Dashboard. Because some of these payment methods might redirect your customer "
                "off of your page, you must provide a `return_url`. If you don't want to accept "
                "redirect-based payment methods, set `automatic_payment_methods[allow_redirects]` "
                "to `never` when creating Setup Intents and Payment Intents.",
                "return_url",
            )
        if token:
            token["payment_intent"] = pi["id"]
        for key in ("receipt_email", "setup_future_usage"):
            if params.get(key):
                pi[key] = params[key]
        pi["payment_method"] = pm_id
        pi["last_payment_error"] = None
        pi["next_action"] = None
        self._return_url[pi["id"]] = return_url
        card = self._card_of[pm_id]
        if card.three_ds:
            pi["status"] = "requires_action"
            pi["next_action"] = self._next_action(pi, return_url, use_sdk, card.three_ds_version)
            self._emit("payment_intent.requires_action", pi)
            return
        self._charge(pi, card, three_ds=False)

    def _next_action(
        self, pi: dict[str, Any], return_url: str | None, use_sdk: bool, version: int = 2
    ) -> dict[str, Any]:
        query = urlencode(
            {"payment_intent": pi["id"], "payment_intent_client_secret": pi["client_secret"]}
            | ({"version": "1"} if version == 1 else {})
        )
        url = f"{current_request.get(RequestInfo()).base_url}/v3/three-ds.html?{query}"
        if (use_sdk or not return_url) and version == 1:
            # Stripe.js opens the 3DS1 bank page in its authorize-with-url lightbox.
            return {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": url,
                    "source": "src_" + pi["id"][3:],
                },
            }
        if use_sdk or not return_url:
            return {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "stripe_3ds2_fingerprint",
                    "three_d_secure_2_source": "payatt_" + pi["id"][3:],
                    "directory_server_name": "visa",
                    "stripe_js": url,
                },
            }
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": url + "&mode=redirect", "return_url": return_url},
        }

    def _charge(self, pi: dict[str, Any], card: Card, three_ds: bool) -> None:
        """Run the charge; on a decline record it on the PI and raise the 402 card error."""
        pm = self.payment_methods[pi["payment_method"]]
        manual = pi["capture_method"] == "manual"
        ch = objects.charge(pi, pm, card.decline, three_ds, capture=not manual)
        self.charges[ch["id"]] = ch
        pi["latest_charge"] = ch["id"]
        pi["next_action"] = None
        if card.decline is None:
            self._emit("charge.succeeded", ch)
            if manual:  # authorised only: the money waits for /capture or is released by cancel
                pi["status"] = "requires_capture"
                pi["amount_capturable"] = pi["amount"]
                self._emit("payment_intent.amount_capturable_updated", pi)
                return
            pi["status"] = "succeeded"
            pi["amount_received"] = pi["amount"]
            self._emit("payment_intent.succeeded", pi)
            return
        error = objects.card_error_body(card.decline, copy.deepcopy(pm), ch["id"])
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = None
        pi["last_payment_error"] = error
        self._emit("charge.failed", ch)
        self._emit("payment_intent.payment_failed", pi)
        body = {k: v for k, v in error.items() if k not in ("type", "message", "code", "param")}
        raise StripeError(
            402,
            error["message"],
            type="card_error",
            code=error["code"],
            param=error.get("param"),
            **{**body, "payment_intent": copy.deepcopy(pi)},
        )

    def authenticate(
        self, pi_id: str, result: str, client_secret: str | None = None
    ) -> dict[str, Any]:
        """The 3-D Secure challenge outcome: "complete" or "fail". Returns PI and redirect URL."""
        if result not in ("complete", "fail"):
            raise param_error("result must be 'complete' or 'fail'", "result")
        with self.lock:
            pi = self.payment_intents.get(pi_id)
            if pi is None:
                raise missing("payment_intent", pi_id)
            if client_secret is not None and client_secret != pi["client_secret"]:
                raise param_error("client_secret does not match", "client_secret")
            if pi["status"] != "requires_action":
                raise StripeError(
                    400,
                    f"This PaymentIntent has a status of {pi['status']}; there is no "
                    "authentication to complete.",
                    code="payment_intent_unexpected_state",
                )
            if result == "complete":
                # A decline is recorded on the PI; the browser reads it from there.
                with contextlib.suppress(StripeError):
                    self._charge(pi, self._card_of[pi["payment_method"]], three_ds=True)
            else:
                pm = self.payment_methods[pi["payment_method"]]
                pi["status"] = "requires_payment_method"
                pi["next_action"] = None
                pi["payment_method"] = None
                pi["last_payment_error"] = {
                    "type": "invalid_request_error",
                    "code": "payment_intent_authentication_failure",
                    "doc_url": "https://stripe.com/docs/error-codes/"
                    "payment-intent-authentication-failure",
                    "message": AUTH_FAILURE_MESSAGE,
                    "payment_method": copy.deepcopy(pm),
                }
                self._emit("payment_intent.payment_failed", pi)
            redirect = None
            return_url = self._return_url.get(pi_id)
            if return_url:
                status = "succeeded" if pi["status"] == "succeeded" else "failed"
                query = urlencode(
                    {
                        "payment_intent": pi["id"],
                        "payment_intent_client_secret": pi["client_secret"],
                        "redirect_status": status,
                    }
                )
                redirect = return_url + ("&" if "?" in return_url else "?") + query
            return {"payment_intent": copy.deepcopy(pi), "redirect_url": redirect}

    def cancel_payment_intent(self, pi_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            pi = self.payment_intents.get(pi_id)
            if pi is None:
                raise missing("payment_intent", pi_id)
            reason = params.get("cancellation_reason")
            if reason is not None and reason not in CANCEL_REASONS:
                raise param_error(
                    f"Invalid cancellation_reason: must be one of {', '.join(CANCEL_REASONS)}",
                    "cancellation_reason",
                    "parameter_invalid_string",
                )
            if pi["status"] not in CANCELABLE:
                raise StripeError(
                    400,
                    f"You cannot cancel this PaymentIntent because it has a status of "
                    f"{pi['status']}. Only a PaymentIntent with one of the following statuses "
                    f"may be canceled: {', '.join(CANCELABLE)}.",
                    code="payment_intent_unexpected_state",
                    payment_intent=copy.deepcopy(pi),
                )
            if pi["status"] == "requires_capture":
                self._release(pi)
            pi["status"] = "canceled"
            pi["canceled_at"] = objects.now()
            pi["cancellation_reason"] = reason
            pi["next_action"] = None
            self._emit("payment_intent.canceled", pi)
            return copy.deepcopy(pi)

    # ---- refunds -----------------------------------------------------------------------------
    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            ch = self._refundable_charge(params)
            remaining = ch["amount"] - ch["amount_refunded"]
            if remaining <= 0:
                raise StripeError(
                    400,
                    f"Charge {ch['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            amount = remaining
            if params.get("amount") is not None:
                amount = parse_positive_int(params["amount"], "amount")
            if amount > remaining:
                raise StripeError(
                    400,
                    f"Refund amount ({_format_amount(amount, ch['currency'])}) is greater than "
                    f"unrefunded amount on charge ({_format_amount(remaining, ch['currency'])})",
                    param="amount",
                )
            reason = params.get("reason")
            if reason is not None and reason not in REFUND_REASONS:
                raise param_error(
                    f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}",
                    "reason",
                    "parameter_invalid_string",
                )
            re = objects.refund(ch, amount, params)
            self.refunds[re["id"]] = re
            ch["amount_refunded"] += amount
            ch["refunded"] = ch["amount_refunded"] == ch["amount"]
            self._emit("refund.created", re)
            self._emit("charge.refunded", ch)
            return copy.deepcopy(re)

    def _refundable_charge(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("charge"):
            ch = self.charges.get(str(params["charge"]))
            if ch is None:
                raise missing("charge", str(params["charge"]), "charge")
        elif params.get("payment_intent"):
            pi_id = str(params["payment_intent"])
            pi = self.payment_intents.get(pi_id)
            if pi is None:
                raise missing("payment_intent", pi_id, "payment_intent")
            ch = self.charges.get(pi["latest_charge"] or "")
            if pi["status"] != "succeeded" or ch is None:
                raise StripeError(
                    400,
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
        else:
            raise param_error(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                "payment_intent",
                "parameter_missing",
            )
        if ch["status"] != "succeeded":
            raise StripeError(400, f"Charge {ch['id']} has not succeeded.", param="charge")
        if not ch["captured"]:
            raise StripeError(
                400,
                f"Charge {ch['id']} has not been captured; cancel its PaymentIntent to release it.",
                code="charge_not_refundable",
            )
        return ch


def _parse_expiry(raw: dict[str, Any]) -> tuple[int, int]:
    try:
        month = int(str(raw.get("exp_month", "")))
        year = int(str(raw.get("exp_year", "")))
    except ValueError:
        raise StripeError(
            402, "Your card's expiration date is incomplete.", type="card_error",
            code="invalid_expiry_month", param="exp_month",
        ) from None  # fmt: skip
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise StripeError(
            402, "Your card's expiration month is invalid.", type="card_error",
            code="invalid_expiry_month", param="exp_month",
        )  # fmt: skip
    if (year, month) < objects.year_month():
        raise StripeError(
            402, "Your card's expiration year is invalid.", type="card_error",
            code="invalid_expiry_year", param="exp_year",
        )  # fmt: skip
    return month, year
