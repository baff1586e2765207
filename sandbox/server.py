"""HTTP face of the sandbox: Stripe's /v1 API, the /v3/ Stripe.js double, /_sandbox controls."""

from __future__ import annotations

import json
import re
import time
import traceback
from base64 import b64decode
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, send_from_directory

from sandbox import connect_routes
from sandbox.config import Config
from sandbox.connect import Connect, PlatformStore, current_account
from sandbox.errors import StripeError
from sandbox.idempotency import IdempotencyStore, Saved
from sandbox.ids import rand
from sandbox.objects import API_VERSION
from sandbox.params import decode
from sandbox.state import RequestInfo, Store, current_request, parse_positive_int
from sandbox.webhooks import Dispatcher

STATIC = Path(__file__).parent / "static"
VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
SECRET, PUBLISHABLE = "secret", "publishable"
Handler = Callable[..., Any]


class Sandbox:
    """Everything one sandbox instance holds; `app.extensions["sandbox"]`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.dispatcher = Dispatcher(config, self._set_pending)
        self.store: Store = PlatformStore(on_event=self.dispatcher.emit)
        self.connect = Connect(config)
        self.idempotency = IdempotencyStore()

    def _set_pending(self, event_id: str, count: int) -> None:
        with self.store.lock:
            if event_id in self.store.events:
                self.store.events[event_id]["pending_webhooks"] = count

    def scoped(self) -> Store:
        """The store of the request's account (`Stripe-Account`), the platform's otherwise."""
        account = current_account.get()
        return self.store if account is None else self.connect.store_for(account)

    def reset(self) -> None:
        self.dispatcher.reset()
        self.connect.reset()
        self.store.reset()
        self.idempotency.reset()


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, indent=2), status=status, headers=headers, mimetype="application/json"
    )


def _redact(key: str) -> str:
    return key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key


def _api_key(params: dict[str, Any]) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    if auth.startswith("Basic "):  # curl -u sk_test_...:
        try:
            return b64decode(auth[6:]).decode().split(":", 1)[0]
        except ValueError:
            return None
    key = params.pop("key", None)  # Stripe.js sends its publishable key as a parameter
    return str(key) if key else None


def _authenticate(key: str | None, publishable_ok: bool) -> str:
    if not key:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.",
            store=False,
        )
    if key.startswith("sk_test_") and len(key) > 8:
        return SECRET
    if key.startswith("pk_test_") and len(key) > 8:
        if not publishable_ok:
            raise _secret_required()
        return PUBLISHABLE
    raise StripeError(401, f"Invalid API Key provided: {_redact(key)}", store=False)


def _secret_required() -> StripeError:
    return StripeError(
        401,
        "This API call cannot be made with a publishable API key. Please use a secret API "
        "key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
        code="secret_key_required",
        store=False,
    )


def _expand_paths(params: dict[str, Any]) -> list[str]:
    paths = params.get("expand") or []
    return [paths] if isinstance(paths, str) else list(paths)


def _expand(sb: Sandbox, obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Support `expand[]=latest_charge|payment_method|latest_charge.refunds` on PaymentIntents."""
    kinds = {"latest_charge": "charge", "payment_method": "payment_method"}
    for path in _expand_paths(params):
        head = path.split(".")[0]
        if head in kinds and isinstance(obj.get(head), str):
            obj[head] = sb.scoped().get(kinds[head], obj[head])
        if head == "latest_charge" and isinstance(obj.get("latest_charge"), dict):
            _expand_charge(sb, obj["latest_charge"], {"expand": [path[len(head) + 1 :]]})
    return obj


