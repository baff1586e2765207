"""The console's Stripe section: Connect with Stripe (Account Link onboarding), the refresh
URL that makes a fresh link, and the return URL that reads the account back from Stripe."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, url_for
from flask.typing import ResponseReturnValue

from services.common.errors import ServiceError
from services.connect.accounts import account_for, refresh, refusal
from services.connect.onboarding import onboarding_url
from services.gateway import StripeError


def register(bp: Blueprint) -> None:
    """Adds the routes to the console blueprint (its sign-in guard and CSRF apply)."""

    def _to_stripe() -> ResponseReturnValue:
        try:
            url = onboarding_url(current_app.extensions["stripe_client"], g.console_merchant)
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("console.settings"))
        return redirect(url, 303)

    @bp.post("/settings/stripe/connect")
    def stripe_connect() -> ResponseReturnValue:
        """Connect with Stripe / Continue onboarding: off to Stripe's hosted onboarding."""
        return _to_stripe()

    @bp.get("/settings/stripe/refresh")
    def stripe_refresh() -> ResponseReturnValue:
        """Stripe sends the merchant here when a link expired or was used: a fresh one."""
        if account_for(g.console_merchant) is None:
            return redirect(url_for("console.settings"))
        return _to_stripe()

    @bp.get("/settings/stripe/return")
    def stripe_return() -> ResponseReturnValue:
        """Back from onboarding: what Stripe says now."""
        merchant = g.console_merchant
        try:
            refresh(current_app.extensions["stripe_client"], merchant)
        except StripeError:  # unreachable or refused: the stored status stands
            flash("Stripe could not be reached; the status below may be out of date.", "error")
        message = refusal(merchant)
        if merchant.stripe_charges_enabled:
            flash("Your Stripe account is connected and can take payments.", "ok")
        elif message:
            flash(message, "error")
        return redirect(url_for("console.settings"))
