"""Shared fixtures: apps on SQLite and PostgreSQL, a live server, Playwright on Debian chromium.

PostgreSQL tests need the server at TEST_DATABASE_URL (default the local `test` database).
With PAYLINK_REQUIRE_POSTGRES=1 (CI) a missing server fails the run; otherwise they skip.

Tests marked ``@pytest.mark.pgbouncer`` run a third time through PgBouncer in transaction
pooling mode at TEST_PGBOUNCER_URL (``scripts/pgbouncer.sh start``; its ``url`` prints it):
their ``database_url`` gains a "pgbouncer" param, the load tests' ``load`` one too. With
PAYLINK_REQUIRE_PGBOUNCER=1 (CI) a missing or wrong PgBouncer fails the run; otherwise they skip.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from werkzeug.serving import make_server

from app import create_app
from migrations import create_schema
from models import MODELS, db, is_postgres

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PGBOUNCER_URL = os.environ.get("TEST_PGBOUNCER_URL", "")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}".strip()
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    problem = _postgres_reachable()
    if problem:
        message = f"PostgreSQL at {PG_URL} is unreachable ({problem})"
        if os.environ.get("PAYLINK_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and PAYLINK_REQUIRE_POSTGRES=1 requires it.", pytrace=False)
        pytest.skip(message + "; set PAYLINK_REQUIRE_POSTGRES=1 to make this an error.")
    return PG_URL


def fresh_schema() -> None:
    """Drop and recreate every table: each test starts from an empty database."""
    with db.connection_context():
        # CASCADE exists only on PostgreSQL; SQLite drops in dependency order anyway.
        db.drop_tables(MODELS, safe=True, **({"cascade": True} if is_postgres() else {}))
        create_schema()


def make_test_app(database_url: str, **overrides: Any):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "PAYLINK_BASE_URL": "http://localhost",
        # One client IP runs the whole suite; the rate-limit tests turn limits back on.
        "RATELIMIT_ENABLED": False,
        **overrides,
    }
    app = create_app(config)
    fresh_schema()
    return app


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'paylink.db'}"


def with_database(url: str, name: str) -> str:
    """The same server URL (query kept) for another database name."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def without_pooler(url: str) -> str:
    """The URL less the app's own ``pooler`` parameter, for libpq/psycopg2 directly."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "pooler"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one statement in autocommit (PgBouncer's admin console knows no BEGIN and
    only the simple protocol), by psycopg 3 or else psycopg2, whichever is installed."""
    try:
        import psycopg
    except ImportError:
        import psycopg2

        conn = psycopg2.connect(url, connect_timeout=3)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()
    with psycopg.connect(url, connect_timeout=3, autocommit=True,
                         cursor_factory=psycopg.ClientCursor) as conn:
        return conn.execute(sql).fetchall()


def _pgbouncer_problem(url: str) -> str | None:
    """None when ``url`` reaches PostgreSQL through a PgBouncer in transaction pooling mode
    with the same database as TEST_DATABASE_URL, else what is wrong."""
    if not url:
        return ("TEST_PGBOUNCER_URL is not set (scripts/pgbouncer.sh start; "
                "export TEST_PGBOUNCER_URL=$(scripts/pgbouncer.sh url))")
    parts, own = urlsplit(url), urlsplit(PG_URL)
    if parts.path != own.path:  # the suite drops and creates tables: only in its own database
        return f"TEST_PGBOUNCER_URL {url} must name TEST_DATABASE_URL's database {own.path[1:]}"
    if ("pooler", "transaction") not in parse_qsl(parts.query):
        return f"TEST_PGBOUNCER_URL {url} lacks ?pooler=transaction"
    try:
        _query(without_pooler(url), "SELECT 1")
        rows = _query(with_database(without_pooler(url), "pgbouncer"), "SHOW CONFIG")
        settings = {row[0]: row[1] for row in rows}
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        return f"PgBouncer at {url} is unreachable ({type(exc).__name__}: {exc})".strip()
    if settings.get("pool_mode") != "transaction":
        return f"PgBouncer at {url} pools in {settings.get('pool_mode')!r} mode, not transaction"
    return None


