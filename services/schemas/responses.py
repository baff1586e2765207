"""Answers of the JSON API, as documented. The services build them; a test validates live
answers against the published document, so a drift between the two fails the build."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from models import BOOKING_STATUSES, SEND_TYPES
from services.invoices.status import STAX_STATUSES
from services.schemas.base import Cents, OneOf, Shape

Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})] | None
Opt = str | None


class Error(Shape):
    success: Literal[False]
    message: str = Field(description="For people.")
    code: str | None = None
    field: str | None = Field(None, description="The input refused, e.g. customer.name.")


class Line(Shape):
    name: str
    quantity: int | None = None
    unit_cents: Cents | None = None
    amount_cents: Cents | None = None


class Cart(Shape):
    line_items: list[Line]
    fees: list[Line] | None = None
    discounts: list[Line] | None = None
    taxes: list[Line] | None = None


class Payment(Shape):
    uuid: str | None = None
    amount_cents: Cents | None = None
    tip_cents: Cents | None = None
    refunded_cents: Cents | None = None
    currency: str | None = None
    confirmation_number: str | None = None
    card_brand: Opt = None
    card_last4: Opt = None
    created_at: Time = None


class Invoice(Shape):
    uuid: str
    status: Annotated[str, OneOf(STAX_STATUSES)]
    amount_cents: Cents
    booking: str | None = None
    amount_paid_cents: Cents | None = None
    due_cents: Cents | None = None
    currency: str | None = None
    confirm_on_pay: bool | None = None
    send_type: Annotated[str, OneOf(SEND_TYPES)] | None = None
    send_to_email_override: Opt = None
    memo: Opt = None
    allow_partial: bool | None = None
    min_partial_cents: int | None = None
    allow_tip: bool | None = None
    pay_url: Opt = None
    payments: list[Payment] | None = None
    last_attempt: dict[str, Any] | None = None
    sent_at: Time = None
    viewed_at: Time = None
    paid_at: Time = None
    closed_at: Time = None
    deleted_at: Time = None
    expires_at: Time = None
    due_at: Time = None
    dueAt: Time = None
    created_at: Time = None
    updated_at: Time = None


class CustomerOut(Shape):
    uuid: str | None = None
    name: str | None = None
    email: Opt = None
    phone: Opt = None
    locale: Opt = None
    timezone: Opt = None


class AgreementRef(Shape):
    uuid: str | None = None
    title: str | None = None
    version: int | None = None


class Booking(Shape):
    uuid: str
    status: Annotated[str, OneOf(BOOKING_STATUSES)]
    external_ref: Opt = None
    confirmation_code: str | None = None
    customer: CustomerOut | None = None
    activity: str | None = None
    date: Annotated[str, Field(json_schema_extra={"format": "date"})] | None = None
    start_time: Opt = None
    end_time: Opt = None
    end_date: Opt = None
    participants: int | None = None
    cart: Cart | None = None
    total_cents: Cents | None = None
    balance_cents: Cents | None = None
    paid_cents: Cents | None = None
    currency: str | None = None
    agreements: list[AgreementRef] | None = None
    slot: dict[str, Any] | None = None
    expires_at: Time = None
    canceled_at: Time = None
    created_at: Time = None
    updated_at: Time = None


class Agreement(Shape):
    uuid: str | None = None
    title: str | None = None
    body: str | None = None
    version: int | None = None
    created_at: Time = None


class Branding(Shape):
    brand_color: Opt = None
    logo_url: Opt = None
    support_email: Opt = None


class PlatformFee(Shape):
    """The platform's fee on each direct charge (Stripe Connect)."""
    percentBasisPoints: int = Field(ge=0, le=10000, description="250 = 2.5 %.")  # noqa: N815
    percent: str = Field(description='The percent as a decimal, e.g. "2.5".')
    fixedCents: Cents  # noqa: N815
    source: Literal["default", "merchant"]


class Merchant(Shape):
    uuid: str | None = None
    name: str | None = None
    currency: str | None = None
    locale: str | None = None
    timezone: str | None = None
    allowed_embed_origins: list[str] | None = None
    webhook_url: Opt = None
    webhook_secret: Opt = None
    calendar_sync: bool | None = None
    branding: Branding | None = None
    reminders: list[int] | None = None
    notification_email: Opt = None
    address: Opt = None
    platformFee: PlatformFee | None = None  # noqa: N815


