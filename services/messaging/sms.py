"""SMS providers behind one small interface: ``send(to, text)`` raises on failure.

``console`` (the default) logs to the paylink logger with the pay token cut short;
``memory`` keeps messages in a list for tests; ``http`` POSTs JSON to SMS_HTTP_URL.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import requests
from flask import Flask

from runtime.logs import event

log = logging.getLogger("paylink")
PAY_TOKEN = re.compile(r"(/pay/)([^/\s]{6})[^/\s]*")


class SMSBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


class SMSError(RuntimeError):
    """The provider did not take the message; the outbox retries it."""


def redact_links(text: str) -> str:
    return PAY_TOKEN.sub(lambda m: m.group(1) + m.group(2) + "…", text)


class ConsoleSMS:
    def send(self, to: str, text: str) -> None:
        event(log, "sms", to=to[-4:].rjust(len(to), "*"), text=redact_links(text))


class MemorySMS:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = False  # tests flip this to play a provider outage

    def send(self, to: str, text: str) -> None:
        if self.fail:
            raise SMSError("memory SMS backend is down")
        self.sent.append((to, text))


class HTTPSMS:
    def __init__(self, url: str, token: str | None, sender: str | None,
                 timeout: float = 10) -> None:
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, to: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body: dict[str, Any] = {"to": to, "text": text}
        if self.sender:
            body["from"] = self.sender
        try:
            response = requests.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SMSError(f"SMS provider unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise SMSError(f"SMS provider answered {response.status_code}")


def sms_backend(app: Flask) -> SMSBackend:
    """The app's backend, built once from config (SMS_BACKEND, SMS_HTTP_URL, ...)."""
    backend = app.extensions.get("sms_backend")
    if backend is None:
        name = app.config.get("SMS_BACKEND") or "console"
        if name == "http":
            if not app.config.get("SMS_HTTP_URL"):
                raise RuntimeError("SMS_BACKEND=http needs SMS_HTTP_URL")
            backend = HTTPSMS(app.config["SMS_HTTP_URL"], app.config.get("SMS_HTTP_TOKEN"),
                              app.config.get("SMS_FROM"))
        elif name == "memory":
            backend = MemorySMS()
        else:
            backend = ConsoleSMS()
        app.extensions["sms_backend"] = backend
    return backend
