"""Models round-trip and unique constraints hold, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from peewee import IntegrityError

from migrations import create_schema
from models import (
    AgreementAcceptance,
    Booking,
    Customer,
    CustomerPayment,
    Invoice,
    OutboxMessage,
    Slot,
    StripeEvent,
    db,
    locked_transaction,
)
from tests import factories


@pytest.fixture
def any_conn(any_app):
    with db.connection_context():
        yield


def test_booking_round_trip(any_conn):
    m, _ = factories.merchant(allowed_embed_origins=["https://shop.example"])
    slot = Slot.create(merchant=m, capacity=8, starts_at=datetime(2030, 6, 1, 9),
                       ends_at=datetime(2030, 6, 1, 11))
    b = factories.booking(m, slot=slot, end_date=date(2030, 6, 3), participants=3)
    got = Booking.get_by_id(b.id)
    assert got.date == date(2030, 6, 1) and got.end_date == date(2030, 6, 3)
    assert got.start_time == time(9, 0) and got.end_time == time(11, 0)
    assert got.cart == b.cart and got.cart["line_items"][0]["amount_cents"] == 10000
    assert got.total_cents == 10000 and isinstance(got.total_cents, int)
    assert got.balance_cents == 10000
    assert got.slot.capacity == 8 and got.merchant.allowed_embed_origins == ["https://shop.example"]
    assert [ra.agreement.title for ra in got.required_agreements] == ["Agreement 1", "Agreement 2"]
    assert len(got.confirmation_code) == 8


def test_invoice_payment_acceptance_outbox_event_round_trip(any_conn):
    inv = factories.invoice(memo="Bring a towel", allow_tip=True)
    got = Invoice.get_by_id(inv.id)
    assert (got.amount_cents, got.currency, got.status, got.memo) == (10000, "usd", "open",
                                                                     "Bring a towel")
    assert got.due_cents == 10000 and got.allow_tip is True and got.viewed_at is None
    pay = CustomerPayment.create(booking=got.booking, invoice=got, amount_cents=4000,
                                 currency="usd", stripe_payment_intent_id="pi_1",
                                 confirmation_number="PAY-1")
    assert CustomerPayment.get_by_id(pay.id).amount_cents == 4000
    agreement = got.booking.required_agreements[0].agreement
    AgreementAcceptance.create(invoice=got, agreement=agreement, version=1, ip="127.0.0.1",
                               user_agent="pytest")
    assert AgreementAcceptance.get().ip == "127.0.0.1"
    OutboxMessage.create(kind="email", dedupe_key="k1", payload={"to": "a@example.com"})
    assert OutboxMessage.get().payload == {"to": "a@example.com"}
    StripeEvent.create(event_id="evt_1", type="payment_intent.succeeded")
    assert StripeEvent.get().type == "payment_intent.succeeded"


def _violates(fn) -> bool:
    try:
        with db.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_unique_constraints(any_conn):
    inv = factories.invoice()
    b = inv.booking
    assert _violates(lambda: Invoice.create(merchant=inv.merchant, booking=b, token=inv.token,
                                            amount_cents=1, currency="usd"))
    CustomerPayment.create(booking=b, amount_cents=1, currency="usd",
                           stripe_payment_intent_id="pi_same", confirmation_number="A")
    assert _violates(lambda: CustomerPayment.create(
        booking=b, amount_cents=1, currency="usd", stripe_payment_intent_id="pi_same",
        confirmation_number="B"))
    StripeEvent.create(event_id="evt_same", type="x")
    assert _violates(lambda: StripeEvent.create(event_id="evt_same", type="x"))
    OutboxMessage.create(kind="email", dedupe_key="same", payload={})
    assert _violates(lambda: OutboxMessage.create(kind="email", dedupe_key="same", payload={}))
    Booking.update(external_ref="ext-1").where(Booking.id == b.id).execute()
    other = factories.booking(b.merchant)
    assert _violates(lambda: Booking.update(external_ref="ext-1")
                     .where(Booking.id == other.id).execute())
    # the same external reference at another merchant is fine
    foreign = factories.booking(factories.merchant("Other")[0])
    Booking.update(external_ref="ext-1").where(Booking.id == foreign.id).execute()


def test_failed_transaction_writes_nothing(any_conn):
    b = factories.booking()
    with pytest.raises(IntegrityError), locked_transaction():
        Customer.create(merchant=b.merchant, name="Half written")
        StripeEvent.create(event_id="evt_x", type="x")
        StripeEvent.create(event_id="evt_x", type="x")
    assert Customer.select().where(Customer.name == "Half written").count() == 0


def test_create_schema_twice_is_harmless(any_conn):
    factories.invoice()
    assert create_schema() == 0
    assert create_schema() == 0
    assert Invoice.select().count() == 1


def test_init_db_command_twice(any_app):
    runner = any_app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0, (first.output, second.output)
    assert "Database ready" in second.output


def test_migration_brings_an_old_schema_up_to_date(any_conn):
    from playhouse.migrate import migrate

    from migrations import _migrator
    from models import SchemaVersion

    factories.invoice()
    # the invoice table as it was before migration 4
    migrate(_migrator().drop_column("invoice", "pending_request"))
    SchemaVersion.delete().where(SchemaVersion.version == 4).execute()
    assert "pending_request" not in {c.name for c in db.get_columns("invoice")}
    assert create_schema() == 1
    assert "pending_request" in {c.name for c in db.get_columns("invoice")}
    Invoice.update(pending_request={"attempt": "a"}).execute()
    assert Invoice.get().pending_request == {"attempt": "a"} and Invoice.select().count() == 1
    assert create_schema() == 0


def test_database_urls_with_or_without_pool_scheme(tmp_path):
    """DATABASE_URL may name playhouse's "+pool" scheme, as it could before psycopg 3."""
    from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

    from models import make_database

    for url in ("postgresql://postgres@127.0.0.1/test", "postgresql+pool://postgres@127.0.0.1/test",
                "postgres+pool://postgres@127.0.0.1/test?pooler=transaction"):
        assert isinstance(make_database(url), PooledPostgresqlDatabase), url
    for url in (f"sqlite:///{tmp_path}/a.db", f"sqlite+pool:///{tmp_path}/b.db"):
        database = make_database(url)
        assert isinstance(database, PooledSqliteDatabase) and database._lock_type == "IMMEDIATE"
    assert make_database("postgres+pool://p@h/d?pooler=transaction").connect_params[
        "prepare_threshold"] is None
    with pytest.raises(ValueError):
        make_database("mysql://root@localhost/x")
