"""Connect test helpers: an app in Connect mode that receives the sandbox's webhooks over
HTTP, merchants onboarded through Account Links, tokens made on a connected account."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests

from models import Agreement, BookingAgreement, db
from services.invoices.links import pay_token
from tests import factories
from tests.api_helpers import Api
from tests.conftest import LiveServer, make_test_app, sandbox_config

PLATFORM_SECRET = "whsec_platform_test"
CONNECT_SECRET = "whsec_connect_test"
CONNECT_CONFIG: dict[str, Any] = {
    "STRIPE_CONNECT": True, "STRIPE_WEBHOOK_SECRET": PLATFORM_SECRET,
    "STRIPE_CONNECT_WEBHOOK_SECRET": CONNECT_SECRET,
    "PAYLINK_PLATFORM_FEE_PERCENT": "2.5", "PAYLINK_PLATFORM_FEE_FIXED_CENTS": 30,
}


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@contextmanager
def connect_server(database_url: str, sandbox: Any, **overrides: Any) -> Iterator[LiveServer]:
    """A live app in Connect mode; the sandbox delivers both endpoints' events to it."""
    app = make_test_app(database_url, **sandbox_config(sandbox), **CONNECT_CONFIG, **overrides)
    with LiveServer(app) as server:
        app.config["PAYLINK_BASE_URL"] = server.url
        server.app = app  # type: ignore[attr-defined]
        sandbox.configure(webhook_url=f"{server.url}/webhooks/stripe",
                          webhook_secret=PLATFORM_SECRET, connect_webhook_secret=CONNECT_SECRET,
                          webhooks_enabled=True, webhook_delay_ms=0)
        try:
            yield server
        finally:
            sandbox.configure(webhooks_enabled=False, webhook_url=None,
                              connect_webhook_secret="whsec_sandbox_connect")
    db.close()


def onboarding_link(api: Api) -> str:
    response = api.post("/api/v1/merchant/stripe/onboarding")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["url"]


def onboard(api: Api, sandbox: Any) -> str:
    """Through the merchant API and the sandbox's hosted page; account.updated comes back
    by webhook and makes the merchant chargeable."""
    url = onboarding_link(api)
    assert url.startswith(f"{sandbox.url}/connect/setup/")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Complete onboarding" in page.text
    done = requests.post(url + "/complete", allow_redirects=False, timeout=10)
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/console/settings/stripe/return")
    status = wait_for(lambda: (lambda s: s if s["chargesEnabled"] else None)(
        api.get("/api/v1/merchant/stripe").get_json()))
    assert status["detailsSubmitted"] and status["payoutsEnabled"] and status["connected"]
    assert status["requirements"] == []
    return str(status["account"])


def merchant_with_key(name: str, **fields: Any) -> tuple[Any, str]:
    with db.connection_context():
        return factories.merchant(name, **fields)


def open_invoice(app: Any, merchant: Any, **fields: Any) -> dict[str, Any]:
    """A payable invoice (100.00, 2 agreements) of this merchant."""
    with db.connection_context():
        booking = factories.booking(merchant)
        invoice = factories.invoice(booking, **fields)
        agreements = [a.uuid for a in Agreement.select().join(BookingAgreement)
                      .where(BookingAgreement.booking == booking.id)]
        token = pay_token(invoice, app.config["SECRET_KEY"])
    return {"invoice": invoice, "booking": booking, "agreements": agreements, "token": token,
            "uuid": invoice.uuid}


def ctoken_on(stripe_sdk: Any, account: str, payment_method: str = "pm_card_visa") -> str:
    """A ConfirmationToken made on a connected account (as Stripe.js with stripeAccount)."""
    return stripe_sdk.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": payment_method}, options={"stripe_account": account}).id
