"""Structured logs: one JSON line per request and per payment event.

Pay-link tokens are cut to a prefix in every logged path; secrets never reach here.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from flask import Flask, Response, g, request

TOKEN_IN_PATH = re.compile(r"^/pay/([^/]+)")


def redact_path(path: str) -> str:
    return TOKEN_IN_PATH.sub(lambda m: "/pay/" + m.group(1)[:6] + "…", path)


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
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

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.get("request_started", time.perf_counter())
        event(
            logger, "request", method=request.method, path=redact_path(request.path),
            status=response.status_code, ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response
