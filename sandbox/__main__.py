"""Start the sandbox from the command line.

`python -m sandbox --port 12111 [--host 127.0.0.1] [--webhook-url URL --webhook-secret whsec_...]
[--connect-webhook-url URL --connect-webhook-secret whsec_...]`
"""

from __future__ import annotations

import argparse
import contextlib

from werkzeug.serving import make_server

from sandbox.config import Config
from sandbox.server import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Offline Stripe sandbox")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret", default="whsec_sandbox")
    parser.add_argument("--connect-webhook-url", help="Connect endpoint (default: --webhook-url)")
    parser.add_argument("--connect-webhook-secret", default="whsec_sandbox_connect")
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args(argv)
    config = Config(
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        latency_ms=args.latency_ms,
        connect_webhook_url=args.connect_webhook_url,
        connect_webhook_secret=args.connect_webhook_secret,
    )
    server = make_server(args.host, args.port, create_app(config), threaded=True)
    print(
        f"Stripe sandbox listening on http://{args.host}:{server.port} "
        f"(Stripe.js double at http://{args.host}:{server.port}/v3/)",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
