"""The bench's goal baseline: paylink's pay page and public read as the same work, without paylink.

`gunicorn bench.same_work_app:app`, under the same gunicorn configuration as the app, with
``DATABASE_URL`` (the app's own URL, ``?pooler=transaction`` included) and
``SAME_WORK_SQL`` (a JSON file written by :func:`capture`). How it is built:

1. **The SQL is the app's own.** :func:`capture` (run by the bench in its own process, on
   the seeded database) asks the real app for one ``GET /pay/<token>`` and one
   ``GET /api/v1/invoices/<uuid>`` and records every statement it sends through
   ``execute_sql`` (transaction control excluded), with its bound parameters. Here, each
   request runs those statements' text, with the captured parameters and the request's
   link nonce or uuid in place of the captured one, straight through the same driver
   (psycopg 3, autocommit, psycopg's prepared statements off behind a transaction pooler,
   as models.make_database; or sqlite3 with the app's pragmas). One connection per
   thread, opened once. If the app's queries change, so does this baseline.
2. **The rows become the template's context through a thin mapping:** the column list of
   the SELECT (``"t1"."id", …``) and its ``FROM … AS "tN"`` aliases give each value its
   table and column; the first row holds the invoice, booking, customer, merchant and slot,
   each row an agreement. SQLite's text dates, times, JSON and 0/1 booleans are converted
   as peewee's fields would. The state rules (deleted, paid, closed, expired, canceled, no
   balance, slot full) are a dozen lines here, not paylink's services.
3. **The same output:** ``templates/pay/page.html`` with its base layout and summary
   include, rendered by Flask's Jinja with the context the app builds (money and dates by
   Babel in the merchant's locale, the CSRF token signed by itsdangerous, a fresh CSP
   nonce), the same security headers; the read serialises the same JSON document with
   Flask. The bench checks, before timing, that both bodies equal the app's (nonce and
   CSRF token aside).

Pure functions of their arguments are memoised as the app does (money and date strings);
the link's signature is checked on every request, as the app does. Nothing that depends on a
row is kept across requests.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import threading
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from babel.dates import format_date, format_time
from babel.numbers import format_currency, get_currency_precision
from flask import Blueprint, Flask, abort, render_template, url_for
from itsdangerous import BadSignature, TimestampSigner, URLSafeSerializer

ROOT = Path(__file__).resolve().parent.parent
SQL_ENV = "SAME_WORK_SQL"
# SQL text to skip when capturing: transaction control and connection set-up.
SKIP_PREFIXES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SET ")


# ---- capture (bench side, in the bench's process) ---------------------------------------------

def capture(database_url: str, secret_key: str, target: dict[str, Any], path: Path) -> Path:
    """Write the statements the real app runs for one page view and one read of ``target``
    (a bench.seed.target, already viewed once) to ``path``, as JSON."""
    from app import create_app
    from models import db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key,
                      "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"})
    client = app.test_client()
    nonce = URLSafeSerializer(secret_key, salt="paylink.pay-link").loads(target["token"])
    out: dict[str, Any] = {}
    for kind, url, key in (("page", f"/pay/{target['token']}", nonce),
                           ("read", f"/api/v1/invoices/{target['uuid']}", target["uuid"])):
        assert client.get(url).status_code == 200  # the first view writes viewed_at
        seen: list[tuple[str, list[Any]]] = []
        database = db.obj
        original = database.execute_sql

        def recording(sql: str, params: Any = None, *args: Any, _seen: list = seen,
                      _original: Any = original, **kwargs: Any) -> Any:
            _seen.append((sql, list(params or ())))
            return _original(sql, params, *args, **kwargs)

        database.execute_sql = recording
        try:
            assert client.get(url).status_code == 200
        finally:
            del database.execute_sql
        statements = [{"sql": sql, "params": params,
                       "key": params.index(key) if key in params else None}
                      for sql, params in seen if not sql.lstrip().upper().startswith(SKIP_PREFIXES)]
        assert statements and statements[0]["key"] is not None, (kind, statements)
        out[kind] = statements
    path.write_text(json.dumps(out))
    return path


# ---- the database -----------------------------------------------------------------------------

class Database:
    """One driver connection per thread, opened on first use and kept."""

    def __init__(self, url: str) -> None:
        scheme, _, rest = url.partition("://")
        self.sqlite = scheme == "sqlite"
        self._local = threading.local()
        if self.sqlite:
            self._path = rest.lstrip("/") and "/" + rest.lstrip("/")
            return
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        pooler = query.pop("pooler", None)
        # As models.make_database: psycopg's own prepared statements are off behind
        # a transaction pooler, else psycopg's default.
        self._options: dict[str, Any] = {"autocommit": True}
        if pooler == "transaction":
            self._options["prepare_threshold"] = None
        self._conninfo = parts._replace(scheme="postgresql", query=urlencode(query)).geturl()

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.sqlite:
                conn = sqlite3.connect(self._path, isolation_level=None,
                                       check_same_thread=False)
                for pragma in ("journal_mode = wal", "foreign_keys = 1",
                               "busy_timeout = 10000", "synchronous = 1"):
                    conn.execute("PRAGMA " + pragma)
            else:
                import psycopg

                conn = psycopg.connect(self._conninfo, **self._options)
            self._local.conn = conn
        return conn

    def run(self, statement: dict[str, Any], key: str) -> tuple[list[str], list[tuple]]:
        """The statement's rows, with ``key`` bound in place of the captured link/uuid."""
        params = list(statement["params"])
        if statement["key"] is not None:
            params[statement["key"]] = key
        cursor = self.connection().execute(statement["sql"], params)
        rows = cursor.fetchall() if cursor.description else []
        return [d[0] for d in cursor.description or ()], rows


