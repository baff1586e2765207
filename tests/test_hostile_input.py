"""Hostile input never gives a 500 (issue 13, "Input"): NUL and lone surrogates in any text,
JSON nested 100,000 deep, bodies of any size, CR/LF into headers and redirects, signed
Stripe events without data or for a gone object, invoice uuids in the logs.

Most run on SQLite and PostgreSQL (NUL is PostgreSQL's failure: it refuses it in text).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from werkzeug.test import EnvironBuilder, run_wsgi_app

from blueprints.console import safe_next
from models import (
    Agreement,
    AgreementAcceptance,
    Booking,
    Customer,
    Invoice,
    Merchant,
    OutboxMessage,
    StripeEvent,
    db,
    utcnow,
)
from runtime.config import from_environment
from services.common import fields, text
from services.common.errors import ServiceError
from services.merchants.keys import create_merchant
from services.messaging.worker import run_once
from tests import factories
from tests.api_helpers import BOOKING, Api, new_merchant
from tests.conftest import free_port, make_test_app
from tests.console_helpers import Console, seed_merchant
from tests.pay_helpers import ctoken, new_invoice, pay_api, reload

NUL, LONE = "\u0000", "\udc80"
# JSON text with a lone surrogate escape: what a client sends; json.dumps would refuse.
RAW_LONE = '"\\udc80"'


def api_for(app):
    _, key = new_merchant()
    return Api(app.test_client(), key)


def raw_post(api: Api, path: str, body: str, method: str = "POST"):
    return api.client.open(path, method=method, data=body.encode(),
                           headers={"Authorization": f"Bearer {api.key}",
                                    "Content-Type": "application/json"})


def assert_refused(response, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is False and body["field"] == field, body


# ---- 1. NUL and lone surrogates, in every kind of field -----------------------------------

def booking_with(path: tuple[str, ...], value: str) -> dict:
    body = json.loads(json.dumps(BOOKING))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize("path,field", [
    (("customer", "name"), "customer.name"),
    (("activity",), "activity"),
    (("external_ref",), "external_ref"),
    (("cart", "line_items", 0, "name"), "cart.line_items[0].name"),
])
def test_nul_in_any_booking_field_is_422_naming_it(any_app, path, field):
    api = api_for(any_app)
    response = api.post("/api/v1/bookings", booking_with(path, f"Pat{NUL}Doe"))
    assert_refused(response, field)
    with db.connection_context():
        assert Booking.select().count() == 0 and Customer.select().count() == 0


def test_lone_surrogate_in_json_is_422_on_both_engines(any_app):
    api = api_for(any_app)
    body = json.dumps(BOOKING).replace('"Pat Doe"', RAW_LONE)
    assert_refused(raw_post(api, "/api/v1/bookings", body), "customer.name")
    agreement = f'{{"title": {RAW_LONE}, "body": "Terms."}}'
    assert_refused(raw_post(api, "/api/v1/agreements", agreement), "title")
    assert_refused(raw_post(api, "/api/v1/merchant", f'{{"name": {RAW_LONE}}}', "PATCH"),
                   "name")
    # a surrogate as an object key, and UTF-8-encoded surrogate bytes, too
    assert raw_post(api, "/api/v1/agreements",
                    f'{{{RAW_LONE}: 1, "title": "T", "body": "B"}}').status_code == 422
    encoded = b'{"title": "\xed\xb2\x80", "body": "B"}'
    response = api.client.post("/api/v1/agreements", data=encoded, headers={
        "Authorization": f"Bearer {api.key}", "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    with db.connection_context():
        assert Agreement.select().count() == 0
        assert Merchant.select().where(Merchant.name.contains("\\")).count() == 0


def test_nul_in_agreement_title_and_merchant_name_is_422(any_app):
    api = api_for(any_app)
    assert_refused(api.post("/api/v1/agreements", {"title": f"T{NUL}", "body": "Terms."}),
                   "title")
    assert_refused(api.post("/api/v1/agreements", {"title": "T", "body": f"a{NUL}b"}), "body")
    assert_refused(api.patch("/api/v1/merchant", {"name": f"Acme{NUL}"}), "name")
    # a body field a service does not even read is checked too (the whole body is walked)
    assert_refused(api.patch("/api/v1/merchant", {"name": "Acme", "x": [{"y": NUL}]}),
                   "x[0].y")


def test_nul_in_query_strings_is_422_and_in_path_ids_404(any_app):
    api = api_for(any_app)
    assert_refused(api.get("/api/v1/bookings?external_ref=%00"), "external_ref")
    assert_refused(api.get("/api/v1/invoices?booking=a%00b"), "booking")
    assert_refused(api.get("/api/v1/invoices?status=%0d%0a"), "status")
    for path in ("/api/v1/invoices/%00", "/api/v1/bookings/ab%00cd",
                 "/api/v1/bookings/%00/invoices", "/api/v1/payments/%00/refunds"):
        method = api.post if path.endswith("refunds") else api.get
        response = method(path)
        assert response.status_code == 404, (path, response.get_data(as_text=True))
    public = any_app.test_client()
    assert public.get("/api/v1/invoices/%00").status_code == 404
    assert public.post("/api/v1/invoices/%00/pay", json={}).status_code == 404
    assert public.get("/pay/%00/status").status_code == 404


def test_nul_in_a_header_is_422(any_app):
    client = any_app.test_client()
    response = client.get("/api/v1/invoices/x", headers={"User-Agent": f"evil{NUL}"})
    assert_refused(response, "User-Agent")


def test_pay_with_lone_surrogate_token_is_422_and_leaves_no_pending_attempt(any_pay_app,
                                                                            stripe_sdk):
    seeded = new_invoice(any_pay_app)
    client = any_pay_app.test_client()
    body = json.dumps({"agreements": seeded["agreements"],
                       "stripeConfirmationToken": "PLACEHOLDER"}).replace('"PLACEHOLDER"',
                                                                        RAW_LONE)
    response = client.post(f"/api/v1/invoices/{seeded['uuid']}/pay", data=body,
                           content_type="application/json")
    assert_refused(response, "stripeConfirmationToken")
    invoice = reload(seeded["invoice"])
    assert invoice.pending_intent_id is None and invoice.failed_attempts == 0
    with db.connection_context():
        assert AgreementAcceptance.select().count() == 0
    # the invoice is not blocked: a real payment goes through
    paid = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert paid.status_code == 200, paid.get_json()
    assert reload(seeded["invoice"]).status == "paid"


def test_console_forms_and_search_refuse_nul(any_app):
    seeded = seed_merchant()
    console = Console(any_app.test_client(), seeded["email"])
    response = console.post("/console/settings/branding", {"name": f"Acme{NUL}"})
    assert response.status_code == 422
    assert "name" in response.get_data(as_text=True)
    response = console.post("/console/settings/branding", {"name": "Acme\r\nBcc: x@evil"})
    assert response.status_code == 422 and "single line" in response.get_data(as_text=True)
    assert console.get("/console/bookings?q=%00").status_code == 422
    login = any_app.test_client().post("/console/login", data={"email": f"a{NUL}@b.c",
                                                               "password": "x"})
    assert login.status_code == 422
    with db.connection_context():
        assert Merchant.get_by_id(seeded["merchant"].id).name == "Harbour Tours"


def test_services_keep_the_rule_without_http(any_app):
    with db.connection_context():
        with pytest.raises(text.TextError) as refused:
            create_merchant(f"A{NUL}")
        assert refused.value.field == "name" and refused.value.status == 422
        merchant, _ = create_merchant("Fine")
        with pytest.raises(ServiceError):
            factories.booking(merchant, activity="Kayak\ntour")
        with pytest.raises(ServiceError):
            factories.booking(merchant, activity=f"Kayak{LONE}")
        with pytest.raises(ServiceError):
            factories.booking(merchant, cart={"line_items": [
                {"name": f"x{NUL}", "unit_cents": 1}]})
        with pytest.raises(ServiceError):
            factories.invoice(factories.booking(merchant), memo=f"a{NUL}")
        # multi-line text keeps its newlines and tabs
        invoice = factories.invoice(factories.booking(merchant), memo="line 1\n\tline 2")
        assert invoice.memo == "line 1\n\tline 2"
    # `$` in the email pattern matches before a final newline: the rule comes first
    with pytest.raises(ServiceError):
        fields.email("pat@example.com\n")
    with pytest.raises(text.TextError):
        fields.string({"name": "a\rb"}, "name")
    assert fields.string({"body": "a\r\nb"}, "body", multiline=True) == "a\r\nb"


# ---- 2. JSON nested 100,000 deep ----------------------------------------------------------

DEEP = {"array": "[" * 100_000 + "]" * 100_000,
        "object": '{"a":' * 100_000 + "1" + "}" * 100_000}


def json_routes(app) -> list[tuple[str, str]]:
    """Every route that takes a body, with a placeholder for its path argument."""
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PATCH", "PUT"}):
            if rule.rule.startswith(("/api/", "/pay/")):
                path = rule.rule.replace("<uuid>", "no-such-id").replace("<token>", "no-token")
                routes.append((method, path))
    assert len(routes) >= 12
    return routes


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deeply_nested_json_is_400_on_every_json_route(any_app, shape):
    any_app.config["PAYLINK_MAX_SMALL_BODY_BYTES"] = 1 << 20  # the pay routes take it too
    api = api_for(any_app)
    for method, path in json_routes(any_app):
        response = raw_post(api, path, DEEP[shape], method)
        assert response.status_code == 400, (method, path, response.status_code)
        assert response.get_json()["code"] == "json_too_deep", (method, path)


def test_ordinary_nesting_passes_the_depth_check():
    assert not text.json_depth_exceeds(json.dumps(BOOKING))
    assert not text.json_depth_exceeds(json.dumps({"a": "[[[[" * 100}))  # in a string
    assert not text.json_depth_exceeds("[" * 32 + "]" * 32)
    assert text.json_depth_exceeds("[" * 33 + "]" * 33)


# ---- 3. bodies of any size ----------------------------------------------------------------

def test_body_limits_come_from_the_environment():
    config = from_environment({"PAYLINK_MAX_BODY_BYTES": "5000",
                               "PAYLINK_MAX_SMALL_BODY_BYTES": "700"})
    assert config["PAYLINK_MAX_BODY_BYTES"] == 5000
    assert config["PAYLINK_MAX_SMALL_BODY_BYTES"] == 700
    assert from_environment({})["PAYLINK_MAX_BODY_BYTES"] == 1024 * 1024


def test_too_large_bodies_are_413(any_app):
    any_app.config["MAX_CONTENT_LENGTH"] = 100_000
    api = api_for(any_app)
    big = json.dumps({"title": "T", "body": "x" * 200_000})
    response = raw_post(api, "/api/v1/agreements", big)
    assert response.status_code == 413 and response.get_json()["success"] is False
    # the unauthenticated pay route has the smaller cap
    client = any_app.test_client()
    response = client.post("/api/v1/invoices/x/pay", data=b"{" + b" " * 70_000 + b"}",
                           content_type="application/json")
    assert response.status_code == 413 and response.is_json
    # a console form gets a page, not JSON
    response = client.post("/console/login", data={"email": "a@b.c", "password": "x" * 70_000})
    assert response.status_code == 413 and b"too large" in response.data
    assert not response.is_json
    with db.connection_context():
        assert Agreement.select().count() == 0


class EndlessBody(io.RawIOBase):
    """A request body that never ends (a chunked upload), counting what was read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), 65536)
        buffer[:size] = b" " * size
        self.read_bytes += size
        if self.read_bytes > 50 * 1024 * 1024:
            raise AssertionError("read on past any limit")
        return size


