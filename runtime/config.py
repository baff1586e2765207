"""Configuration from environment variables, with safe defaults for development.

Development defaults point at the offline Stripe sandbox keys and a SQLite file;
production (PAYLINK_ENV=production) refuses to start without real secrets.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import itertools
import os
from collections.abc import Mapping
from typing import Any

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 (refused in production)

# Names read from the environment, with their development defaults.
DEFAULTS: dict[str, Any] = {
    "PAYLINK_ENV": "development",
    "SECRET_KEY": DEV_SECRET_KEY,
    "DATABASE_URL": None,  # None → sqlite file in the instance folder
    "PAYLINK_BASE_URL": "http://localhost:5000",
    "STRIPE_SECRET_KEY": "sk_test_sandbox",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_sandbox",
    "STRIPE_WEBHOOK_SECRET": "whsec_sandbox",
    "STRIPE_API_BASE": None,  # None → api.stripe.com
    "STRIPE_JS_URL": "https://js.stripe.com/v3/",
    "STRIPE_TIMEOUT_SECONDS": 20,
    "STRIPE_USE_SDK_NEXT_ACTIONS": True,  # False: 3-D Secure by redirect to the bank's page
    # Stripe Connect (issue 15): each merchant is paid into its own connected account.
    "STRIPE_CONNECT": False,
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_sandbox_connect",  # the Connect endpoint's
    # The platform's fee on each charge by default: a percent (decimals allowed, "2.5") of
    # the booking part plus fixed cents; `flask set-platform-fee` overrides per merchant.
    "PAYLINK_PLATFORM_FEE_PERCENT": "0",
    "PAYLINK_PLATFORM_FEE_FIXED_CENTS": 0,
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "paylink <no-reply@paylink.localhost>",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on 429s
    "RATELIMIT_PAY_PER_INVOICE": "20 per minute;100 per hour",
    "RATELIMIT_PAY_PER_IP": "30 per minute;300 per hour",
    "RATELIMIT_LOOKUP_PER_IP": "120 per minute",
    "RATELIMIT_MERCHANT_API_PER_KEY": "600 per minute",
    "TRUSTED_PROXY_COUNT": 0,
    "LOG_LEVEL": "INFO",
    # Request bodies (413 beyond): the merchant API and webhooks; the pay routes and the
    # console's forms, whose bodies are a few fields.
    "PAYLINK_MAX_BODY_BYTES": 1024 * 1024,
    "PAYLINK_MAX_SMALL_BODY_BYTES": 64 * 1024,
    # No longer read: pages are rendered on every view. Kept so old settings still load.
    "PAGE_CACHE_SIZE": 256,
    # Notifications and the outbox worker (issue 5; README "Merchant API").
    "SMS_BACKEND": "console",  # console | http | memory
    "SMS_HTTP_URL": None,
    "SMS_HTTP_TOKEN": None,
    "SMS_FROM": None,
    "CALENDAR_SYNC_URL": None,  # None → calendar events are logged
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    # Merchant webhooks to http and private or loopback hosts (development, tests): off by
    # default everywhere, so a production without it set never posts into its own network.
    "PAYLINK_ALLOW_PRIVATE_WEBHOOKS": False,
    "OUTBOX_POLL_SECONDS": 5,
    "OUTBOX_RETRY_SECONDS": 30,
    "OUTBOX_MAX_BACKOFF_SECONDS": 3600,
}

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY")


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    return raw


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    config = {}
    for name, default in DEFAULTS.items():
        raw = env.get(name)
        config[name] = default if raw in (None, "") else _coerce(default, raw)
    return config


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse to run in production with development secrets or missing keys."""
    if config.get("PAYLINK_ENV") != "production":
        return
    missing = [
        name
        for name in REQUIRED_IN_PRODUCTION
        if not config.get(name) or config.get(name) == DEFAULTS[name]
    ]
    if config.get("STRIPE_CONNECT") and config.get(
            "STRIPE_CONNECT_WEBHOOK_SECRET") == DEFAULTS["STRIPE_CONNECT_WEBHOOK_SECRET"]:
        missing.append("STRIPE_CONNECT_WEBHOOK_SECRET")
    if missing:
        raise ConfigError(
            "PAYLINK_ENV=production needs these environment variables set to real values: "
            + ", ".join(missing)
        )


# ---- supported library versions (issue 13) ---------------------------------------------------
# The versions the suite runs on; pyproject.toml declares the same (a test keeps them equal).
# peewee 3 has a different transaction API: with it BEGIN is never sent and SELECT ... FOR
# UPDATE locks nothing, so a payment race could charge twice. A driver is checked only when
# it is installed (SQLite needs none).
SUPPORTED_VERSIONS: dict[str, str] = {"peewee": ">=4.5,<5", "psycopg": ">=3.2,<4"}


class UnsupportedDependency(RuntimeError):
    """An installed library's version is outside the range paylink is tested on."""


def _version_tuple(version: str) -> tuple[int, ...]:
    """"4.5.3" → (4, 5, 3); a part's trailing letters (a pre-release) are ignored."""
    parts = []
    for part in version.split("."):
        digits = "".join(itertools.takewhile(str.isdigit, part))
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def version_supported(version: str, spec: str) -> bool:
    """Whether ``version`` meets ``spec``, clauses like ">=4.5,<5" (>=, <, == only)."""
    have = _version_tuple(version)
    for clause in spec.split(","):
        clause = clause.strip()
        for op, test in ((">=", lambda a, b: a >= b), ("==", lambda a, b: a == b),
                         ("<", lambda a, b: a < b)):
            if clause.startswith(op):
                bound = _version_tuple(clause[len(op):])
                if not test(have[:len(bound)] if op == "==" else have, bound):
                    return False
                break
        else:
            raise ValueError(f"unsupported version clause {clause!r}")
    return True


def check_dependencies(supported: Mapping[str, str] = SUPPORTED_VERSIONS) -> None:
    """Refuse to start on a library version the suite never ran on (a clear error at start-up,
    not wrong locking under load)."""
    for module_name, spec in supported.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        version = getattr(module, "__version__", "") or importlib.metadata.version(module_name)
        if not version_supported(version, spec):
            raise UnsupportedDependency(
                f"{module_name} {version} is installed, but paylink supports only "
                f"{module_name}{spec}: install a supported version "
                f'(pip install "{module_name}{spec}")'
            )
