"""Merchant console over HTTP: sign-in, CSRF on every form, scoping, Send Invoice, refunds."""

from __future__ import annotations

import re

import pytest

from models import (
    Booking,
    CustomerPayment,
    Invoice,
    MerchantUser,
    OutboxMessage,
    Refund,
    db,
)
from services.common.errors import ServiceError
from services.merchants.console_auth import create_user, set_password
from services.merchants.keys import authenticate
from tests import factories
from tests.conftest import make_test_app
from tests.console_helpers import (
    PASSWORD,
    Console,
    csrf_token,
    html_problems,
    reload_merchant,
    seed_merchant,
    sign_in,
)
from tests.pay_helpers import ctoken, new_invoice, pay_api


@pytest.fixture
def shop(app):
    return seed_merchant()


@pytest.fixture
def console(client, shop):
    return Console(client, shop["email"])


def invoices_of(booking: Booking) -> list[Invoice]:
    with db.connection_context():
        return list(Invoice.select().where(Invoice.booking == booking.id).order_by(Invoice.id))


def outbox_count() -> int:
    with db.connection_context():
        return OutboxMessage.select().count()


def field_error(html: str, name: str) -> str:
    """The message shown next to a field, checking it is tied to it by aria-describedby."""
    match = re.search(rf'<p class="field-error" id="{name}-error" '
                      rf'data-testid="error-{name}">([^<]*)</p>', html)
    assert match, f"no error shown for {name}"
    assert re.search(rf'aria-describedby="[^"]*{name}-error[^"]*"', html)
    return match.group(1)


# ---- sign-in and sessions ------------------------------------------------------------------