class RefundPayment(Shape):
    uuid: str | None = None
    amount_cents: Cents | None = None
    tip_cents: Cents | None = None
    refunded_cents: Cents | None = None


class Refund(Shape):
    stripe_refund_id: str | None = None
    amount_cents: Cents | None = None
    created_at: Time = None
    payment: RefundPayment | None = None


class Health(Shape):
    status: str | None = None
    database: str | None = None


# ---- envelopes: {success: true, ...} ------------------------------------------------------

class Ok(Shape):
    success: Literal[True]


class StripeStatus(Ok):
    """The merchant's connected Stripe account as Stripe last reported it."""
    account: Opt
    connected: bool
    chargesEnabled: bool  # noqa: N815
    payoutsEnabled: bool  # noqa: N815
    detailsSubmitted: bool  # noqa: N815
    requirements: list[str] = Field(description="What Stripe still needs (currently_due).")
    disconnectedAt: Time = None  # noqa: N815
    connectRequired: bool  # noqa: N815
    canTakeCharges: bool  # noqa: N815


class OnboardingLink(Ok):
    url: str = Field(description="A fresh Stripe Account Link (account_onboarding).")


class MerchantOne(Ok):
    merchant: Merchant


class AgreementOne(Ok):
    agreement: Agreement


class AgreementList(Ok):
    data: list[Agreement]


class BookingOne(Ok):
    booking: Booking


class BookingSaved(BookingOne):
    created: bool


class BookingPage(Ok):
    data: list[Booking]
    next_cursor: str | None


class InvoiceOne(Ok):
    invoice: Invoice


class InvoicePage(Ok):
    data: list[Invoice]
    next_cursor: str | None


class RefundOne(Ok):
    refund: Refund


# ---- the public pay client ----------------------------------------------------------------

class PublicRefund(Shape):
    amountCents: Cents
    createdAt: Time


class PublicPayment(Shape):
    amountCents: Cents
    tipCents: Cents
    currency: str
    createdAt: Time
    refundedCents: Cents
    refunds: list[PublicRefund]
    cardBrand: str | None = Field(description="e.g. visa; no other card data.")
    cardLast4: str | None
    confirmationNumber: str
    status: Literal["succeeded", "partially_refunded", "refunded"]


class PublicInvoiceState(Shape):
    uuid: str
    dueNowCents: Cents
    currency: str | None = None
    state: str | None = None
    payable: bool | None = None
    message: Opt = None
    allowPartial: bool | None = None
    minPartialCents: int | None = None
    allowTip: bool | None = None
    memo: Opt = None


class PublicMerchant(Shape):
    name: str | None = None


class PublicAgreement(Shape):
    uuid: str | None = None
    title: str | None = None
    body: str | None = None
    version: int | None = None


class PublicInvoice(Ok):
    invoice: PublicInvoiceState
    merchant: PublicMerchant | None = None
    cart: Cart | None = None
    totalCents: Cents | None = None
    balanceCents: Cents | None = None
    activity: str | None = None
    date: str | None = None
    start: Opt = None
    end: Opt = None
    endDate: Opt = None
    agreements: list[PublicAgreement] | None = None
    payments: list[PublicPayment] | None = Field(
        None, description="The booking's payments, oldest first, with their refunds.")


class Confirmation(Shape):
    confirmationNumber: str | None = None
    bookingConfirmationCode: str | None = None
    amountCents: Cents | None = None
    tipCents: Cents | None = None
    currency: str | None = None
    paymentIntent: str | None = None
    bookingStatus: str | None = None


class Paid(Ok):
    confirmation: Confirmation


class ActionNeeded(Ok):
    requiresAction: Literal[True]
    clientSecret: str
    redirectUrl: str | None = None


class Processing(Ok):
    processing: Literal[True]
    message: str


PayAnswer = Paid | ActionNeeded | Processing
InvoiceRead = PublicInvoice | InvoiceOne