@pytest.fixture(scope="session")
def pgbouncer_url() -> str:
    """TEST_PGBOUNCER_URL: the test database through PgBouncer, ?pooler=transaction on it."""
    problem = _pgbouncer_problem(PGBOUNCER_URL)
    if problem:
        if os.environ.get("PAYLINK_REQUIRE_PGBOUNCER") == "1":
            pytest.fail(problem + "; PAYLINK_REQUIRE_PGBOUNCER=1 requires it.", pytrace=False)
        pytest.skip(problem + "; set PAYLINK_REQUIRE_PGBOUNCER=1 to make this an error.")
    return PGBOUNCER_URL


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``database_url`` on SQLite and PostgreSQL; a test marked ``pgbouncer`` once more through
    PgBouncer (its ``database_url``, or the load tests' ``load`` cluster). Unmarked load tests
    keep their one cluster and their test ids."""
    marked = metafunc.definition.get_closest_marker("pgbouncer") is not None
    uses = set(metafunc.fixturenames)
    if "database_url" in uses:
        engines = ["sqlite", "postgres", *(["pgbouncer"] if marked else [])]
        metafunc.parametrize("database_url", engines, indirect=True)
    if marked and "load" in uses:
        metafunc.parametrize("load", ["direct", "pgbouncer"], indirect=True)
    if marked and not uses & {"database_url", "load"}:
        raise pytest.UsageError(f"{metafunc.definition.nodeid} is marked pgbouncer but uses "
                                "neither database_url (any_app, any_pay_app) nor load")


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """Run the test once on SQLite and once on PostgreSQL (and through PgBouncer when it is
    marked ``pgbouncer``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paylink.db'}"
    if request.param == "pgbouncer":
        return request.getfixturevalue("pgbouncer_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app(sqlite_url):
    """An app on a fresh SQLite file (HTTP tests); use `any_app` for both engines."""
    application = make_test_app(sqlite_url)
    yield application
    db.close()


@pytest.fixture
def any_app(database_url):
    application = make_test_app(database_url)
    yield application
    db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def conn(app) -> Iterator[None]:
    """An open database connection for tests that call services directly."""
    with db.connection_context():
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app served over real HTTP by werkzeug in a background thread."""

    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.server = make_server(host, self.port, app, threaded=True)
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_server():
    """The offline Stripe, on a free port for the whole run."""
    from sandbox.testing import start_sandbox

    handle = start_sandbox()
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(sandbox_server):
    sandbox_server.reset()
    sandbox_server.configure(latency_ms=0, fail_mode=None, webhooks_enabled=False)
    return sandbox_server


def sandbox_config(handle) -> dict[str, Any]:
    return {
        "STRIPE_API_BASE": handle.url, "STRIPE_JS_URL": handle.js_url,
        "STRIPE_SECRET_KEY": "sk_test_paylink", "STRIPE_PUBLISHABLE_KEY": "pk_test_paylink",
        "STRIPE_TIMEOUT_SECONDS": 10,
    }


@pytest.fixture
def pay_app(sqlite_url, sandbox):
    """An app on SQLite whose Stripe is the sandbox."""
    application = make_test_app(sqlite_url, **sandbox_config(sandbox))
    yield application
    db.close()


@pytest.fixture
def any_pay_app(database_url, sandbox):
    """pay_app on SQLite and on PostgreSQL."""
    application = make_test_app(database_url, **sandbox_config(sandbox))
    yield application
    db.close()


@pytest.fixture
def stripe_sdk(sandbox):
    """The real stripe SDK pointed at the sandbox, as a test's own view of Stripe."""
    import stripe

    return stripe.StripeClient("sk_test_paylink", base_addresses={"api": sandbox.url},
                               max_network_retries=0)


@pytest.fixture(autouse=True)
def _clean_browser_console(request):
    """Every test driving a `page` fails on a CSP violation or a script error in it."""
    if "page" not in request.fixturenames:
        yield
        return
    from tests.browser_helpers import assert_clean_console, watch_console

    problems = watch_console(request.getfixturevalue("page"))
    yield
    assert_clean_console(problems)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium instead of a downloaded browser (no download here)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }
