"""Issue 13, "other holes": absolute URLs from the Host header, SSRF through the merchant
webhook_url, the per-invoice pay budget split over two routes, payment history in the
public invoice read."""

from __future__ import annotations

import pytest

from models import db
from services.common.urls import absolute_url, public_url_for
from tests.conftest import make_test_app, sandbox_config
from tests.pay_helpers import ctoken, new_invoice

BASE = "https://pay.paylink.example"
EVIL = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


# ---- 1. absolute URLs come from PAYLINK_BASE_URL only ---------------------------------------

@pytest.fixture
def proxied_app(sqlite_url, sandbox):
    """Behind one trusted proxy (X-Forwarded-Host honoured), 3-D Secure by redirect."""
    app = make_test_app(sqlite_url, PAYLINK_BASE_URL=BASE, TRUSTED_PROXY_COUNT=1,
                        STRIPE_USE_SDK_NEXT_ACTIONS=False, **sandbox_config(sandbox))
    yield app
    db.close()


def _csrf(client, token: str, **kwargs) -> str:
    page = client.get(f"/pay/{token}", **kwargs).get_data(as_text=True)
    return page.split('"csrfToken": "')[1].split('"')[0]


def test_return_url_ignores_host_and_forwarded_host(proxied_app, stripe_sdk):
    client = proxied_app.test_client()
    seeded = new_invoice(proxied_app)
    evil = {"base_url": "http://evil.example", "headers": EVIL}
    response = client.post(f"/pay/{seeded['token']}/confirm", **evil, json={
        "agreements": seeded["agreements"], "csrfToken": _csrf(client, seeded["token"], **evil),
        "stripeConfirmationToken": ctoken(stripe_sdk, "pm_card_threeDSecure2Required")})
    assert response.status_code == 200, response.json
    intent_id = response.json["clientSecret"].split("_secret_")[0]
    # What Stripe holds and sends the customer back to, read through the SDK.
    intent = stripe_sdk.v1.payment_intents.retrieve(intent_id)
    return_url = intent.next_action.redirect_to_url.return_url
    assert return_url == f"{BASE}/pay/{seeded['token']}/return"
    assert "evil" not in str(intent)


def test_pay_urls_in_api_console_and_messages_use_the_base(proxied_app):
    """Every other absolute URL is made by the same helper, whatever Host came in."""
    client = proxied_app.test_client()
    seeded = new_invoice(proxied_app)
    with proxied_app.test_request_context("/", base_url="http://evil.example", headers=EVIL):
        assert public_url_for("pay.page", token="t") == f"{BASE}/pay/t"
    with proxied_app.app_context():  # no request at all (CLI, outbox worker)
        assert public_url_for("pay.returned", token="t") == f"{BASE}/pay/t/return"
    assert absolute_url("https://x.example/pl/", "/pay/t") == "https://x.example/pl/pay/t"
    from services.messaging.delivery import context
    with proxied_app.test_request_context("/", base_url="http://evil.example", headers=EVIL), \
            db.connection_context():
        ctx = context(proxied_app, {"booking_uuid": seeded["booking"].uuid,
                                    "invoice_uuid": seeded["uuid"]})
    assert ctx["pay_url"] == f"{BASE}/pay/{seeded['token']}"
    assert client.get(f"/pay/{seeded['token']}", base_url="http://evil.example",
                      headers=EVIL).status_code == 200


