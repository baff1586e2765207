"""Rate limits, card-testing cool-down, security headers, and no secrets in the logs."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from datetime import timedelta

import pytest

from models import Invoice, Merchant, db, utcnow
from runtime.extensions import limiter
from runtime.logs import JSONFormatter
from services.merchants.keys import create_merchant
from tests.conftest import make_test_app, sandbox_config
from tests.pay_helpers import ctoken, intents, new_invoice, pay_api

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def limited_app(sqlite_url, sandbox):
    app = make_test_app(
        sqlite_url, RATELIMIT_ENABLED=True, RATELIMIT_PAY_PER_INVOICE="3 per minute",
        RATELIMIT_PAY_PER_IP="6 per minute", RATELIMIT_LOOKUP_PER_IP="4 per minute",
        RATELIMIT_MERCHANT_API_PER_KEY="2 per minute", **sandbox_config(sandbox))
    limiter.reset()
    yield app
    limiter.reset()


def test_pay_attempts_limited_per_invoice_then_per_ip(limited_app):
    client = limited_app.test_client()
    first, second = new_invoice(limited_app), new_invoice(limited_app)
    codes = [pay_api(client, first, agreements=[]).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    blocked = pay_api(client, first, agreements=[])
    assert blocked.json["success"] is False and "Too many attempts" in blocked.json["message"]
    assert "Retry-After" in blocked.headers
    # another invoice still has its own allowance, until the IP's (6, every attempt counts)
    assert pay_api(client, second, agreements=[]).status_code == 422
    assert pay_api(client, second, agreements=[]).status_code == 429
    limiter.reset()
    assert pay_api(client, first, agreements=[]).status_code == 422


def test_token_lookups_limited_per_ip_with_friendly_page(limited_app):
    client = limited_app.test_client()
    codes = [client.get("/pay/not-a-token").status_code for _ in range(5)]
    assert codes == [404, 404, 404, 404, 429]
    page = client.get("/pay/not-a-token")
    assert page.status_code == 429 and b"Please slow down" in page.data
    assert page.mimetype == "text/html"


def test_merchant_api_limited_per_key(limited_app):
    with db.connection_context():
        _, key_a = create_merchant("A")
        _, key_b = create_merchant("B")
    client = limited_app.test_client()
    codes = [client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {key_a}"})
             .status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    other = client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {key_b}"})
    assert other.status_code == 200


def test_limits_shared_across_processes_through_redis(sqlite_url, sandbox):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
    except redis.ConnectionError as exc:
        if os.environ.get("PAYLINK_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}", pytrace=False)
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
              "RATELIMIT_LOOKUP_PER_IP": "3 per minute", **sandbox_config(sandbox)}
    one = make_test_app(sqlite_url, **config).test_client()
    two = make_test_app(sqlite_url, **config).test_client()
    codes = [c.get("/pay/nothing").status_code for c in (one, two, one, two)]
    assert codes == [404, 404, 404, 429]
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_decline_cooldown_stops_card_testing(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    for _ in range(5):
        declined = pay_api(client, seeded, stripeConfirmationToken=ctoken(
            stripe_sdk, "pm_card_chargeDeclined"))
        assert declined.status_code == 402
    paused = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert paused.status_code == 429 and paused.json["code"] == "cooldown"
    assert "wait 15 minutes" in paused.json["message"]
    assert len(intents(stripe_sdk)) == 5
    with db.connection_context():
        Invoice.update(last_attempt_at=utcnow() - timedelta(minutes=16)).execute()
    assert pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk)).status_code == 200


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            yield rule.rule


def test_security_headers_on_every_route(app, client):
    seeded = new_invoice(app)
    paths = [*_get_routes(app), f"/pay/{seeded['token']}", "/pay/bad-token",
             f"/api/v1/invoices/{seeded['uuid']}", "/static/pay.css", "/nope"]
    for path in paths:
        response = client.get(path)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
        assert re.search(r"script-src 'self' 'nonce-[\w-]{16,}'", csp), path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "Strict-Transport-Security" not in response.headers, path
        if path.startswith(("/pay/", "/api/", "/healthz")):
            assert response.headers["Cache-Control"] == "no-store", path
    nonces = {client.get(f"/pay/{seeded['token']}").headers["Content-Security-Policy"]
              for _ in range(3)}
    assert len(nonces) == 3  # a fresh nonce per response
    https = client.get("/healthz", base_url="https://localhost")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_frame_ancestors_are_the_merchants_allowed_origins(app, client):
    seeded = new_invoice(app)
    with db.connection_context():
        Merchant.update(allowed_embed_origins=["https://shop.example", "http://127.0.0.2:8000"]
                        ).execute()
    response = client.get(f"/pay/{seeded['token']}")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://shop.example http://127.0.0.2:8000" in csp
    assert "X-Frame-Options" not in response.headers
    # a row that slipped past validation cannot rewrite the policy
    with db.connection_context():
        Merchant.update(allowed_embed_origins=["https://ok.example", "* ; script-src *"]).execute()
    csp = client.get(f"/pay/{seeded['token']}").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors https://ok.example") and "script-src *" not in csp
    # only the pay page may be framed; other pages stay unframeable
    assert "frame-ancestors 'none'" in client.get("/healthz").headers["Content-Security-Policy"]


def test_stripe_hosts_in_csp_follow_configuration(sqlite_url):
    real = make_test_app(sqlite_url, STRIPE_JS_URL="https://js.stripe.com/v3/",
                         STRIPE_API_BASE=None)
    csp = real.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "https://js.stripe.com" in csp
    assert "connect-src 'self' https://api.stripe.com" in csp
    assert "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com" in csp


@pytest.fixture
def captured_logs():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())  # the production format, fields included
    loggers = [logging.getLogger(n) for n in ("paylink", "werkzeug", "stripe", "")]
    for logger in loggers:
        logger.addHandler(handler)
    paylink_level = logging.getLogger("paylink").level
    logging.getLogger("paylink").setLevel(logging.DEBUG)  # the most verbose the app logs
    yield stream
    logging.getLogger("paylink").setLevel(paylink_level)
    for logger in loggers:
        logger.removeHandler(handler)


def test_no_secrets_in_logs(pay_app, stripe_sdk, sandbox, captured_logs):
    client = pay_app.test_client()
    with db.connection_context():
        _, api_key = create_merchant("Logged")
    seeded = new_invoice(pay_app)
    client.get(f"/pay/{seeded['token']}")
    client.get(f"/pay/{seeded['token']}x")
    client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {api_key}"})
    client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {api_key}x"})
    first = pay_api(client, seeded, stripeConfirmationToken=ctoken(
        stripe_sdk, "pm_card_threeDSecure2Required"))
    secret = first.json["clientSecret"]
    sandbox.authenticate(secret.split("_secret_")[0], "complete")
    pay_api(client, seeded, handledNextAction=secret.split("_secret_")[0])
    text = captured_logs.getvalue()
    # stripe-python would log response bodies (client secrets) below WARNING
    assert logging.getLogger("stripe").getEffectiveLevel() >= logging.WARNING
    assert "payment finalised" in text and "/pay/" in text  # the logs did run
    for needle in (seeded["token"], api_key, secret, "sk_test_paylink", "4242424242424242",
                   pay_app.config["SECRET_KEY"]):
        assert needle not in text, needle


def test_request_log_line_per_response(pay_app, captured_logs):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    assert client.get(f"/pay/{seeded['token']}").status_code == 200
    assert client.get("/pay/not-a-token").status_code == 404
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()
             if '"msg": "request"' in line]
    assert [(entry["method"], entry["status"]) for entry in lines] == [("GET", 200), ("GET", 404)]
    assert lines[0]["path"] == "/pay/" + seeded["token"][:6] + "…"  # the token cut short
    assert all(isinstance(entry["ms"], float) and entry["ts"] for entry in lines)