# ---- rows to objects: the thin mapping --------------------------------------------------------

class Record(dict):
    """A row of one table; Jinja reads ``invoice.memo`` as well as ``invoice["memo"]``."""

    __getattr__ = dict.get


def _top_level_columns(sql: str) -> list[tuple[str | None, str]]:
    """(alias, column) per item of the outer SELECT list; (None, name) for `(…) AS "name"`."""
    body = sql[sql.index("SELECT") + 6:]
    items, depth, start, i = [], 0, 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch == ",":
            items.append(body[start:i])
            start = i + 1
        elif depth == 0 and body.startswith(" FROM ", i):
            items.append(body[start:i])
            break
        i += 1
    columns: list[tuple[str | None, str]] = []
    for item in items:
        plain = re.fullmatch(r'\s*"(\w+)"\."(\w+)"\s*', item)
        named = re.search(r'AS "(\w+)"\s*$', item)
        columns.append((plain.group(1), plain.group(2)) if plain
                       else (None, named.group(1) if named else item.strip()))
    return columns


@lru_cache(maxsize=16)
def _layout(sql: str) -> tuple[list[tuple[str | None, str]], dict[str, str]]:
    aliases = dict((alias, table) for table, alias in
                   re.findall(r'(?:FROM|JOIN) "(\w+)" AS "(\w+)"', sql))
    return _top_level_columns(sql), aliases


def _to_date(v: Any) -> Any:
    return date.fromisoformat(v) if isinstance(v, str) else v


def _to_time(v: Any) -> Any:
    return time.fromisoformat(v) if isinstance(v, str) else v


def _to_datetime(v: Any) -> Any:
    return datetime.fromisoformat(v) if isinstance(v, str) else v


def _to_json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str) else v


# SQLite hands these back as text or 0/1; psycopg already as Python values.
CONVERT: dict[tuple[str, str], Any] = {
    ("booking", "date"): _to_date, ("booking", "end_date"): _to_date,
    ("booking", "start_time"): _to_time, ("booking", "end_time"): _to_time,
    ("booking", "cart"): _to_json, ("merchant", "allowed_embed_origins"): _to_json,
    ("invoice", "expires_at"): _to_datetime, ("invoice", "deleted_at"): _to_datetime,
    ("invoice", "allow_partial"): bool, ("invoice", "allow_tip"): bool,
}


