"""Every answer the sandbox gives, success and error, on every /v1 route it serves, is valid
against Stripe's own OpenAPI description (tests/sandbox/data/stripe-openapi-spec3.json.gz,
see its README), checked with openapi-core. Events' `data.object` is checked against the
schema of its resource too.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_core import Config as OpenAPIConfig
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from werkzeug.serving import make_server

from sandbox.config import Config
from sandbox.server import create_app
from sandbox.testing import _QuietHandler
from tests.sandbox.conftest import PK, SK, card_token

SPEC = Path(__file__).resolve().parent / "data" / "stripe-openapi-spec3.json.gz"
STRIPE = "https://api.stripe.com"
# Routes Stripe's description has no path for: the Stripe.js-only ConfirmationToken create
# (publishable key) answers a ConfirmationToken, as the documented retrieve does.
STAND_IN = {"POST /v1/confirmation_tokens": ("GET", "/v1/confirmation_tokens/{id}")}
EVENT_SCHEMA_PATH = {
    "payment_intent": "/v1/payment_intents/{id}",
    "charge": "/v1/charges/{id}",
    "refund": "/v1/refunds/{id}",
}


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    # The spec itself is not re-checked: the ConfirmationToken paths added to it (see the data
    # README) declare no path parameters, which openapi-spec-validator refuses.
    spec = null_friendly(json.loads(gzip.decompress(SPEC.read_bytes())))
    return OpenAPI.from_dict(spec, config=OpenAPIConfig(spec_validator_cls=None))


def null_friendly(node: Any) -> Any:
    """Stripe writes `nullable: true` beside `anyOf` / `enum` (no `type`), meaning null is
    allowed; the OAS 3.0 validator only reads `nullable` with a `type`, so say it its way."""
    if isinstance(node, list):
        return [null_friendly(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: null_friendly(v) for k, v in node.items()}
    if node.get("nullable"):
        null = {"type": "string", "nullable": True, "enum": [None]}
        if "anyOf" in node:
            node["anyOf"] = [*node["anyOf"], null]
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    return node


class Recorder:
    """WSGI middleware keeping (method, path, rule, status, body) of every /v1 answer."""

    def __init__(self, app: Any) -> None:
        self.flask = app
        self.wsgi = app.wsgi_app
        self.exchanges: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)
            return start_response(status, headers, *rest)

        body = b"".join(self.wsgi(environ, capture))
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        if path.startswith("/v1"):
            adapter = self.flask.url_map.bind("sandbox")
            try:
                rule = adapter.match(path, method, return_rule=True)[0].rule
            except Exception:
                rule = None
            self.exchanges.append({"method": method, "path": path, "rule": rule, "body": body,
                                   "query": environ.get("QUERY_STRING", ""), **seen})  # fmt: skip
        return [body]


@pytest.fixture
def recorded() -> Iterator[tuple[str, Recorder]]:
    app = create_app(Config())
    recorder = Recorder(app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}", recorder
    server.shutdown()


class Api:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, path: str, key: str = SK, **data: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if method == "GET":
            return requests.get(self.url + path, params=data, headers=headers, timeout=10)
        return requests.request(method, self.url + path, data=data, headers=headers, timeout=10)


def exercise(api: Api, sandbox_url: str) -> None:
    """Each served route at least once with a 2xx and once with an error."""
    handle = type("H", (), {"url": sandbox_url})()
    card = {"payment_method_types[]": "card", "currency": "usd"}
    pi = api("POST", "/v1/payment_intents", amount=2000, **card).json()
    api("POST", "/v1/payment_intents", currency="usd")  # missing amount
    api("POST", "/v1/payment_intents", amount=2000, currency="usd", capture_method="later")
    api("GET", "/v1/payment_intents", limit=2)
    api("GET", "/v1/payment_intents", limit=0)
    api("GET", "/v1/payment_intents", starting_after="pi_missing")
    api("GET", f"/v1/payment_intents/{pi['id']}", **{"expand[]": "latest_charge"})
    api("GET", "/v1/payment_intents/pi_missing")
    api("GET", f"/v1/payment_intents/{pi['id']}", key=PK, client_secret=pi["client_secret"])
    api("GET", f"/v1/payment_intents/{pi['id']}", key=PK)  # publishable without client_secret
    api("POST", f"/v1/payment_intents/{pi['id']}", description="Kayak", **{"metadata[k]": "v"})
    api("POST", f"/v1/payment_intents/{pi['id']}", colour="red")
    api("POST", f"/v1/payment_intents/{pi['id']}/confirm", payment_method="pm_card_visa")
    api("POST", f"/v1/payment_intents/{pi['id']}/confirm", payment_method="pm_card_visa")
    api("POST", f"/v1/payment_intents/{pi['id']}", amount=3000)  # succeeded: not updatable
    declined = api("POST", "/v1/payment_intents", amount=2000, **card).json()
    api("POST", f"/v1/payment_intents/{declined['id']}/confirm",
        payment_method="pm_card_chargeDeclined")  # fmt: skip
    api("POST", "/v1/payment_intents", amount=2000, currency="usd", confirm="true",
        payment_method="pm_card_threeDSecure2Required",
        return_url="https://shop.example/back")  # fmt: skip
    api("POST", "/v1/payment_intents", amount=2000, currency="usd", confirm="true",
        payment_method="pm_card_visa")  # automatic payment methods: return_url needed  # fmt: skip
    held = api("POST", "/v1/payment_intents", amount=2000, capture_method="manual",
               confirm="true", payment_method="pm_card_visa", **card).json()  # fmt: skip
    api("POST", f"/v1/payment_intents/{held['id']}/capture", amount_to_capture=5000)
    api("POST", f"/v1/payment_intents/{held['id']}/capture", amount_to_capture=1500)
    api("POST", f"/v1/payment_intents/{held['id']}/capture")  # already captured
    released = api("POST", "/v1/payment_intents", amount=2000, capture_method="manual",
                   confirm="true", payment_method="pm_card_visa", **card).json()  # fmt: skip
    api("POST", f"/v1/payment_intents/{released['id']}/cancel")
    api("POST", f"/v1/payment_intents/{released['id']}/cancel")
    api("GET", "/v1/payment_intents/search", query="status:'succeeded'", limit=1)
    api("GET", "/v1/payment_intents/search", query="colour:'red'")
    api("GET", "/v1/payment_intents/search")
    # ConfirmationTokens: Stripe.js's create, the test helper, the retrieve
    token = card_token(handle, "4242424242424242")
    api("POST", "/v1/confirmation_tokens", key=PK, **{"payment_method_data[type]": "card"})
    api("POST", "/v1/test_helpers/confirmation_tokens", payment_method="pm_card_visa")
    api("POST", "/v1/test_helpers/confirmation_tokens", payment_method="pm_card_nope")
    api("GET", f"/v1/confirmation_tokens/{token['id']}")
    api("GET", "/v1/confirmation_tokens/ctoken_missing")
    # Charges, payment methods, refunds
    charge = pi["id"] and api("GET", f"/v1/payment_intents/{pi['id']}").json()["latest_charge"]
    api("GET", "/v1/charges", limit=1)
    api("GET", "/v1/charges", ending_before="ch_missing")
    api("GET", f"/v1/charges/{charge}", **{"expand[]": "refunds"})
    api("GET", "/v1/charges/ch_missing")
    api("POST", f"/v1/charges/{charge}", description="Booking 42")
    api("POST", f"/v1/charges/{charge}", amount=1)
    api("GET", "/v1/charges/search", query="amount>1000")
    api("GET", "/v1/charges/search", query="amount>1000 AND status:'succeeded' OR refunded:'true'")
    pm = api("GET", f"/v1/payment_intents/{pi['id']}").json()["payment_method"]
    api("GET", f"/v1/payment_methods/{pm}")
    api("GET", "/v1/payment_methods/pm_missing")
    api("POST", f"/v1/payment_methods/{pm}", **{"metadata[a]": "b"})
    api("POST", "/v1/payment_methods/pm_missing", **{"metadata[a]": "b"})
    refund = api("POST", "/v1/refunds", payment_intent=pi["id"], amount=500).json()
    api("POST", "/v1/refunds", payment_intent=pi["id"], amount=99999)
    api("GET", "/v1/refunds", payment_intent=pi["id"])
    api("GET", "/v1/refunds", limit="many")
    api("GET", f"/v1/refunds/{refund['id']}")
    api("GET", "/v1/refunds/re_missing")
    api("POST", f"/v1/refunds/{refund['id']}", **{"metadata[why]": "late"})
    api("POST", f"/v1/refunds/{refund['id']}", amount=1)
    # Connect: an account, its Account Link, a direct charge with an application fee
    acct = api("POST", "/v1/accounts", type="standard", country="US").json()["id"]
    api("POST", "/v1/accounts", type="premium")
    api("GET", f"/v1/accounts/{acct}")
    api("GET", "/v1/accounts/acct_1missing")
    api("POST", "/v1/account_links", account=acct, type="account_onboarding",
        refresh_url="https://shop.example/r", return_url="https://shop.example/k")
    api("POST", "/v1/account_links", account=acct)
    requests.post(f"{sandbox_url}/_sandbox/accounts/{acct}", json={"complete_onboarding": True},
                  timeout=10)
    requests.post(f"{sandbox_url}/v1/payment_intents", timeout=10, data={
        "amount": 2000, "application_fee_amount": 150, "confirm": "true",
        "payment_method": "pm_card_visa", **card},
        headers={"Authorization": f"Bearer {SK}", "Stripe-Account": acct})
    fee = api("GET", "/v1/application_fees", limit=1).json()["data"][0]["id"]
    api("GET", "/v1/application_fees", limit=0)
    api("GET", f"/v1/application_fees/{fee}")
    api("GET", "/v1/application_fees/fee_missing")
    # Events, and what Stripe answers to no key, a bad key, a bad version, an unknown URL
    event = api("GET", "/v1/events", limit=100).json()["data"][0]
    api("GET", "/v1/events", limit=-1)
    api("GET", f"/v1/events/{event['id']}")
    api("GET", "/v1/events/evt_missing")
    api("GET", "/v1/payment_intents", key="")
    api("GET", "/v1/payment_intents", key="sk_live_nope")
    bad_version = {"Authorization": f"Bearer {SK}", "Stripe-Version": "yesterday"}
    requests.get(api.url + "/v1/events", headers=bad_version, timeout=10)
    api("GET", "/v1/nothing_here")
    api("DELETE", f"/v1/payment_intents/{pi['id']}")
    api("PUT", "/v1/refunds")


def validate(openapi: OpenAPI, method: str, path: str, status: int, body: bytes) -> None:
    openapi.validate_response(
        MockRequest(STRIPE, method.lower(), path),
        MockResponse(data=body, status_code=status, content_type="application/json"),
    )


def test_every_answer_matches_stripes_openapi(recorded, openapi):
    url, recorder = recorded
    exercise(Api(url), url)
    problems: list[str] = []
    events: list[dict[str, Any]] = []
    for ex in recorder.exchanges:
        method, path = ex["method"], ex["path"]
        if ex["rule"] is None or method not in ("GET", "POST"):
            # No route: validate as Stripe's error answer of any documented operation.
            method, path = "GET", "/v1/events/evt_x"
        elif f"{method} {ex['rule']}" in STAND_IN:
            method, path = STAND_IN[f"{method} {ex['rule']}"]
        try:
            validate(openapi, method, path, ex["status"], ex["body"])
        except Exception as exc:  # collect them all, with the reason openapi-core gives
            reasons = getattr(exc, "__cause__", None) or exc
            detail = "; ".join(str(e)[:300] for e in getattr(reasons, "schema_errors", [])[:3])
            problems.append(f"{ex['method']} {ex['path']} -> {ex['status']}: {exc} {detail}")
        if ex["rule"] == "/v1/events" and ex["status"] == 200:
            events += json.loads(ex["body"])["data"]
    for event in events:
        obj = event["data"]["object"]
        schema_path = EVENT_SCHEMA_PATH[obj["object"]].replace("{id}", obj["id"])
        try:
            validate(openapi, "GET", schema_path, 200, json.dumps(obj).encode())
        except Exception as exc:
            problems.append(f"event {event['type']} data.object: {exc}")
    assert problems == []
    assert {e["type"] for e in events} >= {
        "payment_intent.created", "payment_intent.succeeded", "payment_intent.payment_failed",
        "payment_intent.requires_action", "payment_intent.canceled",
        "payment_intent.amount_capturable_updated", "charge.succeeded", "charge.failed",
        "charge.captured", "charge.refunded", "refund.created",
    }  # fmt: skip


def test_every_served_route_was_checked_with_a_success_and_an_error(recorded):
    url, recorder = recorded
    exercise(Api(url), url)
    rules = {
        (method, rule.rule)
        for rule in recorder.flask.url_map.iter_rules()
        if rule.rule.startswith("/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    outcomes: dict[tuple[str, str], set[bool]] = {}
    for ex in recorder.exchanges:
        outcomes.setdefault((ex["method"], ex["rule"]), set()).add(ex["status"] < 400)
    missing = {r: outcomes.get(r, set()) for r in rules if outcomes.get(r) != {True, False}}
    assert missing == {}
    unknown = [ex for ex in recorder.exchanges if ex["rule"] is None]
    assert unknown and all(ex["status"] == 404 and "Request-Id" in ex["headers"] for ex in unknown)


def test_the_check_refuses_an_answer_stripe_would_not_give(openapi):
    """The validation above can fail: a wrong type, a wrong enum, an error without `type`."""
    wrong = {"id": "pi_1", "object": "payment_intent", "amount": "lots", "status": "weird"}
    with pytest.raises(Exception, match="InvalidData|invalid"):
        validate(openapi, "GET", "/v1/payment_intents/pi_1", 200, json.dumps(wrong).encode())
    with pytest.raises(Exception, match="InvalidData|invalid"):
        validate(openapi, "GET", "/v1/events/evt_1", 404, b'{"error": {"message": "x"}}')
