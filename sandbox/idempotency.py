"""Stripe's Idempotency-Key rules, scoped per API key.

Same key + same request -> the first response replayed (errors too);
same key + different request -> 400 idempotency_error;
same key while the first request is still running -> 409.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import StripeError


@dataclass
class Saved:
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass
class _Entry:
    fingerprint: Any
    done: threading.Event = field(default_factory=threading.Event)
    saved: Saved | None = None


class IdempotencyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def begin(self, api_key: str, key: str, fingerprint: Any) -> Saved | None:
        """Claim the key, or return the saved response to replay; raise on conflicts."""
        with self._lock:
            entry = self._entries.get((api_key, key))
            if entry is None:
                self._entries[(api_key, key)] = _Entry(fingerprint)
                return None
            if entry.fingerprint != fingerprint:
                raise StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    type="idempotency_error",
                    store=False,
                )
            if not entry.done.is_set():
                raise StripeError(
                    409,
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    f"going through): {key}. Please try again later.",
                    type="idempotency_error",
                    code="idempotency_key_in_use",
                    store=False,
                )
            return entry.saved

    def finish(self, api_key: str, key: str, saved: Saved | None) -> None:
        """Store the response; `None` forgets the key (the request may be retried)."""
        with self._lock:
            entry = self._entries.get((api_key, key))
            if entry is None:
                return
            if saved is None:
                del self._entries[(api_key, key)]
            else:
                entry.saved = saved
            entry.done.set()
