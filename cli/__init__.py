"""The `flask --app app ...` commands: setup (init-db, seed-demo, create-merchant), jobs
(outbox, invoices expire), console users and Stripe Connect. Each module is thin: it calls
a service."""

from __future__ import annotations

import click

from cli.connect import COMMANDS as CONNECT_COMMANDS
from cli.console import COMMANDS as CONSOLE_COMMANDS
from cli.jobs import COMMANDS as JOB_COMMANDS
from cli.setup import COMMANDS as SETUP_COMMANDS

COMMANDS: list[click.Command] = [*SETUP_COMMANDS, *JOB_COMMANDS, *CONSOLE_COMMANDS,
                                 *CONNECT_COMMANDS]
