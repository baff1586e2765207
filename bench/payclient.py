"""The pay page's confirm call as a load client: one keep-alive connection per thread.

Built on http.client rather than requests: the client shares the machine's cores with
the app it measures (a customer's browser would not), and requests spent about 0.5 ms of
CPU per call on sessions, adapters and cookie jars.
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from bench import seed
from services.invoices import tokens as pay_tokens


class ConfirmClient:
    """POST /pay/<token>/confirm with the CSRF token the page would have embedded."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self._host, self._port,
                                                                 timeout=60)
        return conn

    def confirm(self, target: dict[str, Any], ctoken: str,
                attempt_key: str | None = None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) of one payment of a bench target (bench.seed.target)."""
        csrf = pay_tokens.make_csrf(seed.SECRET_KEY,
                                    pay_tokens.unsign(seed.SECRET_KEY, target["token"]))
        body = {"stripeConfirmationToken": ctoken, "agreements": target["agreements"],
                "csrfToken": csrf}
        if attempt_key:
            body["attemptKey"] = attempt_key
        conn = self._connection()
        try:
            conn.request("POST", f"/pay/{target['token']}/confirm", json.dumps(body),
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()  # a dropped keep-alive connection: the next call opens a new one
            self._local.conn = None
            raise
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {}


def confirmation_tokens(sdk: Callable[[], Any], count: int) -> list[str]:
    """``count`` ConfirmationTokens for a Visa test card, made 8 at a time; ``sdk`` gives
    the calling thread's StripeClient."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: sdk().v1.test_helpers.confirmation_tokens.create(
            params={"payment_method": "pm_card_visa"}).id, range(count)))


def direct_call(target: dict[str, Any], ctoken: str, attempt: str) -> dict[str, Any]:
    """The PaymentIntent create call the app makes for this target, built by the app's own
    services.payments.intent_call: the direct side pays the same PaymentIntents (amount,
    description, metadata, idempotency key), only without the app around the call."""
    from models import Booking, Invoice, Merchant
    from services.payments.attempts import intent_call
    from services.payments.rules import PayRequest

    merchant = Merchant(name="Bench Kayaks", uuid=str(uuid.uuid4()), stripe_account=None)
    booking = Booking(activity="Sunrise Sea-Kayak Tour", confirmation_code="BK-BENCH1",
                      uuid=str(uuid.uuid4()))
    invoice = Invoice(uuid=target["uuid"], currency="usd")
    request = PayRequest(confirmation_token=ctoken, agreements=[], attempt_key=attempt)
    return intent_call(invoice, booking, merchant, target["amount_cents"], request, attempt)