def records(sql: str, rows: list[tuple]) -> tuple[dict[str, Record], list[Record], dict]:
    """The first row's records by table, one agreement record per row, the scalar extras."""
    columns, aliases = _layout(sql)
    first: dict[str, Record] = {}
    extras: dict[str, Any] = {}
    agreements: list[Record] = []
    for n, row in enumerate(rows):
        tables: dict[str, Record] = {}
        for (alias, column), value in zip(columns, row, strict=True):
            if alias is None:
                extras[column] = value
                continue
            table = aliases[alias]
            convert = CONVERT.get((table, column))
            tables.setdefault(table, Record())[column] = (
                convert(value) if convert and value is not None else value)
        if n == 0:
            first = tables
        if tables.get("agreement", {}).get("id") is not None:
            agreements.append(tables["agreement"])
    return first, agreements, extras


# ---- what the page shows ----------------------------------------------------------------------

@lru_cache(maxsize=8192)
def money(cents: int, currency: str, locale: str) -> str:
    digits = get_currency_precision(currency.upper())
    return format_currency(Decimal(cents).scaleb(-digits), currency.upper(), locale=locale)


@lru_cache(maxsize=1024)
def day_text(day: date, locale: str) -> str:
    return format_date(day, "full", locale=locale)


@lru_cache(maxsize=1024)
def time_text(moment: time, locale: str) -> str:
    return format_time(moment, "short", locale=locale)


def state_of(invoice: Record, booking: Record, slot: Record | None,
             held: int) -> tuple[str, str | None]:
    """The invoice's state and the sentence the page shows for it."""
    now = datetime.now(UTC).replace(tzinfo=None)
    due = max(invoice.amount_cents - invoice.amount_paid_cents, 0)
    if invoice.deleted_at is not None:
        return "deleted", "This payment link has been deleted."
    if invoice.status == "paid":
        return "paid", "This invoice has already been paid."
    if invoice.status == "closed":
        return "closed", "This invoice has been closed and no longer takes payments."
    if invoice.expires_at is not None and invoice.expires_at <= now:
        return "expired", "This payment link has expired."
    if booking.status == "canceled":
        return "canceled", "This booking has been canceled, so there is nothing to pay."
    if booking.balance_cents <= 0 or due <= 0:
        return "no_balance", "There is no balance due on this booking."
    if (slot and slot.id is not None and booking.status == "draft"
            and booking.balance_cents >= booking.total_cents
            and held + booking.participants > slot.capacity):
        return "slot_unavailable", "Sorry, this time slot is no longer available."
    return "open", None


def summary(invoice: Record, booking: Record, merchant: Record, paid: int) -> dict[str, Any]:
    locale, currency = merchant.locale, invoice.currency
    cart = booking.cart or {}
    due = max(min(max(invoice.amount_cents - invoice.amount_paid_cents, 0),
                  booking.balance_cents), 0)
    min_partial = min(invoice.min_partial_cents or 1, due)
    digits = get_currency_precision(currency.upper())

    def lines(section: str) -> list[dict[str, Any]]:
        return [{**line, "amount": money(line["amount_cents"], currency, locale)}
                for line in cart.get(section, [])]

    multi_day = booking.end_date is not None and booking.end_date != booking.date
    return {
        "merchant": merchant.name, "activity": booking.activity,
        "date": day_text(booking.date, locale),
        "end_date": day_text(booking.end_date, locale) if multi_day else None,
        "start": time_text(booking.start_time, locale) if booking.start_time else None,
        "end": time_text(booking.end_time, locale) if booking.end_time else None,
        "participants": booking.participants,
        "line_items": lines("line_items"), "fees": lines("fees"),
        "discounts": lines("discounts"), "taxes": lines("taxes"),
        "total": money(booking.total_cents, currency, locale),
        "paid": money(paid, currency, locale), "paid_cents": paid,
        "balance": money(booking.balance_cents, currency, locale),
        "due_now": money(due, currency, locale), "due_now_cents": due,
        "due_now_plain": str(Decimal(due).scaleb(-digits)),
        "min_partial_cents": min_partial, "min_partial": money(min_partial, currency, locale),
        "minor_units": digits, "locale_tag": locale.replace("_", "-"),
        "memo": invoice.memo, "confirmation_code": booking.confirmation_code,
    }


