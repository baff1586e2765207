"""Load and fault tests: two gunicorn instances on one PostgreSQL (rate limits in Redis), one
Stripe sandbox process; nothing is lost, nothing is charged twice, the customer can finish.

Slow (`-m slow`): every server is a real subprocess on a free port. PostgreSQL is a database of
our own (`paylink_load_<pid>`, dropped afterwards), never the unit tests' `test`. The
PostgreSQL restart test puts the server back up in a `finally`, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import secrets
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from bench import seed, servers
from models import Booking, CustomerPayment, Invoice, OutboxMessage, bind_database, db
from tests.conftest import with_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/9")
WEBHOOK_SECRET = "whsec_sandbox"
STRIPE_TIMEOUT = 2  # STRIPE_TIMEOUT_SECONDS of the apps under test


def _require(problem: str | None, what: str) -> None:
    if problem:
        message = f"{what} is unreachable ({problem})"
        if os.environ.get("PAYLINK_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and PAYLINK_REQUIRE_POSTGRES=1 requires it.", pytrace=False)
        pytest.skip(message)


def _redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class Cluster:
    db_url: str
    sandbox: servers.SandboxProcess
    apps: list[servers.Gunicorn]
    env: dict[str, str]
    logs: Path
    extra: list[servers.Process] = field(default_factory=list)

    @property
    def a(self) -> servers.Gunicorn:
        return self.apps[0]

    @property
    def b(self) -> servers.Gunicorn:
        return self.apps[1]

    def sdk(self):
        import stripe

        return stripe.StripeClient("sk_test_bench", base_addresses={"api": self.sandbox.url},
                                   max_network_retries=0)

    def reset_sandbox(self, **config: Any) -> None:
        requests.post(self.sandbox.url + "/_sandbox/reset", timeout=10).raise_for_status()
        self.sandbox.configure(**{
            "latency_ms": 0, "fail_mode": None, "webhooks_enabled": True,
            "webhook_url": self.a.url + "/webhooks/stripe", "webhook_secret": WEBHOOK_SECRET,
            "webhook_retry_base_ms": 200, "webhook_max_attempts": 5, **config,
        })

    def restart_sandbox(self) -> None:
        port = self.sandbox.port
        self.sandbox.stop()
        self.sandbox = servers.SandboxProcess(self.logs / "sandbox.log", port=port)
        self.reset_sandbox()


@contextlib.contextmanager
def _running_cluster(tmp_path_factory, db_name: str,
                     pgbouncer_url: str | None = None) -> Iterator[Cluster]:
    """Two instances and a sandbox on a database of our own; with ``pgbouncer_url`` the
    instances (and `flask init-db`) reach it through PgBouncer, the test's own checks directly."""
    _require(servers.postgres_available(), "PostgreSQL")
    _require(_redis_problem(), f"Redis at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    logs = tmp_path_factory.mktemp("load")
    db_url = servers.recreate_pg_database(db_name)
    app_url = with_database(pgbouncer_url, db_name) if pgbouncer_url else db_url
    try:
        seed.reset(app_url)
    except BaseException:  # e.g. an app that cannot reach it: the database goes anyway
        servers.drop_pg_database(db_name)
        raise
    sandbox = servers.SandboxProcess(logs / "sandbox.log")
    env = servers.app_env(
        app_url, sandbox.url, RATELIMIT_STORAGE_URI=REDIS_URL,
        # One test client is one IP: per-IP limits raised, per-invoice limits as configured.
        RATELIMIT_PAY_PER_IP="10000 per minute", RATELIMIT_LOOKUP_PER_IP="100000 per minute",
        STRIPE_TIMEOUT_SECONDS=STRIPE_TIMEOUT,
    )
    apps: list[servers.Gunicorn] = []
    cluster = Cluster(db_url, sandbox, apps, env, logs)
    try:
        for name in ("a", "b"):
            apps.append(servers.Gunicorn("wsgi:app", env, logs / f"app-{name}.log",
                                         workers=2, threads=4))
        cluster.reset_sandbox()
        yield cluster
    finally:
        for process in [*apps, *cluster.extra, cluster.sandbox]:
            process.stop()
        bind_database("sqlite://")
        with contextlib.suppress(Exception):
            servers.drop_pg_database(db_name)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    # A database per run: two suites running at once on one server must not drop each
    # other's (the PostgreSQL restart test still interrupts everyone for a second).
    with _running_cluster(tmp_path_factory, f"paylink_load_{os.getpid()}") as running:
        yield running


@pytest.fixture(scope="module")
def pgbouncer_cluster(tmp_path_factory, pgbouncer_url: str) -> Iterator[Cluster]:
    """The same, both instances' DATABASE_URL through PgBouncer in transaction pooling mode."""
    with _running_cluster(tmp_path_factory, f"paylink_load_{os.getpid()}_pgbouncer",
                          pgbouncer_url) as running:
        yield running


@pytest.fixture
def load(request) -> Cluster:
    """The direct cluster; a test marked ``pgbouncer`` runs on the PgBouncer one too."""
    via = getattr(request, "param", "direct")
    cluster = request.getfixturevalue("pgbouncer_cluster" if via == "pgbouncer" else "cluster")
    cluster.reset_sandbox()
    bind_database(cluster.db_url)
    return cluster


# ---- helpers ------------------------------------------------------------------------------

def ctoken(sdk, payment_method: str = "pm_card_visa") -> str:
    return sdk.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": payment_method}).id


def pay_api(base: str, target: dict[str, Any], token: str, attempt: str,
            session: Any = requests, timeout: float = 60) -> requests.Response:
    return session.post(f"{base}/api/v1/invoices/{target['uuid']}/pay", timeout=timeout, json={
        "stripeConfirmationToken": token, "agreements": target["agreements"],
        "attemptKey": attempt})


def pay_page(base: str, target: dict[str, Any], token: str, attempt: str,
             session: Any = requests) -> requests.Response:
    """The browser's way: read the page's CSRF token, POST /pay/<token>/confirm."""
    page = session.get(f"{base}/pay/{target['token']}", timeout=30)
    match = re.search(r'<script type="application/json" id="pay-config"[^>]*>(.*?)</script>',
                      page.text, re.S)
    if match is None:  # no longer payable (paid by someone else): nothing to confirm
        return page
    csrf = json.loads(match.group(1))["csrfToken"]
    return session.post(f"{base}/pay/{target['token']}/confirm", timeout=60, json={
        "stripeConfirmationToken": token, "agreements": target["agreements"],
        "attemptKey": attempt, "csrfToken": csrf})


def attempt_key() -> str:
    return "t" + secrets.token_hex(8)


def sandbox_intents(sdk) -> list[Any]:
    listing = sdk.v1.payment_intents.list(params={"limit": 100})
    assert not listing.has_more, "more than 100 PaymentIntents: the check would miss some"
    return list(listing.data)


def succeeded_by_invoice(sdk) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pi in sandbox_intents(sdk):
        if pi.status == "succeeded":
            out.setdefault(pi.metadata.to_dict().get("invoice_uuid"), []).append(pi.id)
    return out


def payments_for(uuids: list[str]) -> list[CustomerPayment]:
    with db.connection_context():
        return list(CustomerPayment.select(CustomerPayment, Invoice).join(Invoice)
                    .where(Invoice.uuid.in_(uuids)))


def assert_nothing_lost(sdk, uuids: list[str], settle: float = 10.0) -> None:
    """The books: one CustomerPayment per succeeded PaymentIntent (after webhooks settle),
    each invoice charged at most once, every booking's payments = total − balance."""
    deadline = time.monotonic() + settle
    while True:
        charged = {u: ids for u, ids in succeeded_by_invoice(sdk).items() if u in uuids}
        recorded = {p.stripe_payment_intent_id for p in payments_for(uuids)}
        expected = {pi for ids in charged.values() for pi in ids}
        if recorded == expected or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert recorded == expected, "CustomerPayments ≠ succeeded PaymentIntents"
    twice = {u: ids for u, ids in charged.items() if len(ids) > 1}
    assert not twice, f"invoices charged more than once: {twice}"
    per_invoice = Counter(p.invoice.uuid for p in payments_for(uuids))
    assert max(per_invoice.values(), default=0) <= 1
    with db.connection_context():
        bookings = (Booking.select().join(Invoice, on=(Invoice.booking == Booking.id))
                    .where(Invoice.uuid.in_(uuids)))
        for booking in bookings:
            paid = sum(p.amount_cents for p in booking.payments)
            assert paid == booking.total_cents - booking.balance_cents, booking.uuid
        for invoice in Invoice.select().where(Invoice.uuid.in_(uuids)):
            assert (invoice.status == "paid") == (per_invoice[invoice.uuid] == 1), invoice.uuid


def invoice_row(uuid: str) -> Invoice:
    with db.connection_context():
        return Invoice.get(Invoice.uuid == uuid)


def assert_clear_503(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    body = response.json()
    assert body["success"] is False and body["code"] == "gateway_unavailable"
    assert "try again" in body["message"].lower()


# ---- load ---------------------------------------------------------------------------------

@pytest.mark.pgbouncer
def test_two_instances_mixed_traffic_lose_nothing(load: Cluster) -> None:
    """Page views, API reads, payments of distinct invoices through both instances and both
    endpoints, and the same invoices paid from both instances at once, for a bounded time."""
    distinct = [seed.target(3) for _ in range(30)]
    contested = [seed.target(3) for _ in range(5)]
    everything = distinct + contested
    statuses: list[tuple[str, int]] = []
    failures: list[str] = []
    lock = threading.Lock()
    local = threading.local()
    stop = threading.Event()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.sdk = load.sdk()
        return local.session

    def record(kind: str, response: requests.Response) -> requests.Response:
        with lock:
            statuses.append((kind, response.status_code))
        return response

    def guarded(fn):
        def run(*args: Any) -> None:
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - a connection failure is a lost request
                with lock:
                    failures.append(f"{fn.__name__}: {type(exc).__name__}: {exc}")
        return run

    @guarded
    def pay_distinct(i: int) -> None:
        target, app = distinct[i], load.apps[i % 2]
        s = session()
        token = ctoken(local.sdk)
        pay = pay_api if i % 3 else pay_page
        response = record("pay", pay(app.url, target, token, attempt_key(), s))
        assert response.status_code == 200 and response.json()["success"], response.text[:300]

    @guarded
    def pay_contested(i: int, app_index: int) -> None:
        target, app = contested[i], load.apps[app_index]
        s = session()
        for _ in range(8):
            response = record("contested", pay_api(app.url, target, ctoken(local.sdk),
                                                   attempt_key(), s))
            code = response.json().get("code")
            if response.status_code == 200 or code == "paid":
                return
            assert response.status_code in (409, 429), response.text[:300]
            time.sleep(random.uniform(0.05, 0.3))
        raise AssertionError(f"contested invoice {target['uuid']} never reached paid")

    @guarded
    def read_loop(n: int) -> None:
        s = session()
        while not stop.is_set():
            target, app = random.choice(everything), random.choice(load.apps)
            if random.random() < 0.5:
                r = record("page", s.get(f"{app.url}/pay/{target['token']}", timeout=30))
                assert r.status_code == 200 and "<html" in r.text.lower()
            else:
                r = record("api", s.get(f"{app.url}/api/v1/invoices/{target['uuid']}",
                                        timeout=30))
                assert r.status_code == 200 and r.json()["invoice"]["uuid"] == target["uuid"]

    readers = [threading.Thread(target=read_loop, args=(n,)) for n in range(4)]
    payers = [threading.Thread(target=pay_distinct, args=(i,)) for i in range(len(distinct))]
    payers += [threading.Thread(target=pay_contested, args=(i, side))
               for i in range(len(contested)) for side in (0, 1)]
    started = time.monotonic()
    for t in readers:
        t.start()
    random.shuffle(payers)
    for chunk in range(0, len(payers), 8):  # at most 8 payers at once, with the readers
        batch = payers[chunk:chunk + 8]
        for t in batch:
            t.start()
        for t in batch:
            t.join(120)
    time.sleep(max(0.0, 6 - (time.monotonic() - started)))  # at least 6 s of reads overall
    stop.set()
    for t in readers:
        t.join(60)

    assert not failures, failures
    kinds = Counter(kind for kind, _ in statuses)
    assert kinds["page"] > 50 and kinds["api"] > 50 and kinds["pay"] == len(distinct), kinds
    server_errors = [(k, s) for k, s in statuses if s >= 500]
    assert not server_errors, server_errors
    sdk = load.sdk()
    assert_nothing_lost(sdk, [t["uuid"] for t in everything])
    for target in everything:
        assert invoice_row(target["uuid"]).status == "paid", target["uuid"]


# ---- Stripe down, stopped or slow ----------------------------------------------------------

def test_stripe_503_then_retry_with_same_attempt_charges_once(load: Cluster) -> None:
    target, sdk = seed.target(3), load.sdk()
    token, attempt = ctoken(sdk), attempt_key()
    load.sandbox.configure(fail_mode="503")
    assert_clear_503(pay_api(load.a.url, target, token, attempt))
    page = requests.get(f"{load.b.url}/pay/{target['token']}", timeout=30)
    assert page.status_code == 200 and 'id="pay-config"' in page.text  # still payable
    load.sandbox.configure(fail_mode=None)
    retry = pay_api(load.b.url, target, token, attempt)
    assert retry.status_code == 200 and retry.json()["confirmation"]["confirmationNumber"]
    assert_nothing_lost(sdk, [target["uuid"]])
    assert len(succeeded_by_invoice(sdk)[target["uuid"]]) == 1


def test_stripe_process_stopped_then_back(load: Cluster) -> None:
    target = seed.target(3)
    attempt = attempt_key()
    port = load.sandbox.port
    load.sandbox.stop()
    try:
        assert_clear_503(pay_api(load.a.url, target, "ctoken_unreachable", attempt))
        # For all the app knows Stripe may have charged: the attempt stays pending.
        assert invoice_row(target["uuid"]).pending_intent_id == "attempt:" + attempt
    finally:
        load.sandbox = servers.SandboxProcess(load.logs / "sandbox.log", port=port)
        load.reset_sandbox()
    sdk = load.sdk()
    # The page retries the very same call: Stripe never saw it, so it is refused outright
    # and the attempt is cleared...
    again = pay_api(load.a.url, target, "ctoken_unreachable", attempt)
    assert again.status_code == 422, again.text[:300]
    assert invoice_row(target["uuid"]).pending_intent_id is None
    # ...and the customer, asked to re-enter the card, pays once.
    retry = pay_api(load.a.url, target, ctoken(sdk), attempt_key())
    assert retry.status_code == 200, retry.text[:300]
    assert_nothing_lost(sdk, [target["uuid"]])


def test_stripe_slower_than_timeout_then_retry_charges_once(load: Cluster) -> None:
    """Stripe answers after the app gave up (it did charge): a clear 503; the retry with the
    same attempt key gets the same PaymentIntent back, so there is one charge."""
    target, sdk = seed.target(3), load.sdk()
    load.reset_sandbox(webhooks_enabled=False)  # the retry, not a webhook, must finish it
    token, attempt = ctoken(sdk), attempt_key()
    latency = (STRIPE_TIMEOUT * 3 + 2) * 1000  # beyond the SDK's timeout and its retries
    load.sandbox.configure(latency_ms=latency)
    started = time.monotonic()
    first = pay_api(load.a.url, target, token, attempt)
    elapsed = time.monotonic() - started
    load.sandbox.configure(latency_ms=0)
    assert_clear_503(first)
    assert elapsed < latency / 1000 + 5
    time.sleep(max(0.0, latency / 1000 - elapsed + 1))  # the sandbox finishes the charge
    assert target["uuid"] in succeeded_by_invoice(sdk)  # Stripe did charge
    retry = pay_api(load.a.url, target, token, attempt)
    assert retry.status_code == 200, retry.text[:300]
    assert_nothing_lost(sdk, [target["uuid"]])


def test_stripe_timeout_then_reload_does_not_charge_twice(load: Cluster) -> None:
    target, sdk = seed.target(3), load.sdk()
    token = ctoken(sdk)
    latency = (STRIPE_TIMEOUT * 3 + 2) * 1000
    load.sandbox.configure(latency_ms=latency)
    started = time.monotonic()
    first = pay_api(load.a.url, target, token, attempt_key())
    load.sandbox.configure(latency_ms=0)
    assert_clear_503(first)
    # The customer reloads the page: a new ConfirmationToken and a new attempt key.
    second = pay_api(load.b.url, target, ctoken(sdk), attempt_key())
    assert second.status_code in (200, 409), second.text[:300]
    time.sleep(max(0.0, latency / 1000 - (time.monotonic() - started) + 1))
    assert_nothing_lost(sdk, [target["uuid"]])


# ---- the app dies between Stripe's success and the commit ------------------------------------

def _kill_workers_mid_payment(load: Cluster, target: dict[str, Any], sdk) -> None:
    """POST a payment to instance B, SIGKILL B's workers while the sandbox holds the answer."""
    token = ctoken(sdk)  # before the latency applies
    load.sandbox.configure(latency_ms=1500)
    outcome: dict[str, Any] = {}

    def post_with_token() -> None:
        try:
            outcome["response"] = pay_api(load.b.url, target, token, attempt_key())
        except requests.RequestException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=post_with_token)
    thread.start()
    deadline = time.monotonic() + 10
    while not invoice_row(target["uuid"]).pending_intent_id:  # committed the pending marker
        assert time.monotonic() < deadline, "the payment never started"
        time.sleep(0.02)
    time.sleep(0.3)  # the create call is now in the sandbox, which sleeps before answering
    for pid in load.b.worker_pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    thread.join(30)
    load.sandbox.configure(latency_ms=0)
    assert "error" in outcome or outcome["response"].status_code >= 500, outcome
    deadline = time.monotonic() + 10
    while target["uuid"] not in succeeded_by_invoice(sdk):  # Stripe finished the charge
        assert time.monotonic() < deadline
        time.sleep(0.1)
    servers.wait_http(load.b.url + "/healthz", timeout=30)  # gunicorn respawned the workers


def test_killed_after_stripe_success_webhook_finalises(load: Cluster) -> None:
    target, sdk = seed.target(3), load.sdk()
    load.reset_sandbox(webhooks_enabled=False)  # deliver only after the kill
    _kill_workers_mid_payment(load, target, sdk)
    assert payments_for([target["uuid"]]) == []  # the app never committed it
    [intent_id] = succeeded_by_invoice(sdk)[target["uuid"]]
    events = sdk.v1.events.list(params={"type": "payment_intent.succeeded", "limit": 100}).data
    [event] = [e for e in events if e.data.object.id == intent_id]
    delivery = requests.post(f"{load.sandbox.url}/_sandbox/events/{event.id}/replay",
                             timeout=30).json()
    assert delivery["status"] == 200, delivery
    assert_nothing_lost(sdk, [target["uuid"]], settle=0)
    assert invoice_row(target["uuid"]).status == "paid"
    # The customer, back on the page, sees the confirmation.
    page = requests.get(f"{load.a.url}/pay/{target['token']}", timeout=30)
    assert page.status_code == 200 and 'id="pay-config"' not in page.text


def test_killed_after_stripe_success_return_url_finalises(load: Cluster) -> None:
    target, sdk = seed.target(3), load.sdk()
    load.reset_sandbox(webhooks_enabled=False)
    _kill_workers_mid_payment(load, target, sdk)
    [intent_id] = succeeded_by_invoice(sdk)[target["uuid"]]
    back = requests.get(f"{load.a.url}/pay/{target['token']}/return",
                        params={"payment_intent": intent_id}, timeout=30, allow_redirects=False)
    assert back.status_code == 303, back.text[:300]
    assert_nothing_lost(sdk, [target["uuid"]], settle=0)
    assert invoice_row(target["uuid"]).status == "paid"


# ---- webhooks twice and out of order ---------------------------------------------------------

def test_webhooks_twice_and_out_of_order(load: Cluster) -> None:
    """A declined attempt, then a success, neither finalised by the app; their events arrive
    success first, then the stale failure, then the success again: one payment, still paid."""
    target, sdk = seed.target(3), load.sdk()
    load.reset_sandbox(webhooks_enabled=False)
    metadata = {"invoice_uuid": target["uuid"], "booking_uuid": target["booking_uuid"],
                "amount_cents": str(target["amount_cents"]), "tip_cents": "0"}
    import stripe

    with pytest.raises(stripe.CardError):
        sdk.v1.payment_intents.create(params={
            "amount": target["amount_cents"], "currency": "usd", "confirm": True,
            "payment_method_types": ["card"],  # no return_url: Stripe asks for one otherwise
            "confirmation_token": ctoken(sdk, "pm_card_chargeDeclined"), "metadata": metadata})
    ok = sdk.v1.payment_intents.create(params={
        "amount": target["amount_cents"], "currency": "usd", "confirm": True,
        "payment_method_types": ["card"], "confirmation_token": ctoken(sdk),
        "metadata": metadata})
    assert ok.status == "succeeded"
    events = {e.type: e.id for e in reversed(
        sdk.v1.events.list(params={"limit": 100}).data)}  # last event of each type
    order = [events["payment_intent.succeeded"], events["payment_intent.payment_failed"],
             events["payment_intent.succeeded"], events["payment_intent.payment_failed"]]
    outcomes = []
    for event_id in order:
        delivery = requests.post(f"{load.sandbox.url}/_sandbox/events/{event_id}/replay",
                                 timeout=30).json()
        assert delivery["status"] == 200, delivery
        outcomes.append(delivery)
    assert_nothing_lost(sdk, [target["uuid"]], settle=0)
    invoice = invoice_row(target["uuid"])
    assert invoice.status == "paid" and invoice.pending_intent_id is None
    # Delivered to the other instance too: still one payment.
    load.sandbox.configure(webhook_url=load.b.url + "/webhooks/stripe")
    requests.post(f"{load.sandbox.url}/_sandbox/events/{order[0]}/replay", timeout=30)
    assert len(payments_for([target["uuid"]])) == 1


# ---- SMTP down then up ------------------------------------------------------------------------

def test_outbox_smtp_down_then_up_delivers_each_message_once(load: Cluster) -> None:
    from aiosmtpd.controller import Controller

    from tests.test_outbox import Inbox

    with db.connection_context():
        OutboxMessage.update(delivered_at=OutboxMessage.created_at).where(
            OutboxMessage.delivered_at.is_null()).execute()  # earlier tests' messages: done
    sdk = load.sdk()
    targets = [seed.target(3) for _ in range(3)]
    for target in targets:
        assert pay_api(load.a.url, target, ctoken(sdk), attempt_key()).status_code == 200
    with db.connection_context():
        queued = list(OutboxMessage.select().where(OutboxMessage.delivered_at.is_null()))
    emails = [m for m in queued if m.kind == "email"]
    assert len(emails) >= len(targets)  # at least a receipt per payment
    smtp_port = servers.free_port()
    env = {**load.env, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
           "OUTBOX_RETRY_SECONDS": "0", "SMS_BACKEND": "memory"}
    flask = [str(servers.VENV_BIN / "flask"), "--app", "app", "outbox", "run", "--once"]

    def run_once() -> str:
        done = subprocess.run(flask, cwd=servers.ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    down = run_once()
    assert f"failed {len(queued)}" in down and "delivered 0" in down, down
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        time.sleep(1.1)  # past the (zero-second) backoff's next_attempt_at
        up = run_once()
        again = run_once()
    finally:
        controller.stop()
    assert f"delivered {len(queued)}" in up and "failed 0" in up, up
    assert "delivered 0" in again, again
    ids = [m["id"] for m in inbox.messages]
    assert len(ids) == len(emails) and len(set(ids)) == len(ids)
    with db.connection_context():
        assert not OutboxMessage.select().where(OutboxMessage.delivered_at.is_null()).exists()


# ---- PostgreSQL restarted under load ---------------------------------------------------------

def _pg_cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        pytest.skip("no local PostgreSQL cluster to restart (/etc/postgresql)")
    return versions[-1], "main"


def _pg_ctl(action: str, version: str, name: str) -> subprocess.CompletedProcess:
    return subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
                          capture_output=True, text=True, timeout=120, check=False)


def _finished(response: requests.Response) -> bool:
    """The customer is done: paid now, or told the invoice is already paid."""
    if response.status_code == 200:
        return bool(response.json().get("confirmation"))
    return response.status_code == 409 and response.json().get("code") == "paid"


def test_postgres_restart_under_load_then_recovers(load: Cluster) -> None:
    """Reads and payments on both instances while PostgreSQL restarts, then a window with it
    stopped: clear 503s (JSON for the API, a page for the page), never a 500; afterwards both
    instances recover and every customer who was cut off finishes with one charge."""
    version, name = _pg_cluster()
    # Stripe keeps retrying webhooks for days; give the sandbox's retries the outage's length.
    load.reset_sandbox(webhook_retry_base_ms=1000, webhook_max_attempts=6)
    sdk = load.sdk()
    targets = [seed.target(3) for _ in range(4)]
    payers = [{"target": seed.target(3), "token": ctoken(sdk), "attempt": attempt_key()}
              for _ in range(6)]
    statuses: list[tuple[str, int, str]] = []
    stop = threading.Event()
    failures: list[str] = []

    def note(kind: str, r: requests.Response) -> requests.Response:
        statuses.append((kind, r.status_code, r.headers.get("Content-Type", "") + " "
                         + r.text[:200]))
        return r

    def reader() -> None:
        s = requests.Session()
        while not stop.is_set():
            target, app = random.choice(targets), random.choice(load.apps)
            for kind, url in (("page", f"{app.url}/pay/{target['token']}"),
                              ("api", f"{app.url}/api/v1/invoices/{target['uuid']}")):
                try:
                    note(kind, s.get(url, timeout=30))
                except requests.RequestException as exc:
                    failures.append(f"{kind}: {exc}")
            time.sleep(0.01)

    def payer(i: int) -> None:
        p = payers[i]
        time.sleep(0.15 * i)  # spread across the restart
        try:
            p["first"] = note("pay", pay_api(load.apps[i % 2].url, p["target"], p["token"],
                                             p["attempt"]))
        except requests.RequestException as exc:
            failures.append(f"pay: {exc}")

    def unavailable_while_stopped() -> list[tuple[str, int, str]]:
        seen = []
        for app in load.apps:
            target = targets[0]
            for kind, url in (("page", f"{app.url}/pay/{target['token']}"),
                              ("api", f"{app.url}/api/v1/invoices/{target['uuid']}"),
                              ("health", f"{app.url}/healthz")):
                r = requests.get(url, timeout=30)
                seen.append((kind, r.status_code, r.headers.get("Content-Type", "")))
        return seen

    threads = [threading.Thread(target=reader) for _ in range(3)]
    threads += [threading.Thread(target=payer, args=(i,)) for i in range(len(payers))]
    try:
        for t in threads[:3]:
            t.start()
        time.sleep(0.5)
        for t in threads[3:]:
            t.start()
        restarted = _pg_ctl("restart", version, name)
        assert restarted.returncode == 0, restarted.stderr
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(60)
        stopped = _pg_ctl("stop", version, name)
        assert stopped.returncode == 0, stopped.stderr
        while_down = unavailable_while_stopped()
    finally:
        stop.set()
        if _pg_ctl("status", version, name).returncode != 0:
            _pg_ctl("start", version, name)
    print("statuses during the restart:", Counter((k, s) for k, s, _ in statuses),
          "first pay answers:", [p["first"].status_code for p in payers if "first" in p])
    assert not failures, failures[:5]
    assert all(status in (200, 409, 503) for _, status, _ in statuses), Counter(
        s for _, s, _ in statuses)
    for kind, status, body in statuses:
        if status == 503:
            if kind == "page":
                assert body.startswith("text/html"), body
            else:
                assert "application/json" in body and '"success":false' in body.replace(" ", "")
    assert [s for _, s, _ in while_down] == [503] * 6, while_down
    assert [c.split(";")[0] for _, _, c in while_down] == ["text/html", "application/json",
                                                            "application/json"] * 2
    # Recovered: both instances answer; every customer who was cut off finishes, once.
    deadline = time.monotonic() + 20
    while True:
        codes = [requests.get(f"{app.url}/healthz", timeout=10).status_code for app in load.apps]
        if codes == [200, 200] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert codes == [200, 200]
    for p in payers:
        if not _finished(p["first"]):  # the page's retry: the same attempt, the same token
            retry = pay_api(load.a.url, p["target"], p["token"], p["attempt"])
            if not _finished(retry) and retry.status_code == 422:  # asked for the card again
                retry = pay_api(load.a.url, p["target"], ctoken(sdk), attempt_key())
            assert _finished(retry), retry.text[:300]
    later = seed.target(3)
    for app in load.apps:
        assert requests.get(f"{app.url}/pay/{later['token']}", timeout=30).status_code == 200
    assert pay_api(load.b.url, later, ctoken(sdk), attempt_key()).status_code == 200
    paid = [p["target"]["uuid"] for p in payers] + [later["uuid"]]
    assert_nothing_lost(sdk, [t["uuid"] for t in targets] + paid, settle=20)
    for uuid in paid:
        assert invoice_row(uuid).status == "paid", uuid