def test_no_absolute_url_is_built_from_the_request():
    """The class stays closed: app code has no request-derived absolute URL left."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    banned = ("_external", "host_url", "url_root", "request.host", "request.url")
    folders = ("blueprints", "services", "templates", "cli", "runtime")
    sources = [p for d in folders for p in (root / d).rglob("*")
               if p.suffix in (".py", ".html", ".txt") and p.name != "urls.py"]
    sources += [root / "app.py", root / "wsgi.py"]
    assert all(p.exists() for p in sources)
    found = [f"{p.relative_to(root)}: {word}" for p in sources
             for word in banned if word in p.read_text()]
    assert found == []


# ---- 2. merchant webhook_url: public https hosts only, at input and at delivery ------------

HOSTILE_URLS = [
    "http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "https://localhost:6379/",
    "https://LOCALHOST./", "https://redis.localhost/", "https://169.254.169.254/latest/",
    "https://10.0.0.1/", "https://172.16.5.4/", "https://192.168.1.1/", "https://100.64.0.1/",
    "https://0.0.0.0/", "https://224.0.0.1/", "https://240.0.0.1/", "https://255.255.255.255/",
    "https://192.0.2.10/", "https://[::1]/", "https://[::]/", "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/", "https://[fe80::1]/", "https://[fc00::1]/",
    "https://[ff02::1]/", "https://[2002:7f00:1::]/", "https://[64:ff9b::a9fe:a9fe]/",
    "https://2130706433/", "https://0x7f000001/", "https://127.1/", "https://017700000001/",
    "https://metadata/", "https://metadata.google.internal/", "https://printer.local/",
    "http://hooks.example/paylink", "ftp://hooks.example/", "https://user:pw@hooks.example/",
    "https:///no-host", "https://hooks.example:99999/", "javascript:alert(1)", "https://[::1",
]
PUBLIC_URLS = ["https://hooks.example/paylink", "https://8.8.8.8/hook",
               "https://[2606:4700:4700::1111]/hook", "https://Hooks.Example:8443/x?y=1"]


@pytest.fixture
def api(client):
    from tests.api_helpers import Api, new_merchant

    return Api(client, new_merchant()[1])


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_webhook_urls_are_refused_on_input(api, url):
    from services.messaging.outbound import UnsafeURL, check_url

    with pytest.raises(UnsafeURL):
        check_url(url, private_ok=False)
    response = api.patch("/api/v1/merchant", {"webhook_url": url})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["message"].startswith("webhook_url ")
    assert body["code"] == "webhook_url_not_allowed"
    assert api.get("/api/v1/merchant").get_json()["merchant"]["webhook_url"] is None


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_webhook_urls_are_accepted(api, url):
    response = api.patch("/api/v1/merchant", {"webhook_url": url})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["merchant"]["webhook_url"] == url


def test_private_webhooks_setting_lets_development_use_loopback(app, api):
    assert app.config["PAYLINK_ALLOW_PRIVATE_WEBHOOKS"] is False  # the default
    app.config["PAYLINK_ALLOW_PRIVATE_WEBHOOKS"] = True
    response = api.patch("/api/v1/merchant", {"webhook_url": "http://127.0.0.1:9/hook"})
    assert response.status_code == 200, response.get_json()


class _Hook:
    """A loopback HTTP server that records what it receives."""

    def __enter__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                received.append((self.headers["Host"], self.path,
                                 self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _resolving(monkeypatch, name: str, answers: list[str]) -> list[str]:
    """DNS as the worker sees it: ``name`` resolves to each of ``answers`` in turn."""
    import socket

    real, asked = socket.getaddrinfo, []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != name:
            return real(host, port, *args, **kwargs)
        address = answers[min(len(asked), len(answers) - 1)]
        asked.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _queue_webhook(url: str):
    from services.messaging.notifications import queue_merchant_webhook
    from tests import factories

    merchant, _ = factories.merchant(webhook_url=url, webhook_secret="whsec_test")
    queue_merchant_webhook(merchant, "booking.expired", "b-1", {"booking_uuid": "b"})


def test_delivery_to_a_name_resolving_to_loopback_is_refused(app, monkeypatch):
    """The name passed the input check; at delivery it resolves to 127.0.0.1: no POST."""
    from datetime import timedelta

    from models import OutboxMessage, utcnow
    from services.messaging.worker import run_once

    with _Hook() as hook, app.app_context(), db.connection_context():
        name = "hooks.rebind.example"
        asked = _resolving(monkeypatch, name, ["127.0.0.1"])
        _queue_webhook(f"https://{name}:{hook.port}/hook")
        now = utcnow()
        result = run_once(app, now=now)
        assert (result.delivered, result.failed) == (0, 1)
        row = OutboxMessage.get()
        assert row.delivered_at is None and row.attempts == 1 and asked == ["127.0.0.1"]
        assert row.last_error == (f"DeliveryBlocked: blocked: webhook_url {name} resolves to "
                                  "127.0.0.1, which is not a public address.")
        assert row.next_attempt_at >= now + timedelta(seconds=29)  # backoff, no hot loop
        assert run_once(app, now=now).failed == 0
    assert hook.received == []


def test_delivery_connects_to_the_address_it_checked(app, monkeypatch):
    """One look-up per delivery; the POST goes to that address with the name as Host."""
    from models import OutboxMessage
    from services.messaging.worker import run_once

    app.config["PAYLINK_ALLOW_PRIVATE_WEBHOOKS"] = True  # the hook is on loopback
    with _Hook() as hook, app.app_context(), db.connection_context():
        name = "hooks.pinned.example"
        # A second look-up would get an address nothing listens on.
        asked = _resolving(monkeypatch, name, ["127.0.0.1", "127.0.0.2"])
        _queue_webhook(f"http://{name}:{hook.port}/hook?x=1")
        assert run_once(app).delivered == 1, OutboxMessage.get().last_error
    assert asked == ["127.0.0.1"]
    assert [(h, p) for h, p, _ in hook.received] == [(f"{name}:{hook.port}", "/hook?x=1")]


def test_webhook_redirects_are_not_followed(app, monkeypatch):
    """A 307 to a private address is a failed delivery, not a second POST."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from models import OutboxMessage
    from services.messaging.worker import run_once

    hits = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{server.server_port}/next")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["PAYLINK_ALLOW_PRIVATE_WEBHOOKS"] = True
    try:
        with app.app_context(), db.connection_context():
            _queue_webhook(f"http://127.0.0.1:{server.server_port}/hook")
            assert run_once(app).failed == 1
            assert "307" in OutboxMessage.get().last_error
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/hook"]


