"""Console CLI: `flask create-user` and `flask seed-console-user` (the demo's sign-in)."""

from __future__ import annotations

import secrets

import click
from flask.cli import with_appcontext

from migrations import create_schema
from models import Merchant, MerchantUser, db
from services.common.errors import ServiceError
from services.merchants.console_auth import create_user, normalize_email, set_password

DEMO_MERCHANT = "Blue Lagoon Kayak Tours"  # services.demo's merchant, made by seed-demo
DEMO_EMAIL = "demo@paylink.localhost"


@click.command("create-user")
@click.argument("email")
@click.option("--merchant-uuid", required=True, help="The merchant this user works for.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given (not echoed).")
@with_appcontext
def create_user_command(email: str, merchant_uuid: str, password: str) -> None:
    """Create a merchant console user (email + password)."""
    with db.connection_context():
        create_schema()
        merchant = Merchant.get_or_none(Merchant.uuid == merchant_uuid)
        if merchant is None:
            raise click.ClickException(f"No merchant {merchant_uuid}.")
        try:
            user = create_user(merchant, email, password)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Console user {user.email} created for {merchant.name}.")


@click.command("seed-console-user")
@click.option("--email", default=DEMO_EMAIL, show_default=True)
@click.option("--password", default=None, help="Default: a new random password, printed.")
@with_appcontext
def seed_console_user_command(email: str, password: str | None) -> None:
    """Sign-in for the demo merchant (run seed-demo first); prints the password.

    Run again to set a new password: the stored hash cannot be shown.
    """
    password = password or secrets.token_urlsafe(12)
    with db.connection_context():
        create_schema()
        merchant = Merchant.get_or_none(Merchant.name == DEMO_MERCHANT)
        if merchant is None:
            raise click.ClickException(
                f"No merchant {DEMO_MERCHANT!r} yet: run `flask --app app seed-demo` first.")
        try:
            user = MerchantUser.get_or_none(MerchantUser.email == normalize_email(email))
            if user is None:
                user = create_user(merchant, email, password)
            elif user.merchant_id != merchant.id:
                raise click.ClickException(f"{email} belongs to another merchant.")
            else:
                set_password(user, password)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Console sign-in for {merchant.name}: /console/login")
    click.echo(f"  email:    {user.email}")
    click.echo(f"  password: {password}")


COMMANDS = [create_user_command, seed_console_user_command]
