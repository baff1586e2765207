"""Query parameters of the JSON API's lists."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from models import BOOKING_STATUSES
from services.common.paging import MAX_LIMIT
from services.invoices.status import STAX_STATUSES
from services.schemas.base import DateTime, OneOf, Query


class Paging(Query):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] | None = None
    cursor: Annotated[str, Field(max_length=40, description="next_cursor of the last page.")] \
        | None = None


class BookingFilters(Paging):
    status: Annotated[str, OneOf(BOOKING_STATUSES)] | None = None
    external_ref: Annotated[str, Field(max_length=100)] | None = None


class BookingInvoiceFilters(Paging):
    status: Annotated[str, OneOf(STAX_STATUSES)] | None = None


class InvoiceFilters(BookingInvoiceFilters):
    booking: Annotated[str, Field(max_length=36, description="Booking uuid.")] | None = None
    created_from: DateTime | None = None
    created_to: DateTime | None = None
