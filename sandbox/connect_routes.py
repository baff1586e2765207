"""Connect's HTTP face: /v1/accounts, /v1/account_links, /v1/application_fees, the hosted
onboarding page an Account Link opens, and /_sandbox controls for accounts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, redirect, request

from sandbox.connect import current_account, onboarding_page
from sandbox.errors import StripeError
from sandbox.objects import now
from sandbox.state import current_request, parse_positive_int


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, indent=2), status=status, mimetype="application/json")


def _page(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    # No form-action: the form's answer redirects to the platform's return_url.
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


def register(app: Flask, sb: Any, api: Callable[..., Any]) -> None:
    connect = sb.connect

    @api("/v1/accounts")
    def create_account(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return connect.create_account(params)

    @api("/v1/accounts/<acct_id>", methods=("GET",))
    def retrieve_account(params: dict[str, Any], kind: str, acct_id: str) -> dict[str, Any]:
        return connect.retrieve_account(acct_id)

    @api("/v1/account_links")
    def create_account_link(params: dict[str, Any], kind: str) -> dict[str, Any]:
        return connect.create_link(params, current_request.get().base_url)

    @api("/v1/application_fees", methods=("GET",))
    def list_application_fees(params: dict[str, Any], kind: str) -> dict[str, Any]:
        limit = min(parse_positive_int(params.get("limit", 10), "limit"), 100)
        # The platform's fees; a connected account collected none of its own.
        rows = [] if current_account.get() else connect.list_fees(limit + 1,
                                                                   params.get("charge"))
        return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit,
                "url": "/v1/application_fees"}

    @api("/v1/application_fees/<fee_id>", methods=("GET",))
    def retrieve_application_fee(params: dict[str, Any], kind: str,
                                 fee_id: str) -> dict[str, Any]:
        return connect.get_fee(fee_id)

    # ---- the hosted onboarding an Account Link's url opens ------------------------------
    @app.get("/connect/setup/<token>")
    def onboarding(token: str) -> Response:
        entry = connect.link_state(token)
        if entry is None:
            return _page("<!doctype html><title>Link not found</title><p>Unknown link.", 404)
        if entry["used"] or entry["link"]["expires_at"] < now():
            return redirect(entry["refresh_url"], 303)  # type: ignore[return-value]
        return _page(onboarding_page(token, entry))

    @app.post("/connect/setup/<token>/complete")
    def onboarding_complete(token: str) -> Response:
        target = connect.use_link(token)
        if target is None:
            return _page("<!doctype html><title>Link not found</title><p>Unknown link.", 404)
        return redirect(target, 303)  # type: ignore[return-value]

    # ---- controls (loopback dev tool, no auth) ------------------------------------------
    @app.post("/_sandbox/accounts/<acct_id>/deauthorize")
    def control_deauthorize(acct_id: str) -> Response:
        try:
            return _json(connect.deauthorize(acct_id))
        except StripeError as exc:
            return _json(exc.response_body(), exc.status)

    @app.post("/_sandbox/accounts/<acct_id>")
    def control_update_account(acct_id: str) -> Response:
        data = request.get_json(silent=True) or {}
        allowed = {"charges_enabled", "payouts_enabled", "details_submitted"}
        changes = {k: bool(v) for k, v in data.items() if k in allowed}
        try:
            if data.get("complete_onboarding"):
                return _json(connect.complete_onboarding(acct_id))
            return _json(connect.update_account(acct_id, changes))
        except StripeError as exc:
            return _json(exc.response_body(), exc.status)

    @app.post("/_sandbox/account_links/expire")
    def control_expire_links() -> Response:
        data = request.get_json(silent=True) or {}
        return _json({"expired": connect.expire_links(data.get("account"))})


