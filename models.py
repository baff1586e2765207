"""peewee models, the database proxy and schema creation.

Money is integer minor units (cents) everywhere; timestamps are naive UTC datetimes.
The proxy is bound at app creation (``bind_database``) so tests and CLI can point it
at SQLite or PostgreSQL without touching the models.
"""

from __future__ import annotations

import json
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from peewee import (
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    SqliteDatabase,
    TextField,
    TimeField,
)
from playhouse.db_url import connect, register_database
from playhouse.pool import PooledPostgresqlDatabase

from pipeline import PipelinedTransactions

db = DatabaseProxy()


def utcnow() -> datetime:
    """Now in UTC, naive (what every DateTimeField stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_uuid() -> str:
    return str(uuid.uuid4())


class JSONField(TextField):
    """JSON stored as text: portable across SQLite and PostgreSQL."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"))

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Merchant(BaseModel):
    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    name = CharField(max_length=200)
    # sha256 of the API key; keys are 32 random bytes, so a fast hash is enough.
    api_key_hash = CharField(max_length=64, unique=True)
    api_key_prefix = CharField(max_length=16)
    currency = CharField(max_length=3, default="usd")
    locale = CharField(max_length=16, default="en_US")
    timezone = CharField(max_length=64, default="UTC")
    allowed_embed_origins = JSONField(default=list)
    stripe_account = CharField(max_length=64, null=True)
    brand_color = CharField(max_length=7, null=True)
    logo_url = CharField(max_length=500, null=True)
    support_email = CharField(max_length=254, null=True)
    webhook_url = CharField(max_length=500, null=True)
    webhook_secret = CharField(max_length=100, null=True)
    calendar_sync = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class Customer(BaseModel):
    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="customers", on_delete="CASCADE")
    name = CharField(max_length=200)
    email = CharField(max_length=254, null=True)
    phone = CharField(max_length=32, null=True)
    created_at = DateTimeField(default=utcnow)


class Agreement(BaseModel):
    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="agreements", on_delete="CASCADE")
    title = CharField(max_length=200)
    body = TextField()
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)


class Slot(BaseModel):
    """A bookable time slot; held bookings count against its capacity."""

    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="slots", on_delete="CASCADE")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    capacity = IntegerField()
    created_at = DateTimeField(default=utcnow)


BOOKING_STATUSES = ("draft", "pending", "confirmed", "canceled")


class Booking(BaseModel):
    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="bookings", on_delete="CASCADE")
    customer = ForeignKeyField(Customer, backref="bookings", on_delete="CASCADE")
    external_ref = CharField(max_length=100, null=True)
    activity = CharField(max_length=200)
    date = DateField()
    start_time = TimeField(null=True)
    end_time = TimeField(null=True)
    end_date = DateField(null=True)
    participants = IntegerField(default=1)
    status = CharField(max_length=16, default="draft", index=True)
    confirmation_code = CharField(max_length=16, unique=True)
    # {"line_items": [...], "fees": [...], "discounts": [...], "taxes": [...]}, each entry
    # {"name", "quantity", "unit_cents", "amount_cents"}; totals are derived and stored.
    cart = JSONField(default=dict)
    total_cents = IntegerField()
    balance_cents = IntegerField()
    slot = ForeignKeyField(Slot, backref="bookings", null=True, on_delete="SET NULL")
    expires_at = DateTimeField(null=True, index=True)
    canceled_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "external_ref"), True),)


class BookingAgreement(BaseModel):
    """The agreements a booking requires before it can be paid."""

    booking = ForeignKeyField(Booking, backref="required_agreements", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, on_delete="CASCADE")

    class Meta:
        indexes = ((("booking", "agreement"), True),)


INVOICE_STATUSES = ("open", "paid", "closed")


class Invoice(BaseModel):
    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="invoices", on_delete="CASCADE")
    booking = ForeignKeyField(Booking, backref="invoices", on_delete="CASCADE")
    # Random nonce inside the signed pay-link token; rotating it kills the old link.
    token = CharField(max_length=64, unique=True)
    amount_cents = IntegerField()
    amount_paid_cents = IntegerField(default=0)
    currency = CharField(max_length=3)
    status = CharField(max_length=16, default="open", index=True)
    confirm_on_pay = BooleanField(default=False)
    send_to_email_override = CharField(max_length=254, null=True)
    send_type = CharField(max_length=8, default="email")
    memo = TextField(null=True)
    allow_partial = BooleanField(default=False)
    min_partial_cents = IntegerField(null=True)
    allow_tip = BooleanField(default=False)
    sent_at = DateTimeField(null=True)
    viewed_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    deleted_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True, index=True)
    pending_intent_id = CharField(max_length=64, null=True)
    pending_since = DateTimeField(null=True)
    # The PaymentIntent create call of the pending attempt, kept so that it can be replayed
    # with the same idempotency key when its outcome is unknown (timeout, crash).
    pending_request = JSONField(null=True)
    failed_attempts = IntegerField(default=0)
    last_attempt_at = DateTimeField(null=True)
    last_attempt_code = CharField(max_length=64, null=True)
    last_attempt_message = TextField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)

    @property
    def due_cents(self) -> int:
        """What is still owed on this invoice (partial payments lower it)."""
        return max(self.amount_cents - self.amount_paid_cents, 0)


class CustomerPayment(BaseModel):
    """One per succeeded PaymentIntent, however it arrived (browser, return URL, webhook)."""

    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    booking = ForeignKeyField(Booking, backref="payments", on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, backref="payments", null=True, on_delete="SET NULL")
    amount_cents = IntegerField()
    tip_cents = IntegerField(default=0)
    currency = CharField(max_length=3)
    stripe_payment_intent_id = CharField(max_length=64, unique=True)
    stripe_charge_id = CharField(max_length=64, null=True)
    confirmation_number = CharField(max_length=32, unique=True)
    card_brand = CharField(max_length=32, null=True)
    card_last4 = CharField(max_length=4, null=True)
    refunded_cents = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)