def _expand_charge(sb: Sandbox, ch: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """`refunds` is on a charge only when asked for (Stripe since 2022-11-15)."""
    old = not current_request.get(RequestInfo()).at_least("2022-11-15")
    if old or "refunds" in _expand_paths(params):
        sb.scoped().charge_with_refunds(ch)
    return ch


def _unrecognized() -> StripeError:
    message = (
        f"Unrecognized request URL ({request.method}: {request.path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/."
    )
    return StripeError(404, message, store=False)


def _page(sb: Sandbox, kind: str, params: dict[str, Any], url: str, **filters: Any) -> Any:
    limit = min(parse_positive_int(params.get("limit", 10), "limit"), 100)
    rows, more = sb.scoped().list_page(
        kind,
        limit,
        starting_after=params.get("starting_after") or None,
        ending_before=params.get("ending_before") or None,
        **filters,
    )
    return _list(rows, more, url)


def create_app(config: Config | None = None) -> Flask:
    """A Flask app serving one sandbox; its state lives in `app.extensions["sandbox"]`."""
    app = Flask(__name__, static_folder=None)
    sb = Sandbox(config or Config())
    app.extensions["sandbox"] = sb
    store = _Scoped(sb)  # every route's objects live on the request's account

    def run_api(
        handler: Handler | None, publishable_ok: bool, kwargs: dict[str, Any]
    ) -> Response:
        request_id = "req_" + rand(14)
        # Stripe answers in (and echoes) the version asked for, else the account's default.
        version = request.headers.get("Stripe-Version") or API_VERSION
        headers = {"Request-Id": request_id, "Stripe-Version": version}
        source = request.form if request.method == "POST" else request.args
        params = decode(source.items(multi=True))
        idem_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        claimed: tuple[str, str] | None = None
        try:
            if sb.config.fail_mode == "503":
                raise StripeError(
                    503,
                    "The server is temporarily unavailable (sandbox fail_mode=503).",
                    type="api_error",
                    store=False,
                )
            api_key = _api_key(params)
            kind = _authenticate(api_key, publishable_ok)
            if not VERSION_RE.match(version):
                headers["Stripe-Version"] = API_VERSION
                raise StripeError(
                    400,
                    f"Invalid Stripe API version: {version}",
                    code="api_version_invalid",
                    store=False,
                )
            if handler is None:
                raise _unrecognized()
            # Stripe.js sends the account as `_stripe_account`, the SDKs as a header.
            account = request.headers.get("Stripe-Account") or params.pop(
                "_stripe_account", None)
            params.pop("_stripe_account", None)
            if account:
                sb.connect.store_for(str(account))  # unknown or revoked: refused up front
                headers["Stripe-Account"] = str(account)
            if idem_key and api_key:
                headers["Idempotency-Key"] = idem_key
                fingerprint = (request.path, tuple(sorted(request.form.items(multi=True))))
                # Keys are scoped per account too, as on Stripe.
                scope = f"{api_key}|{account}" if account else api_key
                saved = sb.idempotency.begin(scope, idem_key, fingerprint)
                if saved is not None:
                    replay_headers = {**saved.headers, "Idempotent-Replayed": "true"}
                    return Response(
                        saved.body, saved.status, replay_headers, mimetype="application/json"
                    )
                claimed = (scope, idem_key)
            if sb.config.latency_ms:
                time.sleep(sb.config.latency_ms / 1000)
            info = RequestInfo(request_id, idem_key, request.host_url.rstrip("/"), version)
            token = current_request.set(info)
            account_token = current_account.set(str(account) if account else None)
            try:
                body, status, store_it = handler(params, kind, **kwargs), 200, True
            finally:
                current_account.reset(account_token)
                current_request.reset(token)
        except StripeError as exc:
            exc.body.setdefault(
                "request_log_url", f"https://dashboard.stripe.com/test/logs/{request_id}"
            )
            body, status, store_it = exc.response_body(), exc.status, exc.store
        except Exception:  # an internal error answers like Stripe's 500, and is saved
            traceback.print_exc()
            body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
            status, store_it = 500, True
        response = _json(body, status, headers)
        if claimed:
            saved_response = Saved(status, response.get_data(), headers) if store_it else None
            sb.idempotency.finish(*claimed, saved_response)
        return response

    def api(rule: str, methods: tuple[str, ...] = ("POST",), publishable: bool = False):
        def register(handler: Handler) -> Handler:
            def view(**kwargs: Any) -> Response:
                return run_api(handler, publishable, kwargs)

            app.add_url_rule(rule, handler.__name__, view, methods=list(methods))
            return handler

        return register

    # ---- PaymentIntents ------------------------------------------------------------------
    @api("/v1/payment_intents")
    def create_payment_intent(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return _expand(sb, store.create_payment_intent(params), params)

    @api("/v1/payment_intents", methods=("GET",))
    def list_payment_intents(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return _page(sb, "payment_intent", params, "/v1/payment_intents",
                     customer=params.get("customer"))  # fmt: skip

    @api("/v1/payment_intents/search", methods=("GET",))
    def search_payment_intents(params: dict[str, Any], kind: str) -> dict[str, Any]:
        params.pop("expand", None)
        return store.search("payment_intent", params, "/v1/payment_intents/search")

    @api("/v1/payment_intents/<pi_id>")
    def update_payment_intent(params: dict[str, Any], kind: str, pi_id: str) -> dict[str, Any]:
        return _expand(sb, store.update_payment_intent(pi_id, params), params)

    @api("/v1/payment_intents/<pi_id>/capture")
    def capture_payment_intent(params: dict[str, Any], kind: str, pi_id: str) -> dict[str, Any]:
        return _expand(sb, store.capture_payment_intent(pi_id, params), params)

    @api("/v1/payment_intents/<pi_id>", methods=("GET",), publishable=True)
    def retrieve_payment_intent(params: dict[str, Any], kind: str, pi_id: str) -> dict[str, Any]:
        if kind == PUBLISHABLE:
            if not params.get("client_secret"):
                raise _secret_required()
            return store.pi_for_client_secret(pi_id, params["client_secret"])
        return _expand(sb, store.get("payment_intent", pi_id), params)

    @api("/v1/payment_intents/<pi_id>/confirm", publishable=True)
    def confirm_payment_intent(params: dict[str, Any], kind: str, pi_id: str) -> dict[str, Any]:
        if kind == PUBLISHABLE:
            if not params.get("client_secret"):
                raise _secret_required()
            store.pi_for_client_secret(pi_id, params["client_secret"])
        return _expand(sb, store.confirm_payment_intent(pi_id, params), params)

    @api("/v1/payment_intents/<pi_id>/cancel")
    def cancel_payment_intent(params: dict[str, Any], kind: str, pi_id: str) -> dict[str, Any]:
        return store.cancel_payment_intent(pi_id, params)

    # ---- ConfirmationTokens --------------------------------------------------------------
    @api("/v1/confirmation_tokens", publishable=True)
    def create_confirmation_token(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return store.create_confirmation_token_from_card(params)

    @api("/v1/test_helpers/confirmation_tokens")
    def create_test_confirmation_token(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return store.create_test_confirmation_token(params)

    @api("/v1/confirmation_tokens/<ident>", methods=("GET",))
    def retrieve_confirmation_token(
        params: dict[str, Any], kind: str, ident: str
    ) -> dict[str, Any]:
        return store.get("confirmation_token", ident)

    # ---- Charges, refunds, payment methods, events ----------------------------------------
    @api("/v1/charges", methods=("GET",))
    def list_charges(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return _page(sb, "charge", params, "/v1/charges",
                     payment_intent=params.get("payment_intent"))  # fmt: skip

    @api("/v1/charges/search", methods=("GET",))
    def search_charges(params: dict[str, Any], kind: str) -> dict[str, Any]:
        params.pop("expand", None)
        return store.search("charge", params, "/v1/charges/search")

    @api("/v1/charges/<ident>", methods=("GET",))
    def retrieve_charge(params: dict[str, Any], kind: str, ident: str) -> dict[str, Any]:
        return _expand_charge(sb, store.get("charge", ident), params)

    @api("/v1/charges/<ident>")
    def update_charge(params: dict[str, Any], kind: str, ident: str) -> dict[str, Any]:
        return _expand_charge(sb, store.update_object("charge", ident, params), params)

    @api("/v1/payment_methods/<ident>", methods=("GET",))
    def retrieve_payment_method(params: dict[str, Any], kind: str, ident: str) -> dict[str, Any]:
        return store.get("payment_method", ident)

    @api("/v1/payment_methods/<ident>")
    def update_payment_method(params: dict[str, Any], kind: str, ident: str) -> dict[str, Any]:
        return store.update_object("payment_method", ident, params)

    @api("/v1/refunds")
    def create_refund(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return store.create_refund(params)

    @api("/v1/refunds", methods=("GET",))
    def list_refunds(params: dict[str, Any], kind: str) -> dict[str, Any]:
        # Stripe filters a refund list by payment_intent or charge.
        filters = {"payment_intent": params.get("payment_intent"), "charge": params.get("charge")}
        return _page(sb, "refund", params, "/v1/refunds", **filters)

    @api("/v1/refunds/<ident>", methods=("GET",))
    def retrieve_refund(params: dict[str, Any], kind: str, ident: str) -> dict[str, Any]:
        return store.get("refund", ident)

    @api("/v1/refunds/<ident>")
    def update_refund(params: dict[str, Any], kind: str, ident: str) -> dict[str, Any]:
        return store.update_object("refund", ident, params)

    @api("/v1/events/<ident>", methods=("GET",))
    def retrieve_event(params: dict[str, Any], kind: str, ident: str) -> dict[str, Any]:
        return store.get("event", ident)

    @api("/v1/events", methods=("GET",))
    def list_events(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return _page(sb, "event", params, "/v1/events", type=params.get("type"))

    connect_routes.register(app, sb, api)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(_: Exception) -> Response:
        # Stripe answers an unknown URL or method with its JSON error (after auth), never HTML.
        if request.path.startswith("/v1/") or request.path == "/v1":
            return run_api(None, True, {})
        return _json({"error": "not found"}, 404, {"Request-Id": "req_" + rand(14)})

    @app.after_request
    def cors(response: Response) -> Response:
        # Stripe.js calls /v1 from the pay page's origin; the API answers CORS for any origin.
        if request.path.startswith("/v1/"):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = "Request-Id, Idempotent-Replayed"
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = (
                    "Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account"
                )
                response.headers["Access-Control-Max-Age"] = "300"
        return response

    # ---- Stripe.js double ------------------------------------------------------------------
    @app.get("/v3/")
    @app.get("/v3")
    def stripe_js() -> Response:
        return _static("stripe.js")

    @app.get("/v3/<path:name>")
    def stripe_js_asset(name: str) -> Response:
        return _static(name)

    # ---- control endpoints (loopback dev tool, no auth) ------------------------------------
    @app.post("/_sandbox/reset")
    def control_reset() -> Response:
        sb.reset()
        return _json({"ok": True})

    @app.route("/_sandbox/config", methods=["GET", "POST"])
    def control_config() -> Response:
        if request.method == "POST":
            try:
                sb.config.update(request.get_json(force=True) or {})
            except ValueError as exc:
                return _json({"error": str(exc)}, 400)
        return _json(sb.config.as_dict())

    @app.post("/_sandbox/events/<event_id>/replay")
    def control_replay(event_id: str) -> Response:
        for owner in sb.connect.stores_with("event", event_id):  # a connected account's
            return _json(sb.connect.dispatcher.replay(owner.get("event", event_id)))
        try:
            event = sb.store.get("event", event_id)
        except StripeError as exc:
            return _json(exc.response_body(), exc.status)
        return _json(sb.dispatcher.replay(event))

    @app.get("/_sandbox/deliveries")
    def control_deliveries() -> Response:
        rows = sb.dispatcher.deliveries() + sb.connect.dispatcher.deliveries()
        rows.sort(key=lambda r: r["at"])
        if request.args.get("event_id"):
            rows = [r for r in rows if r["event_id"] == request.args["event_id"]]
        return _json({"data": rows})

    @app.post("/_sandbox/payment_intents/<pi_id>/authenticate")
    def control_authenticate(pi_id: str) -> Response:
        data = request.get_json(silent=True) or {}
        owner = next(iter(sb.connect.stores_with("payment_intent", pi_id)), sb.store)
        try:
            result = owner.authenticate(pi_id, str(data.get("result")), data.get("client_secret"))
        except StripeError as exc:
            return _json(exc.response_body(), exc.status)
        return _json(result)

    return app


class _Scoped:
    """Stands for the store of the request's account wherever the routes say `store`."""

    def __init__(self, sb: Sandbox) -> None:
        self._sb = sb

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sb.scoped(), name)


def _list(rows: list[dict[str, Any]], has_more: bool, url: str) -> dict[str, Any]:
    return {"object": "list", "data": rows, "has_more": has_more, "url": url}


def _static(name: str) -> Response:
    response = send_from_directory(STATIC, name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    if name.endswith(".html"):
        # The double's own frames run under a strict CSP; any site may embed them.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors *"
        )
    return response
