"""The application factory: config, extensions, database, blueprints, errors, CLI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module
from extensions import limiter, mail
from logging_setup import configure_logging
from models import bind_database, db


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: environment first, then the caller's overrides (tests)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    config_module.check_production(app.config)
    config_module.check_dependencies()  # issue 13: only the library versions we test
    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "paylink.db")

    configure_logging(app)
    register_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_commands(app)
    return app


def register_database(app: Flask) -> None:
    """Bind the proxy; one connection per request, closed on teardown (errors too).

    peewee opens the connection on the request's first query (autoconnect), so static
    files never touch the database and /healthz can report a failed connect itself.
    """
    bind_database(app.config["DATABASE_URL"])

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not db.is_closed():
            db.close()


def register_extensions(app: Flask) -> None:
    from services.gateway import make_client

    mail.init_app(app)
    app.extensions["stripe_client"] = make_client(app.config)


def register_blueprints(app: Flask) -> None:
    from blueprints import (
        branding,
        console,
        health,
        merchant_api,
        openapi,
        pay,
        public_api,
        webhooks,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(pay.bp)
    app.register_blueprint(branding.bp)
    app.register_blueprint(public_api.bp)
    app.register_blueprint(merchant_api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(console.bp)


def register_errorhandlers(app: Flask) -> None:
    from blueprints import errors

    errors.register(app)


def register_security(app: Flask) -> None:
    """Security headers on every response; rate limits; the proxy hops to trust."""
    from blueprints import merchant_api, ratelimits, security

    security.register(app)
    ratelimits.limit_merchant_api(merchant_api.bp)
    limiter.init_app(app)
    if app.config["TRUSTED_PROXY_COUNT"]:
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_commands(app: Flask) -> None:
    from commands import COMMANDS
    from jobs import COMMANDS as JOB_COMMANDS

    for command in COMMANDS + JOB_COMMANDS:
        app.cli.add_command(command)
