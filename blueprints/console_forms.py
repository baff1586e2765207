"""flask-wtf forms of the merchant console; every POST is one of these (CSRF included).

Forms check shape only (present, a number in the merchant's format, an email); the
services decide whether the values are allowed, and their messages land on the fields.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from services.invoices.lifecycle import MAX_MEMO
from services.merchants.console import AmountError, parse_amount


class ConsoleForm(FlaskForm):
    def service_error(self, field_name: str | None, message: str) -> None:
        """Show a service's refusal next to the field it is about (or above the form)."""
        target = getattr(self, field_name, None) if field_name else None
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            self.form_errors.append(message)


class LoginForm(ConsoleForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class AmountField(StringField):
    """Text in the merchant's locale ("1.234,50" for de_DE) read into integer cents."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cents: int | None = None

    def pre_validate(self, form: Any) -> None:
        self.cents = None
        try:
            self.cents = parse_amount(self.data, form.currency, form.locale)
        except AmountError as exc:
            raise ValidationError(str(exc)) from None


class MoneyForm(ConsoleForm):
    """Knows the merchant's currency and locale, so its amount field can parse."""

    def __init__(self, *args: Any, currency: str, locale: str, **kwargs: Any) -> None:
        self.currency, self.locale = currency, locale
        super().__init__(*args, **kwargs)


class SendInvoiceForm(MoneyForm):
    amount = AmountField("Amount", description="The full balance, or less for a deposit.")
    confirm_on_pay = BooleanField("Confirm the booking when this invoice is paid")
    # Checked by create_invoice, as for the API (wtforms' Email() needs another package).
    send_to_email_override = EmailField(
        "Send to another email address", validators=[Optional(), Length(max=254)],
        description="Leave empty to use the customer's email.")
    send_type = RadioField("Send by", choices=[SelectChoice("email", "Email"),
                                               SelectChoice("sms", "SMS")], default="email")
    memo = TextAreaField("Memo for the customer",
                         validators=[Optional(), Length(max=MAX_MEMO)])
    due_at = DateTimeLocalField(
        "Due by", format="%Y-%m-%dT%H:%M", validators=[Optional()],
        description="Optional, in your time zone; reminders count from it.")


class RefundForm(MoneyForm):
    amount = AmountField("Amount to refund", description="The full amount unless you change it.")
    # One Stripe idempotency key per rendering of the form (see blueprints.console.refund).
    attempt = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f-]{36}$")])


class OriginsForm(ConsoleForm):
    allowed_embed_origins = TextAreaField(
        "Allowed embed origins", validators=[Length(max=20 * 210)],
        description="One per line, like https://shop.example (http only for localhost).")

    def origins(self) -> list[str]:
        return [line.strip() for line in (self.allowed_embed_origins.data or "").splitlines()
                if line.strip()]


class BrandingForm(ConsoleForm):
    name = StringField("Business name", validators=[DataRequired(), Length(max=200)])
    logo_url = StringField("Logo URL", validators=[Optional(), Length(max=500)],
                           description="An https:// image address.")
    brand_color = StringField("Brand colour", validators=[Optional(), Length(max=7)],
                              description="Like #0b5cab; used on the pay page.")


class NoticesForm(ConsoleForm):
    """Reminder schedule, where payment notices go, the address on receipts."""

    reminders = StringField(
        "Reminder days", validators=[Length(max=100)],
        description="Days from the due date, comma-separated, like -3, 0, 2 (at most 5; "
                    "empty: no reminders).")
    notification_email = EmailField(
        "Notification email", validators=[Optional(), Length(max=254)],
        description="Payment and refund notices; empty: your support email.")
    address = TextAreaField("Business address", validators=[Optional(), Length(max=500)],
                            description="On receipts and calendar events.")

    def reminder_days(self) -> list[int] | str:
        """The offsets, or the text as typed when it is not a list of whole numbers."""
        raw = (self.reminders.data or "").replace("\u2212", "-")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError:
            return raw
