"""Run a sandbox in a background thread, for test suites (use it from a pytest fixture)."""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.config import Config
from sandbox.server import Sandbox, create_app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # keep test output clean
        pass


class SandboxHandle:
    """A running sandbox: `.url` is the `base_addresses["api"]` and the /v3/ script origin."""

    def __init__(self, server: BaseWSGIServer, thread: threading.Thread, sandbox: Sandbox) -> None:
        self._server = server
        self._thread = thread
        self.sandbox = sandbox  # direct access to state (store, config, dispatcher) for tests
        self.host = server.host
        self.port: int = server.port
        self.url = f"http://{self.host}:{self.port}"
        self.js_url = f"{self.url}/v3/"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget all objects, events, deliveries and idempotency keys (config is kept)."""
        self._control("/_sandbox/reset", {})

    def configure(self, **config: Any) -> dict[str, Any]:
        """Same keys as `POST /_sandbox/config`, e.g. `configure(latency_ms=300)`."""
        return self._control("/_sandbox/config", config)

    def authenticate(self, payment_intent: str, result: str = "complete") -> dict[str, Any]:
        """Press a 3DS challenge button without a browser."""
        path = f"/_sandbox/payment_intents/{payment_intent}/authenticate"
        return self._control(path, {"result": result})

    def replay(self, event_id: str) -> dict[str, Any]:
        return self._control(f"/_sandbox/events/{event_id}/replay", {})

    def deliveries(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/_sandbox/deliveries", timeout=10) as r:  # noqa: S310
            return json.load(r)["data"]

    def _control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 (always our own http:// URL)
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.load(response)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(port: int = 0, host: str = "127.0.0.1", **config: Any) -> SandboxHandle:
    """Start a sandbox on `host:port` (0 = a free port) with `Config` fields as keywords."""
    cfg = Config()
    cfg.update(config)
    app = create_app(cfg)
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="stripe-sandbox", daemon=True)
    thread.start()
    return SandboxHandle(server, thread, app.extensions["sandbox"])
