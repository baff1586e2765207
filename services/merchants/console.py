"""What the merchant console reads and the few compositions it needs.

The rules stay in the services the merchant API calls (invoices, refunds, merchant
settings); this module only finds rows for the pages, turns typed amounts into cents
in the merchant's locale, and says which form field a service's refusal is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)

from models import (
    BOOKING_STATUSES,
    Agreement,
    AgreementAcceptance,
    Booking,
    Customer,
    CustomerPayment,
    Invoice,
    Merchant,
    Refund,
    locked_transaction,
)
from services.common.errors import ServiceError
from services.common.money import format_money, minor_units
from services.common.text import check as check_text
from services.invoices.lifecycle import create_invoice, send_invoice

PAGE_SIZE = 25
SPACES = (" ", "\u00a0", "\u202f")


# ---- amounts typed in the merchant's locale -------------------------------------------------

class AmountError(ValueError):
    """The text is not an amount in this currency; the message is for the field."""


def amount_pattern(currency: str) -> str:
    units = minor_units(currency)
    return "#,##0" + ("." + "0" * units if units else "")


def format_amount(cents: int, currency: str, locale: str) -> str:
    """Cents as the merchant types them, no symbol: 123450 usd en_US → '1,234.50'."""
    value = Decimal(cents).scaleb(-minor_units(currency))
    return format_decimal(value, format=amount_pattern(currency), locale=locale,
                          decimal_quantization=False)


def parse_amount(text: str | None, currency: str, locale: str) -> int:
    """'1.234,50' (de_DE) → 123450 cents; raises AmountError with a message for the field.

    Strict Babel parsing refuses misplaced group separators ('1.234,5' in en_US), so a
    number typed in the wrong locale is refused rather than read as another amount.
    """
    example = format_amount(123450, currency, locale)
    raw = (text or "").strip()
    if not raw:
        raise AmountError("Enter an amount.")
    # Babel hands the rest to Decimal, which also reads 'NaN', 'Infinity' and '1e5'.
    group = get_group_symbol(locale)
    if group in SPACES:  # fr_FR groups with U+202F; people type a plain space
        raw = "".join(group if ch in SPACES else ch for ch in raw)
    allowed = {group, get_decimal_symbol(locale), "-", "\u2212"}
    if any(not (ch.isdigit() or ch in allowed) for ch in raw):
        raise AmountError(f"Enter a number like {example}.")
    try:
        value = parse_decimal(raw.replace("\u2212", "-"), locale=locale, strict=True)
    except NumberFormatError:
        raise AmountError(f"Enter a number like {example}.") from None
    if not value.is_finite():
        raise AmountError(f"Enter a number like {example}.")
    units = minor_units(currency)
    cents = value.scaleb(units)
    if cents != cents.to_integral_value():
        places = f"{units} decimal place{'s' if units != 1 else ''}" if units else "no decimals"
        raise AmountError(f"Use at most {places}, like {example}.")
    return int(cents)


# ---- which field a service's refusal is about -----------------------------------------------

# Where the API's field names differ from the console forms'.
FORM_FIELDS = {"amount_cents": "amount", "branding.brand_color": "brand_color",
               "branding.logo_url": "logo_url"}
# Amount refusals speak in cents for API clients; the console restates them in money.
AMOUNT_MESSAGES = {
    "amount_not_positive": "Enter an amount greater than zero.",
    "amount_over_balance": "The amount is more than the balance due ({limit}).",
    "amount_over_refundable": "Enter an amount greater than zero and at most {limit}.",
}


def field_error(exc: ServiceError, limit: str = "") -> tuple[str | None, str]:
    """(form field or None for the whole form, message) for a service's refusal, from the
    field and code the service gave (ServiceError.field, .code)."""
    field = FORM_FIELDS.get(exc.field or "", exc.field)
    if exc.code in AMOUNT_MESSAGES:
        return field, AMOUNT_MESSAGES[exc.code].format(limit=limit)
    return field, exc.message


# ---- dates and money for the pages ---------------------------------------------------------

def merchant_zone(merchant: Merchant) -> ZoneInfo:
    try:
        return ZoneInfo(merchant.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_timestamp(value: datetime | None, merchant: Merchant) -> str:
    """A stored naive-UTC timestamp in the merchant's zone and locale."""
    if value is None:
        return ""
    return format_datetime(value.replace(tzinfo=UTC), "medium", tzinfo=merchant_zone(merchant),
                           locale=merchant.locale)