# ---- the app ----------------------------------------------------------------------------------

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-secret-key")
STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "pk_test_bench")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_JS = _origin(STRIPE_JS_URL)
_API = _origin(os.environ.get("STRIPE_API_BASE", "https://api.stripe.com"))
_CONNECT = " ".join(dict.fromkeys([_API, _JS]))
CSP = ("default-src 'none'; script-src 'self' 'nonce-{nonce}' " + _JS + "; style-src 'self'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self' " + _CONNECT + "; "
       "frame-src " + _JS + "; form-action 'self'; base-uri 'none'; object-src 'none'; "
       "frame-ancestors 'none'")
HEADERS = [("Referrer-Policy", "same-origin"), ("X-Content-Type-Options", "nosniff"),
           ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
           ("X-Frame-Options", "DENY"), ("Cache-Control", "no-store")]

app = Flask(__name__, template_folder=str(ROOT / "templates"),
            static_folder=str(ROOT / "static"))
pay = Blueprint("pay", __name__, url_prefix="/pay")
branding = Blueprint("branding", __name__)
_serializer = URLSafeSerializer(SECRET_KEY, salt="paylink.pay-link")
_csrf = TimestampSigner(SECRET_KEY, salt="paylink.pay-csrf")
_db: Database | None = None
_statements: dict[str, list[dict[str, Any]]] = {}


def _database() -> Database:
    global _db
    if _db is None:
        _db = Database(os.environ["DATABASE_URL"])
        _statements.update(json.loads(Path(os.environ[SQL_ENV]).read_text()))
    return _db


def reset() -> None:
    """Forget the database and statements (the bench runs one engine after another)."""
    global _db
    _db = None
    _statements.clear()


def _nonce_of(token: str) -> str | None:
    try:
        return _serializer.loads(token)
    except BadSignature:
        return None


def _fetch(kind: str, key: str) -> tuple[dict[str, Record], list[Record], dict] | None:
    """The first statement's records; a later statement's rows go in extras["later"]."""
    database = _database()
    found = None
    for statement in _statements[kind]:
        _, rows = database.run(statement, key)
        if found is None:
            if not rows:
                return None
            found = records(statement["sql"], rows)
            found[2]["later"] = []
        else:
            found[2]["later"].append((statement["sql"], rows))
    return found


def _utc_text(value: Any) -> str | None:
    value = _to_datetime(value)
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def payments_of(sql: str, rows: list[tuple]) -> list[dict[str, Any]]:
    """The read's payment history from its payments-with-refunds statement, as the app."""
    columns, aliases = _layout(sql)
    payments: dict[Any, dict[str, Any]] = {}
    for row in rows:
        tables: dict[str, Record] = {}
        for (alias, column), value in zip(columns, row, strict=True):
            tables.setdefault(aliases.get(alias or "", ""), Record())[column] = value
        payment, refund = tables[aliases["t1"]], tables.get(aliases.get("t2", "")) or Record()
        entry = payments.get(payment.id)
        if entry is None:
            paid, refunded = payment.amount_cents + payment.tip_cents, payment.refunded_cents
            entry = payments[payment.id] = {
                "amountCents": payment.amount_cents, "tipCents": payment.tip_cents,
                "currency": payment.currency, "createdAt": _utc_text(payment.created_at),
                "refundedCents": refunded, "refunds": [], "cardBrand": payment.card_brand,
                "cardLast4": payment.card_last4,
                "confirmationNumber": payment.confirmation_number,
                "status": ("succeeded" if refunded == 0 else
                           "refunded" if refunded >= paid else "partially_refunded"),
            }
        if refund.id is not None:
            entry["refunds"].append({"amountCents": refund.amount_cents,
                                     "createdAt": _utc_text(refund.created_at)})
    return list(payments.values())


