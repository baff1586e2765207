"""Flask CLI commands: schema, demo data, merchants."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from migrations import create_schema
from models import db
from services.connect.demo import demo_account
from services.demo import demo_merchant, seed_demo
from services.invoices.links import pay_url
from services.merchants.keys import create_merchant


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the schema and apply pending migrations (safe to run twice)."""
    with db.connection_context():
        ran = create_schema()
    click.echo(f"Database ready ({ran} migration(s) applied).")


@click.command("seed-demo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option("--stripe-account", help="Connect: link the demo merchant to this acct_...")
@with_appcontext
def seed_demo_command(as_json: bool, stripe_account: str | None) -> None:
    """Add a demo booking with an open invoice and print its pay link."""
    config = current_app.config
    with db.connection_context():
        create_schema()
        merchant, api_key = demo_merchant()  # the key when this run created the merchant
        account = None
        if config.get("STRIPE_CONNECT") or stripe_account:
            # Linked when one is given or the sandbox (STRIPE_API_BASE) answers.
            account = demo_account(current_app.extensions["stripe_client"], merchant,
                                   stripe_account, config.get("STRIPE_API_BASE"))
        seeded = seed_demo()
        api_key = api_key or seeded["api_key"]
    invoice = seeded["invoice"]
    url = pay_url(invoice, current_app.config["SECRET_KEY"], current_app.config["PAYLINK_BASE_URL"])
    if as_json:
        out = {
            "pay_url": url,
            "invoice_uuid": invoice.uuid,
            "booking_uuid": seeded["booking"].uuid,
            "merchant_uuid": seeded["merchant"].uuid,
        }
        if api_key:
            out["merchant_api_key"] = api_key
        if account:
            out["stripe_account"] = account
        click.echo(json.dumps(out))
        return
    if api_key:
        click.echo(f"Demo merchant created. API key (shown once): {api_key}")
    if account:
        click.echo(f"Paid into the connected Stripe account {account}.")
    click.echo(f"Booking {seeded['booking'].uuid}, confirmation code "
               f"{seeded['booking'].confirmation_code}")
    click.echo(url)


@click.command("create-merchant")
@click.argument("name")
@click.option("--currency", default="usd", show_default=True)
@click.option("--locale", default="en_US", show_default=True)
@with_appcontext
def create_merchant_command(name: str, currency: str, locale: str) -> None:
    """Create a merchant and print its API key once."""
    with db.connection_context():
        create_schema()
        merchant, api_key = create_merchant(name, currency=currency, locale=locale)
    click.echo(f"Merchant {merchant.uuid} created.")
    click.echo(f"API key (shown once, store it now): {api_key}")


COMMANDS = [init_db_command, seed_demo_command, create_merchant_command]