@pytest.mark.parametrize("path", ["/api/v1/agreements", "/api/v1/invoices/x/pay",
                                  "/webhooks/stripe", "/console/login"])
def test_chunked_body_without_length_stops_at_the_limit(app, path):
    """As a server hands over a chunked upload: no CONTENT_LENGTH, wsgi.input_terminated."""
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    body = EndlessBody()
    _, key = new_merchant()
    content_type = ("application/x-www-form-urlencoded" if path.startswith("/console")
                    else "application/json")
    environ = EnvironBuilder(path=path, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": content_type}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": body, "wsgi.input_terminated": True})
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413"), (status, b"".join(app_iter))
    assert body.read_bytes <= 200_000 + 65536 * 2


# ---- 4. CR/LF: redirects and email headers ------------------------------------------------

@pytest.mark.parametrize("target", ["/console/\r\nSet-Cookie: a=b", "/console/%0d%0a",
                                    "/console/\x00", "/console/ bookings",
                                    "//evil.example/console/", "/console\\..\\"])
def test_safe_next_refuses_control_characters_and_other_sites(app, target):
    with app.test_request_context():
        assert safe_next(target) in ("/console/bookings", target) and "\n" not in safe_next(
            target)
        if any(c in target for c in "\r\n\x00 ") or target.startswith("//"):
            assert safe_next(target) == "/console/bookings"


