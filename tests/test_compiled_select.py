"""The pay page's select: its SQL text is built once per database, each run binds its value,
and the rows are the ones the plain peewee query gives (both engines, PgBouncer too)."""

from __future__ import annotations

import peewee
import pytest

from models import Invoice, db
from services.bookings import summary
from services.common.compiled import MARK, CompiledSelect
from tests import factories

pytestmark = pytest.mark.pgbouncer


def _plain(where):
    return list(summary.invoice_page_query().where(where, Invoice.deleted_at.is_null()))


def _view(rows):
    return [(r.id, r.booking.id, r.booking.customer.name, r.merchant.name,
             r.booking.agreement_link and r.booking.agreement_link.agreement.title,
             r.paid_cents, r.held_seats) for r in rows]


def test_rows_equal_the_plain_query_and_each_run_binds_its_value(any_app):
    with db.connection_context():
        first = factories.invoice(factories.booking(agreements=2))
        second = factories.invoice(factories.booking(agreements=0))
        for invoice in (first, second):
            invoice_, agreements = summary.page_rows(invoice.token)
            assert invoice_.id == invoice.id
            assert [a.id for a in agreements] == [
                a.id for a in (link.agreement for link in (
                    r.booking.agreement_link for r in _plain(Invoice.token == invoice.token))
                    if link)]
            assert _view(summary._BY_NONCE.rows(invoice.token)) == _view(
                _plain(Invoice.token == invoice.token))
            assert summary.read_rows(invoice.uuid)[0].id == invoice.id
        assert summary.page_rows("no-such-nonce") is None
        # A value is a bound parameter, never text in the SQL.
        assert summary.page_rows("x' OR '1'='1") is None


def test_the_sql_text_is_built_once_per_database(any_app, monkeypatch):
    built = []
    original = peewee.ModelSelect.sql

    def counting(self):
        built.append(self)
        return original(self)

    monkeypatch.setattr(peewee.ModelSelect, "sql", counting)
    select = CompiledSelect(lambda token: summary.invoice_page_query().where(
        Invoice.token == token))
    with db.connection_context():
        invoice = factories.invoice(factories.booking())
        for _ in range(5):
            assert select.rows(invoice.token)[0].id == invoice.id
    assert len(built) == 1


def test_a_select_must_bind_exactly_one_value(any_app):
    select = CompiledSelect(lambda v: Invoice.select().where(
        (Invoice.token == v) | (Invoice.uuid == MARK)))
    with db.connection_context(), pytest.raises(ValueError):
        select.rows("x")
