"""Stripe Connect commands: link a merchant to an existing account, set its platform fee."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from migrations import create_schema
from models import Merchant, db
from services.common.errors import ServiceError
from services.connect import accounts, fees


def _merchant(merchant_uuid: str) -> Merchant:
    merchant = Merchant.get_or_none(Merchant.uuid == merchant_uuid)
    if merchant is None:
        raise click.ClickException(f"No merchant {merchant_uuid}.")
    return merchant


@click.command("connect-merchant")
@click.argument("merchant_uuid")
@click.option("--account", "account_id", required=True, help="The Stripe account id, acct_...")
@with_appcontext
def connect_merchant_command(merchant_uuid: str, account_id: str) -> None:
    """Link a merchant to an existing connected account (onboarded elsewhere)."""
    with db.connection_context():
        create_schema()
        merchant = _merchant(merchant_uuid)
        try:
            accounts.link_account(current_app.extensions["stripe_client"], merchant, account_id)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(json.dumps({"merchant_uuid": merchant.uuid, **accounts.status(merchant)}))


@click.command("set-platform-fee")
@click.argument("merchant_uuid")
@click.option("--percent", help='Percent of the booking part of each charge, e.g. "2.5".')
@click.option("--fixed-cents", type=int, help="Fixed cents added to each charge.")
@click.option("--clear", is_flag=True, help="Back to the default from the environment.")
@with_appcontext
def set_platform_fee_command(merchant_uuid: str, percent: str | None, fixed_cents: int | None,
                             clear: bool) -> None:
    """Override the platform fee for one merchant: percent and fixed cents (a part not
    given is 0); --clear goes back to the environment's default."""
    if not clear and percent is None and fixed_cents is None:
        raise click.UsageError("Give --percent, --fixed-cents or --clear.")
    with db.connection_context():
        create_schema()
        merchant = _merchant(merchant_uuid)
        try:
            if clear:
                rule = fees.set_override(merchant, None, None)
            else:
                rule = fees.set_override(merchant, percent or "0", fixed_cents or 0)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(json.dumps({"merchant_uuid": merchant.uuid, "platformFee": rule.as_json()}))


COMMANDS = [connect_merchant_command, set_platform_fee_command]