def test_login_with_crlf_in_next_never_500(app):
    seeded = seed_merchant()
    client = app.test_client()
    console = Console(client, seeded["email"])
    response = console.get("/console/login?next=/console/%0d%0aSet-Cookie:%20x=1")
    assert response.status_code in (302, 422)
    assert "Set-Cookie" not in response.headers.get("Location", "")


def test_activity_with_newline_is_refused_at_input(any_app):
    api = api_for(any_app)
    assert_refused(api.post("/api/v1/bookings", {**BOOKING, "activity": "Kayak\r\nBcc: x"}),
                   "activity")
    assert_refused(api.post("/api/v1/bookings", booking_with(("customer", "name"),
                                                             "Pat\u2028Doe")), "name")


class Inbox:
    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.raw.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(database_url):
    port = free_port()
    app = make_test_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                        MAIL_SUPPRESS_SEND=False)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield app, inbox
    controller.stop()
    db.close()


def test_email_has_one_message_id_and_a_stored_crlf_never_breaks_its_headers(smtp):
    from email import message_from_bytes

    from services.invoices.lifecycle import send_invoice

    app, inbox = smtp
    with app.app_context(), db.connection_context():
        invoice = factories.invoice()
        # stored before the input rule existed: a newline in a name that reaches a header
        Booking.update(activity="Kayak\r\nBcc: victim@example.com").where(
            Booking.id == invoice.booking_id).execute()
        Merchant.update(name="Harbour\nTours").where(
            Merchant.id == invoice.merchant_id).execute()
        send_invoice(invoice)
        outcome = run_once(app, now=utcnow() + timedelta(seconds=1))
        assert (outcome.delivered, outcome.failed) == (1, 0)
        row = OutboxMessage.get()
    [raw] = inbox.raw
    message = message_from_bytes(raw)
    assert message.get_all("Message-ID") == [f"<{row.uuid}@paylink>"]
    assert message["Subject"].startswith("Harbour Tours: ")
    assert "Kayak Bcc: victim@example.com" in message["Subject"]
    assert message.get_all("Bcc") is None