class Refund(BaseModel):
    payment = ForeignKeyField(CustomerPayment, backref="refunds", on_delete="CASCADE")
    stripe_refund_id = CharField(max_length=64, unique=True)
    amount_cents = IntegerField()
    created_at = DateTimeField(default=utcnow)


class AgreementAcceptance(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="acceptances", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, on_delete="CASCADE")
    version = IntegerField()
    accepted_at = DateTimeField(default=utcnow)
    ip = CharField(max_length=64, null=True)
    user_agent = CharField(max_length=500, null=True)

    class Meta:
        indexes = ((("invoice", "agreement", "version"), True),)


class OutboxMessage(BaseModel):
    """A message to deliver, written in the same transaction as the change causing it."""

    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, null=True, on_delete="CASCADE")
    kind = CharField(max_length=32)  # email, sms, calendar_sync, merchant_webhook
    # Makes enqueueing idempotent: one message per cause, however often it is retried.
    dedupe_key = CharField(max_length=200, unique=True)
    payload = JSONField()
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow, index=True)
    last_error = TextField(null=True)
    delivered_at = DateTimeField(null=True, index=True)
    created_at = DateTimeField(default=utcnow)


class StripeEvent(BaseModel):
    """Webhook de-duplication: an event id is processed once."""

    event_id = CharField(max_length=64, unique=True)
    type = CharField(max_length=64)
    processed_at = DateTimeField(default=utcnow)


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    applied_at = DateTimeField(default=utcnow)


class IdempotencyKey(BaseModel):
    """A merchant API POST seen with an Idempotency-Key: replays answer the stored response."""

    merchant = ForeignKeyField(Merchant, on_delete="CASCADE")
    key = CharField(max_length=255)
    # sha256 of method, path and body: the same key with another request is refused.
    fingerprint = CharField(max_length=64)
    status_code = IntegerField(null=True)  # null while the first request is still running
    response = JSONField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "key"), True),)


class MerchantUser(BaseModel):
    """A person signing in to the merchant console (issue 8); passwords hashed with argon2."""

    merchant = ForeignKeyField(Merchant, backref="users", on_delete="CASCADE")
    email = CharField(max_length=254, unique=True)
    password_hash = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)


MODELS: list[type[BaseModel]] = [
    Merchant,
    Customer,
    Agreement,
    Slot,
    Booking,
    BookingAgreement,
    Invoice,
    CustomerPayment,
    Refund,
    AgreementAcceptance,
    OutboxMessage,
    StripeEvent,
    SchemaVersion,
    IdempotencyKey,
    MerchantUser,
]


class BusyPoolPostgresqlDatabase(PipelinedTransactions, PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool, pinging a connection on check-out only if it sat idle,
    with BEGIN and result-less writes sent along with other statements (pipeline.py).

    peewee sends ``SELECT 1`` on every check-out: a round trip per request. A connection
    handed back less than PING_AFTER seconds ago was working then; if the server went
    away since, its first query fails with OperationalError (a 503, see blueprints.errors)
    and the pool drops it on check-in, as it would after a failed ping.
    """

    PING_AFTER = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checked_in: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        self._checked_in[conn] = time.monotonic()
        super()._close(conn, close_conn)

    def _is_closed(self, conn: Any) -> bool:
        checked_in = self._checked_in.pop(conn, None)
        if conn.closed:
            return True
        if checked_in is not None and time.monotonic() - checked_in < self.PING_AFTER:
            return False
        return super()._is_closed(conn)


register_database(BusyPoolPostgresqlDatabase, "postgres+pool", "postgresql+pool")


def make_database(url: str) -> Any:
    """A peewee database for a URL (sqlite:///path or postgresql://...), pooled.

    Each request still opens its connection and closes it on teardown, but "close" hands it
    back to the pool: a new PostgreSQL connection costs milliseconds, a pooled one nothing.
    An explicit "+pool" or other playhouse scheme in the URL is taken as given.
    """
    scheme, sep, rest = url.partition("://")
    if scheme in ("sqlite", "postgres", "postgresql"):
        url = f"{scheme}+pool{sep}{rest}"
    options: dict[str, Any] = {"max_connections": 32, "stale_timeout": 300}
    if scheme.startswith("sqlite"):
        # WAL lets readers run beside the one writer; busy_timeout waits instead of failing;
        # synchronous=NORMAL is durable across app crashes (WAL), and Stripe keeps the
        # record of any payment a power cut could lose (webhooks bring it back).
        options["pragmas"] = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000,
                              "synchronous": 1}
        # A pooled connection serves one thread at a time, but not always the same one.
        options["check_same_thread"] = False
    return connect(url, **options)


def bind_database(url: str) -> None:
    current = db.obj
    if current is not None and not current.is_closed():
        current.close()
    db.initialize(make_database(url))


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


@contextmanager
def locked_transaction() -> Iterator[None]:
    """A write transaction that serialises with other writers.

    SQLite has no row locks, so take the write lock up front (BEGIN IMMEDIATE);
    PostgreSQL callers add ``.for_update()`` to their select (see ``for_update``).
    """
    if is_sqlite():
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield


def for_update(query: Any) -> Any:
    """Lock the selected rows on databases that support it (SQLite is locked whole)."""
    return query if is_sqlite() else query.for_update()


def create_schema() -> int:
    """Create missing tables and apply pending migrations. Safe to run twice."""
    from migrations import apply_migrations

    with db.atomic():
        db.create_tables(MODELS, safe=True)
    return apply_migrations()