def test_pages_need_a_signed_in_user(client, shop):
    booking = shop["booking"]
    for path in ("/console/", "/console/bookings", f"/console/bookings/{booking.uuid}",
                 f"/console/bookings/{booking.uuid}/send-invoice", "/console/settings"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/console/login?next=")


def test_sign_in_rotates_the_session_and_sets_safe_cookie_flags(client, shop):
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    response = sign_in(client, shop["email"].upper())  # email is case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/bookings"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only with PAYLINK_ENV=production (below)
    with client.session_transaction() as s:
        assert "planted" not in s and s["console_user"] == shop["user"].id
    with db.connection_context():
        assert MerchantUser.get_by_id(shop["user"].id).last_login_at is not None
    page = client.get("/console/bookings")
    assert page.status_code == 200 and "Harbour Tours" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_secure_cookie_in_production(sqlite_url, monkeypatch):
    app = make_test_app(sqlite_url, PAYLINK_ENV="production", SECRET_KEY="x" * 32,
                        STRIPE_SECRET_KEY="sk_test_real", STRIPE_PUBLISHABLE_KEY="pk_test_real")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    db.close()


@pytest.mark.parametrize("email,password", [
    ("owner@harbour.example", "wrong password!"),
    ("nobody@harbour.example", PASSWORD),
    ("", ""),
])
def test_wrong_credentials_are_refused_with_one_message(client, shop, email, password):
    response = sign_in(client, email, password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    if email:
        assert "Wrong email or password." in html
    with client.session_transaction() as s:
        assert "console_user" not in s
    assert client.get("/console/bookings").status_code == 302


def test_next_only_redirects_inside_the_console(client, shop):
    token = csrf_token(client)
    data = {"email": shop["email"], "password": PASSWORD, "csrf_token": token}
    evil = client.post("/console/login?next=https://evil.example/", data=data)
    assert evil.headers["Location"] == "/console/bookings"
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/settings")})
    data["csrf_token"] = csrf_token(client)
    good = client.post("/console/login?next=/console/settings", data=data)
    assert good.headers["Location"] == "/console/settings"


def test_sign_out_ends_the_session(client, console):
    assert client.get("/console/bookings").status_code == 200
    response = console.post("/console/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/console/login"
    assert client.get("/console/bookings").status_code == 302
    with client.session_transaction() as s:
        assert "console_user" not in s


def test_a_password_change_signs_out_other_sessions(client, console, shop):
    assert client.get("/console/bookings").status_code == 200
    with db.connection_context():
        set_password(MerchantUser.get_by_id(shop["user"].id), "a brand new password")
    assert client.get("/console/bookings").status_code == 302


def test_sign_in_is_rate_limited(sqlite_url):
    app = make_test_app(sqlite_url, RATELIMIT_ENABLED=True,
                        CONSOLE_LOGIN_RATE_LIMIT="3 per minute")
    seed_merchant()
    client = app.test_client()
    codes = [sign_in(client, "owner@harbour.example", "wrong password!").status_code
             for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    assert client.get("/console/login").status_code == 200  # the page itself is not limited
    db.close()


# ---- CSRF: every POST in the console -------------------------------------------------------

def test_every_form_needs_its_csrf_token(client, console, shop):
    booking = shop["booking"]
    console.send_invoice(booking, amount="40.00")
    invoice = invoices_of(booking)[0]
    messages = outbox_count()
    merchant = reload_merchant(shop["merchant"])
    posts = {
        "/console/login": {"email": shop["email"], "password": PASSWORD},
        f"/console/bookings/{booking.uuid}/send-invoice": {"amount": "10.00",
                                                            "send_type": "email"},
        f"/console/invoices/{invoice.uuid}/resend": {},
        f"/console/invoices/{invoice.uuid}/close": {},
        f"/console/invoices/{invoice.uuid}/reopen": {},
        f"/console/invoices/{invoice.uuid}/delete": {},
        "/console/payments/no-such-payment/refund": {"amount": "1.00"},
        "/console/settings/origins": {"allowed_embed_origins": "https://shop.example"},
        "/console/settings/branding": {"name": "Hijacked", "brand_color": "#000000"},
        "/console/settings/api-key": {},
        "/console/logout": {},
    }
    for path, data in posts.items():
        for token in (None, "not-a-valid-token"):
            body = dict(data) if token is None else {**data, "csrf_token": token}
            response = client.post(path, data=body)
            assert response.status_code == 400, (path, token, response.status_code)
            assert "This form has expired" in response.get_data(as_text=True)
    # Nothing changed: still signed in, one open invoice, the same key, name and origins.
    assert client.get("/console/bookings").status_code == 200
    assert [(i.status, i.deleted_at) for i in invoices_of(booking)] == [("open", None)]
    assert outbox_count() == messages
    after = reload_merchant(shop["merchant"])
    assert (after.api_key_hash, after.name, after.allowed_embed_origins, after.brand_color) == (
        merchant.api_key_hash, merchant.name, merchant.allowed_embed_origins,
        merchant.brand_color)


def test_pay_flow_and_api_need_no_csrf_cookie(client, shop):
    """CSRFProtect guards the console only: the JSON API still takes plain POSTs."""
    response = client.post("/api/v1/invoices", json={"booking": shop["booking"].uuid},
                           headers={"Authorization": f"Bearer {shop['api_key']}"})
    assert response.status_code == 201, response.get_json()


# ---- scoping -------------------------------------------------------------------------------

def test_another_merchants_rows_are_not_found(client, console, shop):
    other = seed_merchant("Rival Rentals", email="boss@rival.example")
    other_booking = other["booking"]
    with db.connection_context():
        other_invoice = factories.invoice(other_booking, amount_cents=5000)
        payment = CustomerPayment.create(
            booking=other_booking.id, invoice=other_invoice.id, amount_cents=5000,
            currency="usd", stripe_payment_intent_id="pi_rival", confirmation_number="P-RIVAL")
    gets = [f"/console/bookings/{other_booking.uuid}",
            f"/console/bookings/{other_booking.uuid}/send-invoice",
            f"/console/payments/{payment.uuid}/refund"]
    for path in gets:
        assert console.get(path).status_code == 404, path
    posts = [(f"/console/bookings/{other_booking.uuid}/send-invoice",
              {"amount": "10.00", "send_type": "email"}),
             (f"/console/invoices/{other_invoice.uuid}/resend", {}),
             (f"/console/invoices/{other_invoice.uuid}/close", {}),
             (f"/console/invoices/{other_invoice.uuid}/delete", {}),
             (f"/console/payments/{payment.uuid}/refund",
              {"amount": "10.00", "attempt": "0" * 8 + "-0000-0000-0000-" + "0" * 12})]
    for path, data in posts:
        assert console.post(path, data).status_code == 404, path
    with db.connection_context():
        fresh = Invoice.get_by_id(other_invoice.id)
        assert (fresh.status, fresh.deleted_at, fresh.sent_at) == ("open", None, None)
        assert Invoice.select().where(Invoice.booking == other_booking.id).count() == 1
    listing = console.get("/console/bookings").get_data(as_text=True)
    assert shop["booking"].confirmation_code in listing
    assert other_booking.confirmation_code not in listing
    search = console.get(f"/console/bookings?q={other_booking.confirmation_code}")
    assert 'data-testid="booking-row"' not in search.get_data(as_text=True)


# ---- bookings list -------------------------------------------------------------------------

def test_search_filter_and_pages(console, shop):
    merchant = shop["merchant"]
    with db.connection_context():
        confirmed = factories.booking(merchant, status="confirmed", agreements=0)
        from models import Customer
        Customer.update(name="Robin Lake", email="robin@lake.example").where(
            Customer.id == confirmed.customer_id).execute()
        for _ in range(25):
            factories.booking(merchant, agreements=0)
    by_name = console.get("/console/bookings?q=robin").get_data(as_text=True)
    assert by_name.count('data-testid="booking-row"') == 1 and "Robin Lake" in by_name
    by_email = console.get("/console/bookings?q=LAKE.EXAMPLE").get_data(as_text=True)
    assert by_email.count('data-testid="booking-row"') == 1
    code = shop["booking"].confirmation_code
    by_code = console.get(f"/console/bookings?q={code.lower()}").get_data(as_text=True)
    assert by_code.count('data-testid="booking-row"') == 1 and code in by_code
    by_status = console.get("/console/bookings?status=confirmed").get_data(as_text=True)
    assert by_status.count('data-testid="booking-row"') == 1
    first = console.get("/console/bookings").get_data(as_text=True)
    assert first.count('data-testid="booking-row"') == 25 and 'data-testid="page-next"' in first
    second = console.get("/console/bookings?page=2").get_data(as_text=True)
    assert second.count('data-testid="booking-row"') == 2 and 'data-testid="page-prev"' in second
    assert console.get("/console/bookings?page=abc&status=bogus").status_code == 200


# ---- Send Invoice --------------------------------------------------------------------------

def test_send_invoice_form_is_prefilled_with_the_balance(console, shop):
    html = console.get(f"/console/bookings/{shop['booking'].uuid}/send-invoice").get_data(
        as_text=True)
    assert 'value="100.00"' in html and 'inputmode="decimal"' in html
    for name in ("amount", "confirm_on_pay", "send_to_email_override", "memo"):
        assert f'<label for="{name}">' in html, name
    assert 'for="send_type-0"' in html and 'for="send_type-1"' in html


def test_send_a_deposit_with_confirm_on_pay(console, shop):
    booking = shop["booking"]
    messages = outbox_count()
    response = console.send_invoice(booking, amount="40.00", confirm_on_pay="y",
                                    send_to_email_override="billing@pat.example",
                                    memo="  Deposit for your tour  ")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/console/bookings/{booking.uuid}"
    [invoice] = invoices_of(booking)
    assert (invoice.amount_cents, invoice.confirm_on_pay, invoice.send_type) == (4000, True,
                                                                                  "email")
    assert invoice.send_to_email_override == "billing@pat.example"
    assert invoice.memo == "Deposit for your tour"
    assert outbox_count() == messages + 1
    page = console.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invoice for $40.00 queued by email." in page
    assert f'data-testid="invoice-{invoice.uuid}" data-status="draft"' in page


def test_send_by_sms(console, shop):
    assert console.send_invoice(shop["booking"], send_type="sms").status_code == 302
    [invoice] = invoices_of(shop["booking"])
    assert (invoice.send_type, invoice.amount_cents) == ("sms", 10000)


@pytest.mark.parametrize("amount,message", [
    ("0", "Enter an amount greater than zero."),
    ("0.00", "Enter an amount greater than zero."),
    ("-5", "Enter an amount greater than zero."),
    ("100.01", "The amount is more than the balance due ($100.00)."),
    ("1,000.00", "The amount is more than the balance due ($100.00)."),
    ("abc", "Enter a number like 1,234.50."),
    ("1.234,50", "Enter a number like 1,234.50."),
    ("1e3", "Enter a number like 1,234.50."),
    ("NaN", "Enter a number like 1,234.50."),
    ("12.345", "Use at most 2 decimal places, like 1,234.50."),
    ("", "Enter an amount."),
])
def test_bad_amounts_show_a_message_next_to_the_field(console, shop, amount, message):
    messages = outbox_count()
    response = console.send_invoice(shop["booking"], amount=amount)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "amount") == message.replace("'", "&#39;")
    assert 'aria-invalid="true"' in html
    assert f'value="{amount}"' in html  # what was typed stays, to be corrected
    assert invoices_of(shop["booking"]) == [] and outbox_count() == messages


def test_other_field_messages(console, shop):
    bad_email = console.send_invoice(shop["booking"], send_to_email_override="not-an-email")
    assert bad_email.status_code == 422
    assert field_error(bad_email.get_data(as_text=True), "send_to_email_override")
    with db.connection_context():
        from models import Customer
        Customer.update(phone=None).where(
            Customer.id == shop["booking"].customer_id).execute()
    no_phone = console.send_invoice(shop["booking"], send_type="sms")
    assert no_phone.status_code == 422
    assert "no valid phone number" in field_error(no_phone.get_data(as_text=True), "send_type")
    long_memo = console.send_invoice(shop["booking"], memo="x" * 2001)
    assert field_error(long_memo.get_data(as_text=True), "memo")
    assert invoices_of(shop["booking"]) == []


def test_amounts_in_the_merchants_locale(client, app):
    shop = seed_merchant("Hafen Touren", email="chef@hafen.example", currency="eur",
                         locale="de_DE")
    with db.connection_context():
        booking = factories.booking(shop["merchant"], cart={
            "line_items": [{"name": "Tour", "quantity": 1, "unit_cents": 123450}]})
    console = Console(client, shop["email"])
    form = console.get(f"/console/bookings/{booking.uuid}/send-invoice").get_data(as_text=True)
    assert 'value="1.234,50"' in form and "1.234,50\xa0€" in form
    wrong_locale = console.send_invoice(booking, amount="1,234.50")
    assert field_error(wrong_locale.get_data(as_text=True), "amount") == \
        "Enter a number like 1.234,50."
    assert console.send_invoice(booking, amount="1.000,25").status_code == 302
    [invoice] = invoices_of(booking)
    assert invoice.amount_cents == 100025


def test_no_send_link_without_a_balance(console, shop):
    with db.connection_context():
        Booking.update(balance_cents=0).where(Booking.id == shop["booking"].id).execute()
    page = console.get(f"/console/bookings/{shop['booking'].uuid}").get_data(as_text=True)
    assert 'data-testid="send-invoice"' not in page
    response = console.send_invoice(shop["booking"], amount="10.00")
    assert response.status_code == 422
    assert "The booking has no balance due." in response.get_data(as_text=True)


# ---- resend, close, reopen, delete ---------------------------------------------------------

def test_resend_close_reopen_delete(client, app, console, shop):
    booking = shop["booking"]
    console.send_invoice(booking, amount="25.00")
    [invoice] = invoices_of(booking)
    messages = outbox_count()
    page = f"/console/bookings/{booking.uuid}"

    resent = console.post(f"/console/invoices/{invoice.uuid}/resend", token_from=page)
    assert resent.headers["Location"] == page and outbox_count() == messages + 1
    assert "Invoice re-sent." in console.get(page).get_data(as_text=True)

    with db.connection_context():
        from services.invoices.links import pay_token
        token = pay_token(Invoice.get_by_id(invoice.id), app.config["SECRET_KEY"])
    assert client.get(f"/pay/{token}").status_code == 200
    console.post(f"/console/invoices/{invoice.uuid}/close", token_from=page)
    [closed] = invoices_of(booking)
    assert closed.status == "closed" and closed.closed_at is not None
    pay_page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert "closed and no longer takes payments" in pay_page
    again = console.post(f"/console/invoices/{invoice.uuid}/resend", token_from=page)
    assert again.status_code == 302
    assert "The invoice is closed; there is nothing to send." in console.get(page).get_data(
        as_text=True)

    console.post(f"/console/invoices/{invoice.uuid}/reopen", token_from=page)
    [reopened] = invoices_of(booking)
    assert reopened.status == "open" and reopened.token != closed.token
    assert client.get(f"/pay/{token}").status_code == 404  # the old link died

    console.post(f"/console/invoices/{invoice.uuid}/delete", token_from=page)
    [deleted] = invoices_of(booking)
    assert deleted.deleted_at is not None
    html = console.get(page).get_data(as_text=True)
    assert f'data-testid="invoice-{invoice.uuid}" data-status="deleted"' in html


# ---- refunds (the sandbox behind the real stripe SDK) --------------------------------------

def test_refund_part_then_the_rest(pay_app, stripe_sdk):
    seeded = new_invoice(pay_app)
    client = pay_app.test_client()
    paid = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert paid.get_json()["success"], paid.get_json()
    with db.connection_context():
        merchant = seeded["booking"].merchant
        create_user(merchant, "owner@test.example", PASSWORD)
        payment = CustomerPayment.get(CustomerPayment.invoice == seeded["invoice"].id)
    console = Console(client, "owner@test.example")
    path = f"/console/payments/{payment.uuid}/refund"
    form = console.get(path).get_data(as_text=True)
    assert 'value="100.00"' in form
    attempt = re.search(r'name="attempt" type="hidden" value="([^"]+)"', form).group(1)

    too_much = console.post(path, {"amount": "100.01", "attempt": attempt}, token_from=path)
    assert too_much.status_code == 422
    assert field_error(too_much.get_data(as_text=True), "amount") == \
        "Enter an amount greater than zero and at most $100.00."
    for bad in ("0", "-1", "x", "1.001"):
        response = console.post(path, {"amount": bad, "attempt": attempt}, token_from=path)
        assert response.status_code == 422, bad

    part = console.post(path, {"amount": "30.00", "attempt": attempt}, token_from=path)
    assert part.status_code == 302, part.get_data(as_text=True)
    # The same rendering submitted twice (a double click) is one refund in Stripe.
    console.post(path, {"amount": "30.00", "attempt": attempt}, token_from=path)
    with db.connection_context():
        assert [r.amount_cents for r in Refund.select()] == [3000]
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 3000
    assert len(stripe_sdk.v1.refunds.list(params={"limit": 10}).data) == 1

    rest = console.get(path).get_data(as_text=True)
    assert 'value="70.00"' in rest
    attempt = re.search(r'name="attempt" type="hidden" value="([^"]+)"', rest).group(1)
    assert console.post(path, {"amount": "70.00", "attempt": attempt},
                        token_from=path).status_code == 302
    booking_page = console.get(f"/console/bookings/{seeded['booking'].uuid}").get_data(
        as_text=True)
    assert 'data-testid="payment-refunded">Refunded $100.00' in booking_page
    assert 'data-testid="refund-link"' not in booking_page


# ---- settings ------------------------------------------------------------------------------

def test_embed_origins_validated_like_the_api(console, shop):
    path = "/console/settings"
    bad = console.post("/console/settings/origins",
                       {"allowed_embed_origins": "https://shop.example\nftp://nope.example"},
                       token_from=path)
    assert bad.status_code == 422
    assert "is not an origin like" in field_error(bad.get_data(as_text=True),
                                                  "allowed_embed_origins")
    assert reload_merchant(shop["merchant"]).allowed_embed_origins == []
    good = console.post("/console/settings/origins", {
        "allowed_embed_origins": " HTTPS://Shop.Example/ \n\nhttp://localhost:8000\n"
                                 "https://shop.example"}, token_from=path)
    assert good.status_code == 302
    assert reload_merchant(shop["merchant"]).allowed_embed_origins == [
        "https://shop.example", "http://localhost:8000"]
    html = console.get(path).get_data(as_text=True)
    assert "https://shop.example\nhttp://localhost:8000" in html


def test_branding(console, shop):
    path = "/console/settings"
    bad = console.post("/console/settings/branding", {
        "name": "Harbour Tours", "brand_color": "blue", "logo_url": ""}, token_from=path)
    assert bad.status_code == 422
    assert "#0b5cab" in field_error(bad.get_data(as_text=True), "brand_color")
    http_logo = console.post("/console/settings/branding", {
        "name": "Harbour Tours", "logo_url": "http://cdn.example/logo.png"}, token_from=path)
    assert "https://" in field_error(http_logo.get_data(as_text=True), "logo_url")
    no_name = console.post("/console/settings/branding", {"name": ""}, token_from=path)
    assert field_error(no_name.get_data(as_text=True), "name")
    assert reload_merchant(shop["merchant"]).name == "Harbour Tours"
    ok = console.post("/console/settings/branding", {
        "name": "Harbour Tours & Kayaks", "brand_color": "#1b7f3b",
        "logo_url": "https://cdn.example/logo.png"}, token_from=path)
    assert ok.status_code == 302
    merchant = reload_merchant(shop["merchant"])
    assert (merchant.name, merchant.brand_color, merchant.logo_url) == (
        "Harbour Tours & Kayaks", "#1b7f3b", "https://cdn.example/logo.png")


def test_rotate_api_key_shows_the_new_key_once(console, shop):
    response = console.post("/console/settings/api-key", token_from="/console/settings")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    new_key = re.search(r'value="(pl_key_[^"]+)" data-testid="new-api-key"',
                        response.get_data(as_text=True)).group(1)
    with db.connection_context():
        assert authenticate(shop["api_key"]) is None
        assert authenticate(new_key).id == shop["merchant"].id
    assert new_key not in console.get("/console/settings").get_data(as_text=True)


# ---- CLI -----------------------------------------------------------------------------------

def test_create_user_command(app, runner):
    with db.connection_context():
        merchant, _ = factories.merchant()
    result = runner.invoke(args=["create-user", "Staff@Shop.Example", "--merchant-uuid",
                                 merchant.uuid, "--password", "long enough password"])
    assert result.exit_code == 0, result.output
    prompted = runner.invoke(args=["create-user", "second@shop.example", "--merchant-uuid",
                                   merchant.uuid], input="another long one\nanother long one\n")
    assert prompted.exit_code == 0, prompted.output
    assert sign_in(app.test_client(), "staff@shop.example",
                   "long enough password").status_code == 302
    taken = runner.invoke(args=["create-user", "staff@shop.example", "--merchant-uuid",
                                merchant.uuid, "--password", "long enough password"])
    assert taken.exit_code != 0 and "already exists" in taken.output
    short = runner.invoke(args=["create-user", "x@shop.example", "--merchant-uuid",
                                merchant.uuid, "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output
    unknown = runner.invoke(args=["create-user", "y@shop.example", "--merchant-uuid",
                                  "nope", "--password", "long enough password"])
    assert unknown.exit_code != 0 and "No merchant" in unknown.output


def test_seed_console_user_for_the_demo(app, runner):
    before = runner.invoke(args=["seed-console-user"])
    assert before.exit_code != 0 and "seed-demo" in before.output
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["seed-console-user"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)", result.output).group(1)
    client = app.test_client()
    assert sign_in(client, "demo@paylink.localhost", password).status_code == 302
    page = client.get("/console/bookings").get_data(as_text=True)
    assert "Blue Lagoon Kayak Tours" in page and "Alex Rivera" in page
    again = runner.invoke(args=["seed-console-user", "--password", "my demo password"])
    assert again.exit_code == 0
    assert sign_in(app.test_client(), "demo@paylink.localhost",
                   "my demo password").status_code == 302


# ---- markup: labels, describedby, no inline script or style (strict CSP) -------------------

def test_every_page_has_labelled_fields_and_no_inline_code(client, shop):
    booking = shop["booking"]
    pages = [client.get("/console/login"), sign_in(client, shop["email"], "wrong password!")]
    console = Console(client, shop["email"])
    console.send_invoice(booking, amount="40.00")
    pages += [
        console.get("/console/bookings"), console.get("/console/bookings?q=nobody"),
        console.get(f"/console/bookings/{booking.uuid}"),
        console.get(f"/console/bookings/{booking.uuid}/send-invoice"),
        console.send_invoice(booking, amount="abc", send_to_email_override="x"),
        console.get("/console/settings"),
        console.post("/console/settings/origins", {"allowed_embed_origins": "nope"},
                     token_from="/console/settings"),
        console.post("/console/settings/branding", {"name": "", "brand_color": "red"},
                     token_from="/console/settings"),
        console.post("/console/settings/api-key", token_from="/console/settings"),
    ]
    for response in pages:
        html = response.get_data(as_text=True)
        assert html_problems(html) == [], (response.request.path, html_problems(html))
        assert "nonce" not in html or 'type="application/json"' in html


# ---- both engines: the console's queries and the Send Invoice transaction ------------------

def test_search_and_send_on_both_engines(any_app):
    from services.merchants.console import booking_detail, create_and_send_invoice, search_bookings

    shop = seed_merchant()
    with db.connection_context():
        merchant, booking = shop["merchant"], shop["booking"]
        assert [b.id for b in search_bookings(merchant, "PAT@EXAMPLE").rows] == [booking.id]
        assert [b.id for b in search_bookings(merchant, booking.confirmation_code.lower())
                .rows] == [booking.id]
        assert search_bookings(merchant, "", "confirmed").rows == []
        invoice = create_and_send_invoice(booking, 4000, confirm_on_pay=True, send_type="email",
                                          send_to_email_override=None, memo=None)
        assert OutboxMessage.select().count() == 1
        with pytest.raises(ServiceError) as refused:
            create_and_send_invoice(booking, 20000, confirm_on_pay=False, send_type="email",
                                    send_to_email_override=None, memo=None)
        assert "more than the balance" in refused.value.message
        detail = booking_detail(Booking.get_by_id(booking.id))
        assert [i.id for i in detail.invoices] == [invoice.id]
        assert OutboxMessage.select().count() == 1
