"""Structured logs: one JSON line per request and per payment event.

Pay-link tokens and invoice uuids (each reads and pays an invoice) are cut to a prefix
in every logged path and event field, here in one place; secrets never reach here.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

# /pay/<token>... and any .../invoices/<uuid>... (API and console).
TOKEN_IN_PATH = re.compile(r"(^/pay/|/invoices/)([^/]+)")
# Event fields that hold an invoice's uuid or a pay-link token.
CUT_FIELDS = frozenset({"invoice", "invoice_uuid", "token"})


def cut(value: str) -> str:
    """A loggable stand-in: enough to correlate, useless to read or pay with."""
    return value[:6] + "…" if value else ""


def redact_path(path: str) -> str:
    return TOKEN_IN_PATH.sub(lambda m: m.group(1) + cut(m.group(2)), path)


def redact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: (redact_path(value) if name == "path" else cut(value))
            if isinstance(value, str) and (name == "path" or name in CUT_FIELDS) else value
            for name, value in fields.items()}


class JSONFormatter(logging.Formatter):
    _second: int | None = None
    _stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # a request a line: format each second once
            self._stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
            self._second = second
        line: dict[str, Any] = {
            "ts": self._stamp,
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(redact_fields(getattr(record, "fields", {})))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def event(logger: logging.Logger, msg: str, **fields: Any) -> None:
    """Log one structured event."""
    logger.info(msg, extra={"fields": fields})


def configure_logging(app: Flask) -> None:
    logger = logging.getLogger("paylink")
    if not any(getattr(h, "_paylink", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JSONFormatter())
        handler._paylink = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False
    # The dev server's access log prints whole URLs (pay tokens); ours replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # stripe-python logs whole response bodies (client secrets) at INFO/DEBUG.
    logging.getLogger("stripe").setLevel(logging.WARNING)

    app.wsgi_app = RequestLog(app.wsgi_app, logger)  # type: ignore[method-assign]


class RequestLog:
    """WSGI middleware: one line per request (method, path with the pay token cut, status,
    milliseconds). Around the app rather than in Flask's hooks, so the line costs no
    request-context or ``g`` look-ups; it sees every response Flask sends, errors included.
    """

    def __init__(self, wsgi_app: Callable[..., Any], logger: logging.Logger) -> None:
        self.wsgi_app = wsgi_app
        self.logger = logger

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not self.logger.isEnabledFor(logging.INFO):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        statuses: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, recording)
        event(self.logger, "request", method=environ.get("REQUEST_METHOD", ""),
              path=environ.get("PATH_INFO", ""),  # cut by the formatter
              status=int(statuses[-1].split(" ", 1)[0]) if statuses else 500,
              ms=round((time.perf_counter() - started) * 1000, 1))
        return body