def _respond(body: Any, nonce: str, status: int = 200) -> Any:
    response = app.make_response((body, status))
    response.headers["Content-Security-Policy"] = CSP.format(nonce=nonce)
    response.headers.extend(HEADERS)
    return response


@pay.get("/<token>")
def page(token: str) -> Any:
    link = _nonce_of(token)
    found = _fetch("page", link) if link else None
    if found is None:
        abort(404)
    tables, agreements, extras = found
    invoice, booking, merchant = tables["invoice"], tables["booking"], tables["merchant"]
    state, message = state_of(invoice, booking, tables.get("slot"), extras.get("held_seats", 0))
    if state in ("deleted", "expired"):
        abort(404)
    nonce = secrets.token_urlsafe(16)
    context: dict[str, Any] = {
        "token": token, "invoice": invoice, "state": state, "message": message, "error": None,
        "summary": summary(invoice, booking, merchant, extras.get("paid_cents", 0)),
        "embed_origins": merchant.allowed_embed_origins or [], "csp_nonce": nonce,
        "brand_css": merchant.brand_color and url_for(
            "branding.stylesheet", merchant_uuid=merchant.uuid, v=merchant.brand_color[1:]),
        "logo_url": None,
    }
    if state == "open":
        context.update(agreements=agreements, csrf_token=_csrf.sign(link).decode(),
                       stripe_js_url=STRIPE_JS_URL, publishable_key=PUBLISHABLE_KEY,
                       stripe_account=None)
    return _respond(render_template("pay/page.html", **context), nonce)


@pay.post("/<token>/confirm")
def confirm(token: str) -> Any:
    abort(501)  # only url_for needs it


@pay.get("/<token>/status")
def status(token: str) -> Any:
    abort(501)  # only url_for needs it


@pay.get("/<token>/receipt.pdf")
def receipt_pdf(token: str) -> Any:
    """Linked from the page only (pay/_documents.html); never timed."""
    abort(404)


pay.add_url_rule("/<token>/booking.ics", "booking_ics", receipt_pdf)


@branding.get("/brand/<merchant_uuid>.css")
def stylesheet(merchant_uuid: str) -> Any:
    abort(501)  # only url_for needs it


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@app.get("/api/v1/invoices/<uuid>")
def read(uuid: str) -> Any:
    found = _fetch("read", uuid)
    if found is None:
        abort(404)
    tables, agreements, extras = found
    invoice, booking = tables["invoice"], tables["booking"]
    state, message = state_of(invoice, booking, tables.get("slot"), extras.get("held_seats", 0))
    if state in ("deleted", "expired"):
        abort(404)
    due = max(min(max(invoice.amount_cents - invoice.amount_paid_cents, 0),
                  booking.balance_cents), 0)
    body = {
        "success": True,
        "invoice": {
            "uuid": invoice.uuid, "dueNowCents": due, "currency": invoice.currency,
            "state": state, "payable": state == "open", "message": message,
            "allowPartial": invoice.allow_partial, "minPartialCents": invoice.min_partial_cents,
            "allowTip": invoice.allow_tip, "memo": invoice.memo,
        },
        "merchant": {"name": tables["merchant"].name},
        "cart": booking.cart, "totalCents": booking.total_cents,
        "balanceCents": booking.balance_cents, "activity": booking.activity,
        "date": _iso(booking.date), "start": _iso(booking.start_time),
        "end": _iso(booking.end_time), "endDate": _iso(booking.end_date),
        "agreements": [{"uuid": a.uuid, "title": a.title, "body": a.body, "version": a.version}
                       for a in agreements],
        "payments": [p for sql, rows in extras["later"] for p in payments_of(sql, rows)],
    }
    return _respond(body, secrets.token_urlsafe(16))


@app.get("/healthz")
def healthz() -> str:
    return "ok"


app.register_blueprint(pay)
app.register_blueprint(branding)
