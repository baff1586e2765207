"""The Stax status of an invoice, from one table read two ways (a row, or SQL)."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from peewee import Value

from models import Invoice

# The Stax lifecycle, most final state first: an invoice has the first status whose
# conditions all hold. Stax: DRAFT (not sent) → SENT → VIEWED → ATTEMPTED (a failed try)
# → PARTIALLY_PAID → PAID; DELETED is soft. A refund lowers amount_paid_cents, so the
# status falls back (paid → partially_paid → viewed/sent) and the invoice takes payments
# again. One table for both readings: stax_status (a row) and status_filter (SQL).
STAX_RULES: tuple[tuple[str, tuple[tuple[str, str, Any], ...]], ...] = (
    ("deleted", (("deleted_at", "is not", None),)),
    ("closed", (("status", "==", "closed"),)),
    ("paid", (("status", "==", "paid"),)),
    ("partially_paid", (("amount_paid_cents", ">", 0),)),
    ("attempted", (("failed_attempts", ">", 0),)),
    ("viewed", (("viewed_at", "is not", None),)),
    ("sent", (("sent_at", "is not", None),)),
    ("draft", ()),
)
# The same statuses in lifecycle order, as the API documents them.
STAX_STATUSES = ("draft", "sent", "viewed", "attempted", "partially_paid", "paid", "closed",
                 "deleted")
_TESTS = {"==": operator.eq, ">": operator.gt, "is not": operator.is_not}


def stax_status(invoice: Invoice) -> str:
    """The invoice's Stax status (STAX_RULES)."""
    for name, conditions in STAX_RULES:
        if all(_TESTS[test](getattr(invoice, field), value)
               for field, test, value in conditions):
            return name
    raise AssertionError("STAX_RULES ends with a rule that always holds")


def status_filter(status: str) -> Any:
    """SQL for one Stax status: its conditions hold, and no earlier rule's all do."""
    def holds(conditions: tuple[tuple[str, str, Any], ...]) -> Any:
        parts = [_TESTS[test](getattr(Invoice, field), value) if test != "is not"
                 else getattr(Invoice, field).is_null(False)
                 for field, test, value in conditions]
        return reduce(operator.and_, parts) if parts else Value(True)

    where: Any = Value(True)
    for name, conditions in STAX_RULES:
        if name == status:
            return where & holds(conditions)
        where = where & ~holds(conditions)
    raise ValueError(f"unknown status {status!r}")
