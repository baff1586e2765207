"""Fixtures for the Stripe sandbox tests: one sandbox per session, reset before every test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import stripe

from sandbox.testing import SandboxHandle, start_sandbox

SK = "sk_test_sandbox"
PK = "pk_test_sandbox"
WEBHOOK_SECRET = "whsec_test_secret"
DEFAULTS: dict[str, Any] = {
    "webhook_url": None,
    "webhook_secret": WEBHOOK_SECRET,
    "webhooks_enabled": True,
    "webhook_delay_ms": 0,
    "webhook_retry_base_ms": 100,
    "webhook_max_attempts": 5,
    "latency_ms": 0,
    "fail_mode": None,
}


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxHandle]:
    handle = start_sandbox()
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    sandbox_server.configure(**DEFAULTS)
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def stripe_client(sandbox: SandboxHandle) -> stripe.StripeClient:
    # max_network_retries=0: the SDK would otherwise retry 409s and 5xx by itself.
    return stripe.StripeClient(SK, base_addresses={"api": sandbox.url}, max_network_retries=0)


def card_token(sandbox: SandboxHandle, number: str, **extra: str) -> dict[str, Any]:
    """Create a ConfirmationToken the way the Stripe.js double's iframe does (publishable key)."""
    form = {
        "key": PK,
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": number,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": str(time.gmtime().tm_year + 3),
        "payment_method_data[card][cvc]": "123",
        "payment_method_data[billing_details][address][postal_code]": "10115",
        **extra,
    }
    response = requests.post(f"{sandbox.url}/v1/confirmation_tokens", data=form, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


class WebhookReceiver:
    """A real local HTTP endpoint that answers with scripted status codes and records calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # consumed one per call; 200 once empty
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.calls.append(
                        {"body": body.decode(), "headers": dict(self.headers), "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(c["body"]) for c in self.calls]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver(sandbox: SandboxHandle) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    sandbox.configure(webhook_url=receiver.url)
    yield receiver
    sandbox.configure(webhook_url=None)
    receiver.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout:.1f}s")