# ---- 3. one pay budget per invoice, whichever route pays it ---------------------------------

@pytest.fixture
def limited_app(sqlite_url, sandbox):
    from runtime.extensions import limiter

    app = make_test_app(sqlite_url, RATELIMIT_ENABLED=True,
                        RATELIMIT_PAY_PER_INVOICE="3 per minute",
                        RATELIMIT_PAY_PER_IP="100 per minute", **sandbox_config(sandbox))
    limiter.reset()
    yield app
    limiter.reset()
    db.close()


def test_pay_budget_is_shared_by_the_uuid_and_the_token_route(limited_app):
    client = limited_app.test_client()
    seeded, other = new_invoice(limited_app), new_invoice(limited_app)
    csrf = _csrf(client, seeded["token"])

    def by_uuid():
        return client.post(f"/api/v1/invoices/{seeded['uuid']}/pay", json={"agreements": []})

    def by_token():
        return client.post(f"/pay/{seeded['token']}/confirm",
                           json={"agreements": [], "csrfToken": csrf})

    codes = [attempt().status_code for attempt in (by_uuid, by_token, by_uuid, by_token, by_uuid)]
    assert codes == [422, 422, 422, 429, 429]
    # Another invoice keeps its own budget, on either route.
    other_csrf = _csrf(client, other["token"])
    assert client.post(f"/pay/{other['token']}/confirm",
                       json={"agreements": [], "csrfToken": other_csrf}).status_code == 422
    # A link that names no invoice is still limited (by its token) and still a 404.
    assert client.post("/pay/not-a-token/confirm", json={}).status_code == 404


# ---- 4. payment history in the public read; the card's brand and last 4 ---------------------

def test_card_details_from_the_payment_method_or_the_latest_charge():
    import stripe

    from services.payments.card_details import card_details

    def StripeData(**values):  # noqa: N802 - an SDK object, as the SDK builds it
        return stripe.StripeObject.construct_from(values, "sk_test")

    assert card_details(StripeData(payment_method={"card": {"brand": "visa", "last4": "4242",
                                                            "exp_month": 12}})) == ("visa", "4242")
    charge = {"payment_method_details": {"card": {"brand": "amex", "last4": "8431"}}}
    assert card_details(StripeData(payment_method="pm_1", latest_charge=charge)) == ("amex",
                                                                                     "8431")
    assert card_details(StripeData(payment_method="pm_1", latest_charge="ch_1")) == (None, None)
    assert card_details(StripeData(payment_method=None, latest_charge=None)) == (None, None)
    assert card_details(StripeData()) == (None, None)


