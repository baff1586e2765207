"""Request bodies of the JSON API: types, lengths, formats and choices. Amount ranges and
rules that need the database or several fields (an amount above zero and within the balance,
a booking that exists) stay in the services, which the console shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from models import BOOKING_STATUSES, SEND_TYPES
from services.common.locales import LOCALES
from services.schemas.base import (
    MAX_CENTS,
    Body,
    DateTime,
    HhMm,
    IsoDate,
    OneOf,
    Text,
    matching,
)

CENTS = f"Integer cents, above zero, at most {MAX_CENTS}."
STRIPE_ID = Annotated[str, Field(max_length=255)]
# What Stripe ids look like; anything else never reaches Stripe (or the database).
CONFIRMATION_SHAPE = r"^ctoken_[A-Za-z0-9_]{1,200}$"
INTENT_SHAPE = r"^pi_[A-Za-z0-9_]{1,60}$"


class LineIn(Body):
    name: Text
    quantity: int = Field(1, description="At least 1.")
    unit_cents: int | None = Field(None, description=CENTS)
    amount_cents: int | None = Field(None, description="The price of one line (quantity 1).")


Lines = Annotated[list[LineIn], Field(max_length=1000)]


class CartIn(Body):
    line_items: Lines = Field(min_length=1)
    fees: Lines | None = None
    discounts: Lines | None = None
    taxes: Lines | None = None


class CustomerIn(Body):
    name: Text | None = Field(None, description="Required when the booking is created.")
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    locale: Annotated[str, Field(max_length=35, description=(
        "The customer's language for the pay page, emails and SMS: one of "
        + ", ".join(LOCALES) + " (other spellings of these, e.g. ja-JP, are read as them); "
        "null: the browser's, then the merchant's."))] | None = None
    timezone: Annotated[str, Field(max_length=64, description="IANA zone, e.g. Europe/Berlin; "
                                   "default: the merchant's.")] | None = None


class AgreementCreate(Body):
    title: Text
    body: Annotated[str, Field(max_length=50_000)]


class SlotRef(Body):
    uuid: Annotated[str, Field(max_length=36)]


class SlotNew(Body):
    starts_at: DateTime
    ends_at: DateTime
    capacity: int = Field(description="From 1 to 10000.")


BookingStatus = Annotated[str, OneOf(BOOKING_STATUSES)]
SendType = Annotated[str, OneOf(SEND_TYPES)]


class BookingUpsert(Body):
    """Create, or update the booking with this external_ref (then every field is optional)."""

    external_ref: Annotated[str, Field(max_length=100)] | None = None
    customer: CustomerIn | None = Field(None, description="Required when creating.")
    activity: Text | None = Field(None, description="Required when creating.")
    date: IsoDate | None = Field(None, description="Required when creating.")
    start_time: HhMm | None = None
    end_time: HhMm | None = None
    end_date: IsoDate | None = None
    participants: int | None = Field(None, description="From 1 to 10000.")
    status: BookingStatus | None = None
    cart: CartIn | None = Field(None, description="Required when creating.")
    agreements: Annotated[list[Annotated[str, Field(max_length=36)] | AgreementCreate],
                          Field(max_length=50)] | None = Field(
        None, description="Agreement uuids, or {title, body} to create one.")
    slot: SlotRef | SlotNew | None = None
    expires_at: DateTime | None = None


class InvoiceCreate(Body):
    booking: Annotated[str, Field(max_length=36, description="Booking uuid.")]
    amount_cents: int | None = Field(None, description=f"{CENTS} Default: the balance.")
    confirm_on_pay: bool | None = None
    send_type: SendType | None = None
    send_to_email_override: Annotated[str, Field(max_length=254)] | None = None
    memo: Annotated[str, Field(max_length=2000)] | None = None
    allow_partial: bool | None = None
    min_partial_cents: int | None = Field(None, description=CENTS)
    allow_tip: bool | None = None
    expires_at: DateTime | None = None
    due_at: DateTime | None = Field(None, description="When payment is due; reminders count "
                                    "from it (the merchant's reminders).")
    dueAt: DateTime | None = Field(None, description="Same as due_at.")


class InvoiceReopen(Body):
    expires_at: DateTime | None = None


class RefundCreate(Body):
    amount_cents: int | None = Field(
        None, description=f"{CENTS} Default: what is left of the payment.")


class BrandingIn(Body):
    brand_color: Annotated[str, Field(max_length=7)] | None = None
    logo_url: Annotated[str, Field(max_length=500)] | None = None
    support_email: Annotated[str, Field(max_length=254)] | None = None


class MerchantPatch(Body):
    name: Text | None = None
    allowed_embed_origins: Annotated[list[Annotated[str, Field(max_length=200)]],
                                     Field(max_length=20)] | None = None
    webhook_url: Annotated[str, Field(max_length=500)] | None = None
    calendar_sync: bool | None = None
    rotate_webhook_secret: bool | None = None
    locale: Annotated[str, Field(max_length=16)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    branding: BrandingIn | None = None
    reminders: Annotated[list[int], Field(max_length=5, description=(
        "Reminder offsets in days from an invoice's due date, e.g. [-3, 0, 2]; [] for none."
    ))] | None = None
    notification_email: Annotated[str, Field(max_length=254, description=(
        "Where payment and refund notices go (default: branding.support_email)."))] | None = None
    address: Annotated[str, Field(max_length=500, description=(
        "Shown on receipts and calendar events."))] | None = None


class PayBody(Body):
    """What the pay page (or the seed's client) sends to pay an invoice."""

    stripeConfirmationToken: Annotated[str, matching(
        CONFIRMATION_SHAPE, "is not a Stripe id.", max_length=255,
        description="ctoken_... from Stripe.js")] | None = None
    agreements: Annotated[list[Annotated[str, Field(max_length=64)]], Field(
        max_length=50, description="Accepted agreement uuids.")] | None = None
    handledNextAction: Annotated[str, matching(
        INTENT_SHAPE, "is not a Stripe id.", max_length=255,
        description="PaymentIntent id after handleNextAction.")] | None = None
    amountCents: int | None = Field(None, description=f"{CENTS} A partial amount, when allowed.")
    tipCents: int | None = Field(None, description="Integer cents, 0 or more.")
    attemptKey: STRIPE_ID | None = None