def money(cents: int, merchant: Merchant) -> str:
    return format_money(cents, merchant.currency, merchant.locale)


# ---- bookings list and detail ---------------------------------------------------------------

@dataclass
class BookingPage:
    rows: list[Booking]
    page: int
    has_next: bool
    query: str = ""
    status: str = ""


def search_bookings(merchant: Merchant, query: str = "", status: str = "",
                    page: int = 1) -> BookingPage:
    """Newest first; q matches the customer's name or email (contains) or the code (exact)."""
    q = check_text((query or "").strip()[:200], "q")
    status = status if status in BOOKING_STATUSES else ""
    page = max(page, 1)
    select = (Booking.select(Booking, Customer).join(Customer)
              .where(Booking.merchant == merchant))
    if q:
        select = select.where(Customer.name.contains(q) | Customer.email.contains(q)
                              | (Booking.confirmation_code == q.upper()))
    if status:
        select = select.where(Booking.status == status)
    rows = list(select.order_by(Booking.id.desc())
                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    return BookingPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE, q, status)


@dataclass
class PaymentView:
    payment: CustomerPayment
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refundable_cents(self) -> int:
        p = self.payment
        return p.amount_cents + p.tip_cents - p.refunded_cents


@dataclass
class BookingDetail:
    booking: Booking
    invoices: list[Invoice]
    payments: list[PaymentView]
    acceptances: list[dict[str, Any]]


def booking_detail(booking: Booking) -> BookingDetail:
    """Everything the booking page shows, deleted invoices included (the books keep them)."""
    invoices = list(Invoice.select().where(Invoice.booking == booking).order_by(Invoice.id.desc()))
    payments = list(CustomerPayment.select().where(CustomerPayment.booking == booking)
                    .order_by(CustomerPayment.id.desc()))
    refunds: dict[int, list[Refund]] = {}
    if payments:
        for refund in (Refund.select()
                       .where(Refund.payment.in_([p.id for p in payments]))
                       .order_by(Refund.id)):
            refunds.setdefault(refund.payment_id, []).append(refund)
    acceptances = [
        {"title": a.agreement.title, "version": a.version, "accepted_at": a.accepted_at,
         "ip": a.ip, "user_agent": a.user_agent, "invoice_uuid": a.invoice.uuid}
        for a in (AgreementAcceptance.select(AgreementAcceptance, Agreement, Invoice)
                  .join(Agreement).switch(AgreementAcceptance).join(Invoice)
                  .where(Invoice.booking == booking).order_by(AgreementAcceptance.id))
    ]
    return BookingDetail(booking, invoices,
                         [PaymentView(p, refunds.get(p.id, [])) for p in payments], acceptances)


def invoice_is_live(invoice: Invoice) -> bool:
    return invoice.deleted_at is None and invoice.status == "open"


# ---- the Send Invoice composition -----------------------------------------------------------

def local_to_utc(value: datetime | None, merchant: Merchant) -> datetime | None:
    """A wall-clock time typed in the merchant's zone, as naive UTC."""
    if value is None:
        return None
    local = value.replace(tzinfo=merchant_zone(merchant))
    return local.astimezone(UTC).replace(tzinfo=None)


def create_and_send_invoice(booking: Booking, amount_cents: int, *, confirm_on_pay: bool,
                            send_type: str, send_to_email_override: str | None,
                            memo: str | None, due_at: datetime | None = None) -> Invoice:
    """The seed's Send Invoice: create and queue the message in one transaction.

    The same two service calls as POST /api/v1/invoices then /send, so a refusal by
    either leaves no half-made invoice behind.
    """
    with locked_transaction():
        invoice = create_invoice(
            booking, amount_cents, confirm_on_pay=confirm_on_pay, send_type=send_type,
            send_to_email_override=send_to_email_override, memo=memo, due_at=due_at,
        )
        return send_invoice(invoice)
