"""Views rendered from database rows, reused while those rows are unchanged.

A pay link is opened again and again: reloads, the page framed on the merchant's site,
a QA suite. Its page is a pure function of a few database rows (and of the app's config),
so the rendered body is kept with a digest of those rows. Every request still runs the
queries; only when the rows are byte-for-byte what the body was rendered from is the body
reused. Nothing can go stale but by time, and entries carry the moment they stop being
valid (an invoice's expiry). Per-response values (CSP nonce, CSRF token) are filled in
by the caller. One cache per app: bodies depend on its config.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from cachetools import LRUCache

from statements import Rows


def digest(*results: Rows) -> bytes:
    """A fingerprint of fetched rows. pickle is lossless (equal bytes load as equal values),
    so different rows never share a digest; equal rows almost always do, and when they do
    not (pickle's memo follows object identity) the cost is one render. Three times
    cheaper than repr, which formats every datetime."""
    return hashlib.blake2b(pickle.dumps([r.values for r in results], protocol=5),
                           digest_size=20).digest()


class ViewCache:
    """key → (rows digest, value, valid until); least recently used entries go first."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: LRUCache = LRUCache(maxsize=max(size, 1))
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def get(self, key: Hashable, rows_digest: bytes, now: datetime) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        stored_digest, value, valid_until = entry
        if stored_digest != rows_digest or (valid_until is not None and now >= valid_until):
            return None
        return value

    def put(self, key: Hashable, rows_digest: bytes, value: Any,
            valid_until: datetime | None) -> None:
        if not self._size:
            return
        with self._lock:
            self._entries[key] = (rows_digest, value, valid_until)
