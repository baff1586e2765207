"""The Stax status of a row and the listing's status filter come from one table
(services.invoices.STAX_RULES): for every combination of the fields, the filter for a
row's status finds it, and no other status's filter does."""

from __future__ import annotations

import itertools

import pytest

from models import Invoice, db, utcnow
from services.invoices.status import STAX_STATUSES, status_filter, stax_status
from tests import factories


@pytest.fixture
def any_conn(any_app):
    with db.connection_context():
        yield


def test_every_combination_is_found_by_its_own_filter_only(any_conn):
    invoices = []
    booking = factories.booking()
    for deleted, status, paid, failed, viewed, sent in itertools.product(
            (False, True), ("open", "paid", "closed"), (0, 500), (0, 1), (False, True),
            (False, True)):
        invoice = factories.invoice(booking)
        Invoice.update(deleted_at=utcnow() if deleted else None, status=status,
                       amount_paid_cents=paid, failed_attempts=failed,
                       viewed_at=utcnow() if viewed else None,
                       sent_at=utcnow() if sent else None).where(
            Invoice.id == invoice.id).execute()
        invoices.append(Invoice.get_by_id(invoice.id))
    for invoice in invoices:
        found = {name for name in STAX_STATUSES
                 if Invoice.select().where(Invoice.id == invoice.id, status_filter(name)).exists()}
        assert found == {stax_status(invoice)}, (invoice.__data__, found)
