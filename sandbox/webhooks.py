"""Signed webhook delivery with retries, in background threads so the API never waits."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from sandbox.config import Config


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value `stripe.Webhook.construct_event` verifies."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class Dispatcher:
    def __init__(
        self, config: Config, set_pending: Callable[[str, int], None] | None = None
    ) -> None:
        self.config = config
        self.set_pending = set_pending
        self._lock = threading.Lock()
        self._deliveries: list[dict[str, Any]] = []
        self._generation = 0  # bumped by reset so old retry threads stop

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            self._deliveries.clear()

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(d) for d in self._deliveries]

    def emit(self, event: dict[str, Any]) -> None:
        """Called for each new event: schedule delivery if webhooks are on."""
        if not (self.config.webhooks_enabled and self.config.webhook_url):
            return
        self._start(event, self.config.webhook_delay_ms / 1000, first_attempt=1)

    def replay(self, event: dict[str, Any]) -> dict[str, Any]:
        """Deliver now (even when delivery is switched off); retries continue in background."""
        record = self._attempt(event, attempt=1, replay=True)
        if not _ok(record["status"]):
            self._start(event, self._backoff(1), first_attempt=2)
        return record

    def _start(self, event: dict[str, Any], delay: float, first_attempt: int) -> None:
        if self.set_pending:
            self.set_pending(event["id"], 1)
        with self._lock:
            generation = self._generation
        thread = threading.Thread(
            target=self._run, args=(event, delay, first_attempt, generation), daemon=True
        )
        thread.start()

    def _backoff(self, attempt: int) -> float:
        return self.config.webhook_retry_base_ms / 1000 * 2 ** (attempt - 1)

    def _run(self, event: dict[str, Any], delay: float, attempt: int, generation: int) -> None:
        time.sleep(delay)
        while attempt <= self.config.webhook_max_attempts:
            with self._lock:
                if generation != self._generation:
                    return
            record = self._attempt(event, attempt)
            if _ok(record["status"]):
                return
            time.sleep(self._backoff(attempt))
            attempt += 1

    def _attempt(self, event: dict[str, Any], attempt: int, replay: bool = False) -> dict[str, Any]:
        url = self.config.webhook_url
        payload = json.dumps(event, indent=2)
        record: dict[str, Any] = {
            "event_id": event["id"],
            "type": event["type"],
            "url": url,
            "attempt": attempt,
            "replay": replay,
            "status": None,
            "error": None,
            "at": time.time(),
        }
        if not url:
            record["error"] = "no webhook_url configured"
        else:
            # webhook_url is checked to be http(s) by Config.update.
            request = urllib.request.Request(  # noqa: S310
                url,
                data=payload.encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": sign(payload, self.config.webhook_secret),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    record["status"] = response.status
            except urllib.error.HTTPError as exc:
                record["status"] = exc.code
            except (OSError, ValueError) as exc:
                record["error"] = str(exc)
        with self._lock:
            self._deliveries.append(record)
        if self.set_pending and _ok(record["status"]):
            self.set_pending(event["id"], 0)
        return record


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300
