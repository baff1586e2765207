"""CLI for operators and cron: the job runner, the outbox worker and auto-expire."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from models import db
from services.common.errors import ServiceError
from services.common.fields import parse_datetime
from services.invoices.expiry import expire_due
from services.jobs.runner import run_loop, run_pass
from services.messaging.worker import run_forever, run_once


@click.group("outbox")
def outbox_group() -> None:
    """Deliver queued emails, SMS, calendar events and merchant webhooks."""


@outbox_group.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--limit", default=100, show_default=True, help="Messages per pass.")
@click.option("--poll", default=None, type=float, help="Seconds between idle passes.")
@with_appcontext
def outbox_run(once: bool, limit: int, poll: float | None) -> None:
    """Loop forever (or --once), retrying failures with exponential backoff."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        with db.connection_context():
            result = run_once(app, limit=limit)
        click.echo(f"delivered {result.delivered}, skipped {result.skipped}, "
                   f"failed {result.failed}")
        return
    run_forever(app, poll if poll is not None else app.config.get("OUTBOX_POLL_SECONDS", 5),
                limit)


@click.group("invoices")
def invoices_group() -> None:
    """Invoice maintenance jobs."""


@invoices_group.command("expire")
@with_appcontext
def invoices_expire() -> None:
    """Close invoices past expires_at; cancel unpaid bookings past their deadline."""
    with db.connection_context():
        result = expire_due()
    click.echo(f"closed {result.invoices_closed} invoice(s), "
               f"canceled {result.bookings_canceled} booking(s)")


@click.group("jobs")
def jobs_group() -> None:
    """The job runner: outbox, reminders and auto-expire together."""


def _as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value, "--now")
    except ServiceError as exc:
        raise click.BadParameter(exc.message, param_hint="--now") from None


@jobs_group.command("run")
@click.option("--once", is_flag=True, help="One pass (for cron), then exit.")
@click.option("--now", "as_of", default=None,
              help="Run as of this time, e.g. 2026-12-24T09:00:00Z (tests, QA).")
@click.option("--limit", default=100, show_default=True, help="Outbox messages per pass.")
@click.option("--poll", default=None, type=float, help="Seconds between idle passes.")
@with_appcontext
def jobs_run(once: bool, as_of: str | None, limit: int, poll: float | None) -> None:
    """Auto-expire, queue due reminders, deliver the outbox; loop (or --once)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = _as_of(as_of)
    if once:
        click.echo(run_pass(app, now, limit).summary())
        return
    run_loop(app, poll if poll is not None else app.config.get("OUTBOX_POLL_SECONDS", 5),
             lambda: now, limit)


COMMANDS = [outbox_group, invoices_group, jobs_group]
