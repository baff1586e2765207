"""Issue 13, "other holes": absolute URLs from the Host header, SSRF through the merchant
webhook_url, the per-invoice pay budget split over two routes, payment history in the
public invoice read."""

from __future__ import annotations

import pytest

from models import db
from services.urls import absolute_url, public_url_for
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
    from services.messaging import context
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
    sources = [p for d in ("blueprints", "services", "templates") for p in (root / d).rglob("*")
               if p.suffix in (".py", ".html", ".txt") and p.name != "urls.py"]
    sources += [root / name for name in ("app.py", "commands.py", "jobs.py")]
    found = [f"{p.relative_to(root)}: {word}" for p in sources
             for word in banned if word in p.read_text()]
    assert found == []
