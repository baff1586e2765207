"""The OpenAPI 3.1 document of the whole JSON API (public and merchant), in one place.

A test checks it against app.url_map both ways, so a new route without a description
(or a description of a route that is gone) fails the build.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("openapi", __name__)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
CENTS = {"type": "integer", "minimum": 0, "description": "Integer minor units (cents)."}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
OPT_STR = {"type": ["string", "null"]}
UUID_PARAM = {"name": "uuid", "in": "path", "required": True, "schema": {"type": "string"}}


def errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": "#/components/responses/Error"} for code in codes}


# 422 also for text the input rule refuses (NUL, lone surrogates, control characters, a
# line break in a single-line field), with the field named; 400 for JSON nested too deep.
ERRORS = errors(400, 401, 404, 409, 422)
BODY_ERRORS = errors(413)  # a body larger than the configured cap
PAY_ERRORS = errors(402, 429, 503)  # declined; too many attempts; Stripe unreachable
MERCHANT_AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "maxLength": 255},
               "description": "Replays answer the first response; another body → 422."}


def answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def op(summary: str, ok: dict[str, Any], *, code: str = "200", body: dict[str, Any] | None = None,
       params: list[dict[str, Any]] | None = None, auth: bool = True,
       idempotent: bool = False, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    responses = {code: ok, **ERRORS, **(extra or {})}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    parameters = list(params or [])
    if idempotent:
        parameters.append(IDEMPOTENCY)
    if parameters:
        operation["parameters"] = parameters
    if body:
        responses.update(BODY_ERRORS)
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    operation["security"] = MERCHANT_AUTH if auth else []
    return operation


def success(**props: Any) -> dict[str, Any]:
    return obj(["success"], success={"const": True}, **props)


def page(item: str) -> dict[str, Any]:
    return success(data={"type": "array", "items": ref(item)},
                   next_cursor={"type": ["string", "null"]})


PAGING = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                      "maximum": 100}},
          {"name": "cursor", "in": "query", "schema": STR}]
INVOICE_FILTERS = [
    {"name": "status", "in": "query", "schema": {"enum": [
        "draft", "sent", "viewed", "attempted", "partially_paid", "paid", "closed", "deleted"]}},
    {"name": "booking", "in": "query", "schema": STR},
    {"name": "created_from", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "created_to", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]
LINE = obj(["name"], name=STR, quantity={"type": "integer", "minimum": 1}, unit_cents=CENTS,
           amount_cents=CENTS)
CART = obj(["line_items"], **{s: {"type": "array", "items": LINE}
                              for s in ("line_items", "fees", "discounts", "taxes")})
INVOICE_ONE = success(invoice=ref("Invoice"))
PUBLIC_PAYMENT = obj(
    ["amountCents", "tipCents", "currency", "createdAt", "refundedCents", "refunds",
     "cardBrand", "cardLast4", "confirmationNumber", "status"],
    amountCents=CENTS, tipCents=CENTS, currency=STR, createdAt=DATETIME, refundedCents=CENTS,
    refunds={"type": "array", "items": obj(["amountCents", "createdAt"], amountCents=CENTS,
                                           createdAt=DATETIME)},
    cardBrand={"type": ["string", "null"], "description": "e.g. visa; no other card data."},
    cardLast4={"type": ["string", "null"]}, confirmationNumber=STR,
    status={"enum": ["succeeded", "partially_refunded", "refunded"]},
)
PUBLIC_INVOICE = success(
    invoice=obj(["uuid", "dueNowCents"], uuid=STR, dueNowCents=CENTS, currency=STR,
                state=STR, payable=BOOL, message={"type": ["string", "null"]},
                allowPartial=BOOL, minPartialCents={"type": ["integer", "null"]},
                allowTip=BOOL, memo={"type": ["string", "null"]}),
    merchant=obj(name=STR), cart=CART, totalCents=CENTS, balanceCents=CENTS, activity=STR,
    date=STR, start={"type": ["string", "null"]}, end={"type": ["string", "null"]},
    endDate={"type": ["string", "null"]},
    agreements={"type": "array", "items": obj(uuid=STR, title=STR, body=STR, version=INT)},
    payments={"type": "array", "items": PUBLIC_PAYMENT,
              "description": "The booking's payments, oldest first, with their refunds."},
)
PAY_BODY = obj(
    stripeConfirmationToken={"type": "string", "description": "ctoken_... from Stripe.js"},
    agreements={"type": "array", "items": STR, "description": "Accepted agreement uuids."},
    handledNextAction={"type": "string", "description": "PaymentIntent id after "
                                                        "handleNextAction."},
    amountCents={"type": "integer", "description": "Partial amount, when allowed."},
    tipCents={"type": "integer", "minimum": 0}, attemptKey=STR,
)
PAY_ANSWER = {"oneOf": [
    success(confirmation=obj(confirmationNumber=STR, bookingConfirmationCode=STR,
                             amountCents=CENTS, tipCents=CENTS, currency=STR,
                             paymentIntent=STR, bookingStatus=STR)),
    success(requiresAction={"const": True}, clientSecret=STR),
    success(processing={"const": True}, message=STR),
]}

SCHEMAS: dict[str, Any] = {
    "Error": obj(["success", "message"], success={"const": False}, message=STR, code=STR,
                 field={"type": "string", "description": "The input refused, e.g. "
                                                         "customer.name."}),
    "Invoice": obj(
        ["uuid", "status", "amount_cents"], uuid=STR, booking=STR,
        status={"enum": ["draft", "sent", "viewed", "attempted", "partially_paid", "paid",
                         "closed", "deleted"]},
        amount_cents=CENTS, amount_paid_cents=CENTS, due_cents=CENTS, currency=STR,
        confirm_on_pay=BOOL, send_type={"enum": ["email", "sms"]},
        send_to_email_override={"type": ["string", "null"]}, memo={"type": ["string", "null"]},
        allow_partial=BOOL, min_partial_cents={"type": ["integer", "null"]}, allow_tip=BOOL,
        pay_url={"type": ["string", "null"]}, payments={"type": "array",
                                                        "items": ref("Payment")},
        last_attempt={"type": ["object", "null"]},
        **{n: DATETIME for n in ("sent_at", "viewed_at", "paid_at", "closed_at", "deleted_at",
                                 "expires_at", "created_at", "updated_at")},
    ),
    "InvoiceCreate": obj(
        ["booking"], booking={"type": "string", "description": "Booking uuid."},
        amount_cents={"type": "integer", "minimum": 1, "description": "Default: the balance."},
        confirm_on_pay=BOOL, send_to_email_override=STR, send_type={"enum": ["email", "sms"]},
        memo=STR, allow_partial=BOOL, min_partial_cents={"type": "integer", "minimum": 1},
        allow_tip=BOOL, expires_at={"type": "string", "format": "date-time"},
    ),
    "Payment": obj(uuid=STR, amount_cents=CENTS, tip_cents=CENTS, refunded_cents=CENTS,
                   currency=STR, confirmation_number=STR, card_brand=OPT_STR, card_last4=OPT_STR,
                   created_at=DATETIME),
    "Booking": obj(
        ["uuid", "status"], uuid=STR, external_ref={"type": ["string", "null"]},
        status={"enum": ["draft", "pending", "confirmed", "canceled"]},
        confirmation_code=STR, customer=obj(uuid=STR, name=STR, email=OPT_STR, phone=OPT_STR),
        activity=STR, date={"type": "string", "format": "date"}, start_time=OPT_STR,
        end_time=OPT_STR, end_date=OPT_STR, participants=INT, cart=CART, total_cents=CENTS,
        balance_cents=CENTS, paid_cents=CENTS, currency=STR,
        agreements={"type": "array", "items": obj(uuid=STR, title=STR, version=INT)},
        slot={"type": ["object", "null"]}, expires_at=DATETIME, canceled_at=DATETIME,
        created_at=DATETIME, updated_at=DATETIME,
    ),
    "BookingUpsert": obj(
        ["activity", "date", "cart", "customer"], external_ref=STR,
        customer=obj(["name"], name=STR, email=STR, phone=STR), activity=STR,
        date={"type": "string", "format": "date"},
        start_time={"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
        end_time={"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
        end_date={"type": "string", "format": "date"}, participants={"type": "integer",
                                                                     "minimum": 1},
        status={"enum": ["draft", "pending", "confirmed", "canceled"]}, cart=CART,
        agreements={"type": "array", "items": {"oneOf": [STR, obj(["title", "body"],
                                                                   title=STR, body=STR)]}},
        slot={"oneOf": [obj(["uuid"], uuid=STR),
                        obj(["starts_at", "ends_at", "capacity"], starts_at=STR,
                            ends_at=STR, capacity={"type": "integer", "minimum": 1})]},
        expires_at={"type": "string", "format": "date-time"},
    ),
    "Agreement": obj(uuid=STR, title=STR, body=STR, version=INT, created_at=DATETIME),
    "Merchant": obj(
        uuid=STR, name=STR, currency=STR, locale=STR, timezone=STR,
        allowed_embed_origins={"type": "array", "items": STR},
        webhook_url={"type": ["string", "null"]}, webhook_secret={"type": ["string", "null"]},
        calendar_sync=BOOL, branding=obj(brand_color=OPT_STR, logo_url=OPT_STR,
                                         support_email=OPT_STR),
        platformFee=ref("PlatformFee"),
    ),
    "PlatformFee": obj(
        percentBasisPoints={"type": "integer", "minimum": 0, "maximum": 10000},
        percent={"type": "string", "description": "The percent as a decimal, e.g. \"2.5\"."},
        fixedCents=CENTS, source={"enum": ["default", "merchant"]}),
    "StripeStatus": obj(
        account=OPT_STR, connected=BOOL, chargesEnabled=BOOL, payoutsEnabled=BOOL,
        detailsSubmitted=BOOL, requirements={"type": "array", "items": STR,
                                             "description": "What Stripe still needs."},
        disconnectedAt=DATETIME, connectRequired=BOOL, canTakeCharges=BOOL),
    "Refund": obj(stripe_refund_id=STR, amount_cents=CENTS, created_at=DATETIME,
                  payment=obj(uuid=STR, amount_cents=CENTS, tip_cents=CENTS,
                              refunded_cents=CENTS)),
}

P = [UUID_PARAM]
PATHS: dict[str, Any] = {
    "/healthz": {"get": op("Health check with a database round trip.", answer(
        "Database answers.", obj(status=STR, database=STR)), auth=False)},
    "/api/v1/openapi.json": {"get": op("This document.", answer("OpenAPI 3.1"), auth=False)},
    "/api/v1/merchant": {
        "get": op("The API key's merchant settings.", answer("Settings", success(
            merchant=ref("Merchant")))),
        "patch": op("Update settings (partial).", answer("Settings", success(
            merchant=ref("Merchant"))), body=obj(
                name=STR, allowed_embed_origins={"type": "array", "items": STR},
                webhook_url={"type": ["string", "null"]}, calendar_sync=BOOL,
                rotate_webhook_secret=BOOL, locale=STR, timezone=STR,
                branding=obj(brand_color=STR, logo_url=STR, support_email=STR))),
    },
    "/api/v1/merchant/stripe": {"get": op(
        "The merchant's connected Stripe account (Connect).",
        answer("Status", {"allOf": [success(), ref("StripeStatus")]}))},
    "/api/v1/merchant/stripe/onboarding": {"post": op(
        "A fresh Stripe Account Link (type account_onboarding); creates the account when "
        "there is none.", answer("Link", success(url=STR)), idempotent=True,
        extra=errors(503))},
    "/api/v1/agreements": {
        "get": op("List agreements.", answer("Agreements", success(
            data={"type": "array", "items": ref("Agreement")}))),
        "post": op("Create an agreement.", answer("Created", success(
            agreement=ref("Agreement"))), code="201", body=obj(["title", "body"], title=STR,
                                                               body=STR), idempotent=True),
    },
    "/api/v1/bookings": {
        "get": op("List bookings, newest first.", answer("Page", page("Booking")),
                  params=PAGING + [{"name": "status", "in": "query", "schema": STR},
                                   {"name": "external_ref", "in": "query", "schema": STR}]),
        "post": op("Create a booking, or update the one with this external_ref (200).",
                   answer("Created", success(created=BOOL, booking=ref("Booking"))),
                   code="201", body=ref("BookingUpsert"), idempotent=True),
    },
    "/api/v1/bookings/{uuid}": {"get": op("Read a booking.", answer("Booking", success(
        booking=ref("Booking"))), params=P)},
    "/api/v1/bookings/{uuid}/cancel": {"post": op(
        "Cancel a booking; its open invoices close.", answer("Canceled", success(
            booking=ref("Booking"))), params=P, idempotent=True)},
    "/api/v1/bookings/{uuid}/invoices": {"get": op(
        "A booking's invoices.", answer("Page", page("Invoice")),
        params=P + PAGING + INVOICE_FILTERS[:1])},
    "/api/v1/invoices": {
        "get": op("List invoices, newest first (deleted only with status=deleted).",
                  answer("Page", page("Invoice")), params=PAGING + INVOICE_FILTERS),
        "post": op("Create an invoice for all or part of a booking's balance.",
                   answer("Created", INVOICE_ONE), code="201", body=ref("InvoiceCreate"),
                   idempotent=True),
    },
    "/api/v1/invoices/{uuid}": {
        "get": {
            **op("Public: what the pay client shows (no auth). With a merchant Bearer key: "
                 "the merchant's view (Invoice).", answer(
                     "Public view, or {success, invoice: Invoice} with a key",
                     {"oneOf": [PUBLIC_INVOICE, INVOICE_ONE]}), params=P),
            "security": [{}, {"bearerAuth": []}],
        },
        "delete": op("Soft delete: the link 404s, the record is kept.",
                     answer("Deleted", INVOICE_ONE), params=P),
    },
    "/api/v1/invoices/{uuid}/pay": {"post": op(
        "Public: pay with a Stripe ConfirmationToken, or finish after handleNextAction.",
        answer("Paid, next action needed, or processing", PAY_ANSWER), body=PAY_BODY,
        params=P, auth=False, extra=PAY_ERRORS)},
    "/api/v1/invoices/{uuid}/send": {"post": op(
        "Queue the invoice email or SMS (sent_at is set on delivery).",
        answer("Queued", INVOICE_ONE), code="202", params=P, idempotent=True)},
    "/api/v1/invoices/{uuid}/resend": {"post": op(
        "Send the same link again.", answer("Queued", INVOICE_ONE), code="202", params=P,
        idempotent=True)},
    "/api/v1/invoices/{uuid}/close": {"post": op(
        "Close: the link stops taking payments.", answer("Closed", INVOICE_ONE), params=P,
        idempotent=True)},
    "/api/v1/invoices/{uuid}/reopen": {"post": op(
        "Re-open a closed invoice under a new link (old links die).",
        answer("Open", INVOICE_ONE), params=P, idempotent=True,
        body=obj(expires_at={"type": "string", "format": "date-time"}))},
    "/api/v1/payments/{uuid}/refunds": {"post": op(
        "Refund all or part of a payment through Stripe.",
        answer("Refunded", success(refund=ref("Refund"))), code="201", params=P,
        idempotent=True, body=obj(amount_cents={"type": "integer", "minimum": 1}))},
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "paylink API", "version": "1",
             "description": "Public pay client and merchant API. Money is integer cents; "
                            "times are UTC ISO 8601. Errors: {success: false, message}."},
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "The merchant API key."}},
        "responses": {"Error": answer("Refused, with a message for people.", ref("Error"))},
    },
}


@bp.get("/api/v1/openapi.json")
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI 3.1 document."""
    return jsonify(SPEC)
