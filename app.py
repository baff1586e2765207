"""The application factory: config, extensions, database, blueprints, errors, CLI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from blueprints import (
    branding,
    console,
    errors,
    health,
    input_guard,
    language,
    merchant_api,
    openapi,
    pay,
    public_api,
    ratelimits,
    security,
    webhooks,
)
from cli import COMMANDS
from models import bind_database, db
from runtime import config as config_module
from runtime.extensions import babel, csrf, limiter, mail
from runtime.logs import configure_logging
from services.gateway import make_client


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
    register_input_guard(app)
    configure_sessions(app)
    register_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_commands(app)
    return app


def register_input_guard(app: Flask) -> None:
    """Body caps and the text rule for every route, before any other request hook."""
    input_guard.register(app)


def configure_sessions(app: Flask) -> None:
    """The console's signed session cookie and its form CSRF (the only session users)."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Production always sends the cookie over HTTPS only; elsewhere an operator may opt in.
    app.config["SESSION_COOKIE_SECURE"] = (app.config.get("PAYLINK_ENV") == "production"
                                           or bool(app.config.get("SESSION_COOKIE_SECURE")))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=int(app.config.get("CONSOLE_SESSION_HOURS", 12)))
    app.config.setdefault("CONSOLE_LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # CSRFProtect would otherwise check every POST in the app; the console asks for it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # The token is bound to the session (12 h, new at sign-in); a 1 h cap would break
    # forms left open over lunch for no added safety.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)


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
    mail.init_app(app)
    csrf.init_app(app)
    language.register(app, babel)  # the customer's language on the pay pages
    app.extensions["stripe_client"] = make_client(app.config)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(health.bp)
    app.register_blueprint(pay.bp)
    app.register_blueprint(branding.bp)
    app.register_blueprint(public_api.bp)
    app.register_blueprint(merchant_api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(console.bp)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_security(app: Flask) -> None:
    """Security headers on every response; rate limits; the proxy hops to trust."""
    security.register(app)
    ratelimits.limit_merchant_api(merchant_api.bp)
    limiter.init_app(app)
    if app.config["TRUSTED_PROXY_COUNT"]:
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
