"""peewee models, the database proxy and schema creation.

Money is integer minor units (cents) everywhere; timestamps are naive UTC datetimes.
The proxy is bound at app creation (``bind_database``) so tests and CLI can point it
at SQLite or PostgreSQL without touching the models.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qsl, urlencode

from peewee import (
    AutoField,
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
from playhouse.db_url import connect

db = DatabaseProxy()
P = ParamSpec("P")
R = TypeVar("R")


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
    id = AutoField()  # what peewee adds anyway, spelled out for the type checker

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
    # Stripe Connect (issue 15): the connected account's state as Stripe last told us
    # (account.updated, onboarding return), and when the account disconnected the platform.
    stripe_charges_enabled = BooleanField(default=False)
    stripe_payouts_enabled = BooleanField(default=False)
    stripe_details_submitted = BooleanField(default=False)
    stripe_requirements = JSONField(null=True)  # Stripe's requirements.currently_due
    stripe_disconnected_at = DateTimeField(null=True)
    # The platform fee for this merchant; None: the operator's default from the environment.
    platform_fee_percent_bp = IntegerField(null=True)  # basis points: 250 = 2.5 %
    platform_fee_fixed_cents = IntegerField(null=True)
    brand_color = CharField(max_length=7, null=True)
    logo_url = CharField(max_length=500, null=True)
    support_email = CharField(max_length=254, null=True)
    webhook_url = CharField(max_length=500, null=True)
    webhook_secret = CharField(max_length=100, null=True)
    calendar_sync = BooleanField(default=False)
    # Reminder offsets in days from an invoice's due date (null: DEFAULT_REMINDERS), where
    # payment and refund notices go, and the address put on receipts and calendar files.
    reminders = JSONField(null=True)
    notification_email = CharField(max_length=254, null=True)
    address = CharField(max_length=500, null=True)
    created_at = DateTimeField(default=utcnow)


class Customer(BaseModel):
    merchant_id: int
    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="customers", on_delete="CASCADE")
    name = CharField(max_length=200)
    email = CharField(max_length=254, null=True)
    phone = CharField(max_length=32, null=True)
    # The customer's language (a tag of services.common.locales, e.g. "pt-BR"), if known.
    locale = CharField(max_length=16, null=True)
    timezone = CharField(max_length=64, null=True)  # null: the merchant's
    created_at = DateTimeField(default=utcnow)


class Agreement(BaseModel):
    merchant_id: int
    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="agreements", on_delete="CASCADE")
    title = CharField(max_length=200)
    body = TextField()
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)


class Slot(BaseModel):
    """A bookable time slot; held bookings count against its capacity."""
    merchant_id: int

    uuid = CharField(max_length=36, unique=True, default=new_uuid)
    merchant = ForeignKeyField(Merchant, backref="slots", on_delete="CASCADE")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    capacity = IntegerField()
    created_at = DateTimeField(default=utcnow)


BOOKING_STATUSES = ("draft", "pending", "confirmed", "canceled")
SEND_TYPES = ("email", "sms")  # how an invoice reaches its customer


class Booking(BaseModel):
    merchant_id: int
    customer_id: int
    slot_id: int | None
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
    booking_id: int
    agreement_id: int

    booking = ForeignKeyField(Booking, backref="required_agreements", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, on_delete="CASCADE")

    class Meta:
        indexes = ((("booking", "agreement"), True),)


INVOICE_STATUSES = ("open", "paid", "closed")


class Invoice(BaseModel):
    merchant_id: int
    booking_id: int
    # Selected alongside by the page and lock queries (services.summary, payments).
    held_seats: int
    paid_cents: int
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
    # Reminders count from it. Its index is made by m0008 only: create_tables(safe=True)
    # would otherwise try to index the column on an old table before m0008 adds it.
    due_at = DateTimeField(null=True)
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
    booking_id: int
    invoice_id: int | None

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
    # What this charge took beyond the booking's balance (a payment that finished after
    # another had paid the booking): refunded automatically, before any other refund.
    excess_cents = IntegerField(default=0)
    # Connect: the account the charge lives on (refunds go there) and the platform's fee.
    stripe_account = CharField(max_length=64, null=True)
    application_fee_cents = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)


class Refund(BaseModel):
    payment_id: int
    payment = ForeignKeyField(CustomerPayment, backref="refunds", on_delete="CASCADE")
    stripe_refund_id = CharField(max_length=64, unique=True)
    amount_cents = IntegerField()
    created_at = DateTimeField(default=utcnow)


class AgreementAcceptance(BaseModel):
    invoice_id: int
    agreement_id: int
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
    merchant_id: int | None

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


class InvoiceReminder(BaseModel):
    """One row per invoice and schedule offset: inserting it claims that reminder, so it is
    queued (or skipped) once, whatever the number of job runners."""
    invoice_id: int

    invoice = ForeignKeyField(Invoice, backref="reminders", on_delete="CASCADE")
    offset_days = IntegerField()
    status = CharField(max_length=16)  # queued, skipped (missed, or before the invoice went)
    outbox_key = CharField(max_length=200, null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("invoice", "offset_days"), True),)


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
    merchant_id: int

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
    merchant_id: int

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
    InvoiceReminder,
    StripeEvent,
    SchemaVersion,
    IdempotencyKey,
    MerchantUser,
]


def make_database(url: str) -> Any:
    """A pooled peewee database for a URL (sqlite:///path or postgresql://...).

    Each request opens its connection and closes it on teardown; "close" hands it back to
    peewee's pool. PostgreSQL goes through psycopg 3. ``?pooler=transaction`` on the URL
    says a transaction-pooling PgBouncer sits in front: psycopg's protocol-level prepared
    statements are then off (``prepare_threshold=None``), as such a pooler cannot route
    them. Nothing here keeps session state across transactions, so that is all it needs.
    """
    scheme, _, rest = url.partition("://")
    scheme = scheme.removesuffix("+pool")  # pooled either way, as before
    rest, _, raw_query = rest.partition("?")
    query = dict(parse_qsl(raw_query))
    pooler = query.pop("pooler", None)
    if pooler not in (None, "transaction", "session"):
        raise ValueError("DATABASE_URL: pooler must be 'transaction' or 'session'.")
    options: dict[str, Any] = {"max_connections": 32, "stale_timeout": 300}
    if scheme == "sqlite":
        # WAL lets readers run beside the one writer; busy_timeout waits instead of failing;
        # synchronous=NORMAL is durable across app crashes (WAL), and Stripe keeps the
        # record of any payment a power cut could lose (webhooks bring it back).
        options["pragmas"] = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000,
                              "synchronous": 1}
        # Every transaction takes the write lock up front (BEGIN IMMEDIATE): in WAL mode
        # a transaction that read before it writes cannot wait for the lock
        # (SQLITE_BUSY_SNAPSHOT) and fails at once; an IMMEDIATE one waits busy_timeout.
        options["lock_type"] = "IMMEDIATE"
        # A pooled connection serves one thread at a time, but not always the same one.
        options["check_same_thread"] = False
        return connect(f"sqlite+pool://{rest}", **options)
    if scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL: unsupported scheme {scheme!r}.")
    if pooler == "transaction":
        options["prepare_threshold"] = None
    tail = f"?{urlencode(query)}" if query else ""
    return connect(f"postgresql+pool://{rest}{tail}", prefer_psycopg3=True, **options)


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

    On SQLite every transaction is BEGIN IMMEDIATE (make_database): the write lock up
    front. PostgreSQL callers add ``for_update`` to the selects that must lock rows.
    """
    with db.atomic():
        yield


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """A service function that runs in one transaction (a savepoint inside another):
    callers, blueprints included, never open transactions themselves."""
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with db.atomic():
            return fn(*args, **kwargs)

    return run


def for_update(query: Any) -> Any:
    """Lock the selected rows on databases that support it (SQLite is locked whole)."""
    return query if is_sqlite() else query.for_update()