# ---- 6. signed Stripe events without data or for a gone object -----------------------------

SECRET = "whsec_test_paylink"


def signed(app, event: dict):
    payload = json.dumps(event)
    stamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256)
    header = f"t={stamp},v1={digest.hexdigest()}"
    return app.test_client().post("/webhooks/stripe", data=payload,
                                  content_type="application/json",
                                  headers={"Stripe-Signature": header})


@pytest.mark.parametrize("event", [
    {"id": "evt_nodata", "object": "event", "type": "payment_intent.succeeded"},
    {"id": "evt_nullobj", "object": "event", "type": "charge.refunded", "data": {"object": None}},
    {"id": "evt_strdata", "object": "event", "type": "payment_intent.canceled", "data": "x"},
    {"id": "evt_gone", "object": "event", "type": "payment_intent.succeeded",
     "data": {"object": {"id": "pi_gone_for_good", "object": "payment_intent"}}},
    {"id": "evt_noid", "object": "event", "type": "payment_intent.payment_failed",
     "data": {"object": {"object": "payment_intent"}}},
    {"id": "evt_charge", "object": "event", "type": "charge.refunded",
     "data": {"object": {"id": "ch_1", "object": "charge"}}},
    {"object": "event", "type": "payment_intent.succeeded"},
])
def test_signed_event_without_data_or_for_a_gone_object_is_2xx(any_pay_app, event):
    any_pay_app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    response = signed(any_pay_app, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["outcome"].startswith("ignored")
    if "id" in event:
        with db.connection_context():
            assert StripeEvent.select().where(StripeEvent.event_id == event["id"]).exists()
        assert signed(any_pay_app, event).get_json()["outcome"] == "duplicate"


# ---- 7. invoice uuids cut in the logs like pay-link tokens -------------------------------

@pytest.fixture
def captured_logs():
    from runtime.logs import JSONFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("paylink")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.setLevel(level)
    logger.removeHandler(handler)


def test_invoice_uuids_are_cut_in_paths_and_event_fields(pay_app, stripe_sdk, captured_logs):
    seeded = new_invoice(pay_app)
    client = pay_app.test_client()
    uuid = seeded["uuid"]
    assert client.get(f"/api/v1/invoices/{uuid}").status_code == 200
    assert pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk)).status_code == 200
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    paths = [entry["path"] for entry in lines if entry["msg"] == "request"]
    assert paths == [f"/api/v1/invoices/{uuid[:6]}…", f"/api/v1/invoices/{uuid[:6]}…/pay"]
    finalised = [entry for entry in lines if entry["msg"] == "payment finalised"]
    assert finalised and finalised[0]["invoice"] == uuid[:6] + "…"
    assert uuid not in captured_logs.getvalue()
    with db.connection_context():
        assert Invoice.get_by_id(seeded["invoice"].id).status == "paid"


# ---- 8. the OpenAPI document names the answers ---------------------------------------------

def test_openapi_documents_pay_answers_and_the_new_refusals(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    pay = spec["paths"]["/api/v1/invoices/{uuid}/pay"]["post"]["responses"]
    for code in ("200", "400", "402", "404", "409", "413", "422", "429", "503"):
        assert code in pay, code
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)
            assert "422" in operation["responses"] or path.endswith("openapi.json"), path
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert "field" in error