def test_sandbox_expands_the_payment_method_with_the_card_as_stripe_does(stripe_sdk):
    import gzip
    import json
    from pathlib import Path

    from services.payments.card_details import EXPAND, card_details

    intent = stripe_sdk.v1.payment_intents.create(params={
        "amount": 1000, "currency": "usd", "confirm": True, "payment_method": "pm_card_amex",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "expand": EXPAND})
    assert card_details(intent) == ("amex", "0005")
    assert isinstance(stripe_sdk.v1.payment_intents.retrieve(intent.id).payment_method, str)
    # Stripe's own schema: a PaymentMethod's card has brand and last4 (strings).
    spec = Path(__file__).resolve().parents[2] / "shared/stripe/openapi-spec3.json.gz"
    if spec.exists():
        schemas = json.loads(gzip.decompress(spec.read_bytes()))["components"]["schemas"]
        card = schemas["payment_method_card"]["properties"]
        assert card["brand"]["type"] == card["last4"]["type"] == "string"


def test_public_read_has_the_payment_history(any_pay_app, stripe_sdk, sandbox):
    import jsonschema_rs

    from services.schemas.responses import PublicInvoice
    from tests.api_helpers import Api, new_merchant
    from tests.pay_helpers import pay_api

    client = any_pay_app.test_client()
    api = Api(client, new_merchant()[1])
    invoice = api.invoice(api.booking()["uuid"], allow_partial=True, allow_tip=True)
    seeded = {"uuid": invoice["uuid"], "agreements": []}
    read = client.get(f"/api/v1/invoices/{invoice['uuid']}").json
    assert read["payments"] == []
    before = set(read)

    first = pay_api(client, seeded, amountCents=6000, tipCents=500,
                    stripeConfirmationToken=ctoken(stripe_sdk, "pm_card_mastercard"))
    assert first.status_code == 200, first.json
    # The rest with a 3-D Secure card: the card is read on the way back from the bank.
    second = pay_api(client, seeded, stripeConfirmationToken=ctoken(
        stripe_sdk, "pm_card_threeDSecure2Required"))
    intent_id = second.json["clientSecret"].split("_secret_")[0]
    sandbox.authenticate(intent_id, "complete")
    assert pay_api(client, seeded, handledNextAction=intent_id).status_code == 200
    merchant_view = api.get(f"/api/v1/invoices/{invoice['uuid']}").json["invoice"]
    payment_uuid = merchant_view["payments"][0]["uuid"]
    assert api.post(f"/api/v1/payments/{payment_uuid}/refunds",
                    {"amount_cents": 1000}).status_code == 201
    assert api.post(f"/api/v1/payments/{payment_uuid}/refunds",
                    {"amount_cents": 500}).status_code == 201

    read = client.get(f"/api/v1/invoices/{invoice['uuid']}").json
    assert set(read) == before  # every existing field is still there
    jsonschema_rs.validate(PublicInvoice.model_json_schema(), read)  # as documented
    mastercard, visa = read["payments"]
    assert {k: v for k, v in mastercard.items() if k not in ("createdAt", "refunds")} == {
        "amountCents": 6000, "tipCents": 500, "currency": "usd", "refundedCents": 1500,
        "cardBrand": "mastercard", "cardLast4": "4444", "status": "partially_refunded",
        "confirmationNumber": first.json["confirmation"]["confirmationNumber"]}
    assert [r["amountCents"] for r in mastercard["refunds"]] == [1000, 500]
    assert all(r["createdAt"].endswith("Z") for r in mastercard["refunds"])
    assert mastercard["createdAt"] == merchant_view["payments"][0]["created_at"]
    assert (visa["amountCents"], visa["cardBrand"], visa["cardLast4"]) == (4000, "visa", "3220")
    assert (visa["status"], visa["refunds"]) == ("succeeded", [])
    # No card data beyond brand and last 4 anywhere in the answer.
    text = client.get(f"/api/v1/invoices/{invoice['uuid']}").get_data(as_text=True)
    assert "exp_" not in text and "fingerprint" not in text and "pm_" not in text
    with db.connection_context():
        from models import CustomerPayment
        assert [(p.card_brand, p.card_last4) for p in CustomerPayment.select()
                .order_by(CustomerPayment.id)] == [("mastercard", "4444"), ("visa", "3220")]
