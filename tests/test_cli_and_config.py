"""CLI commands, configuration rules and the health check."""

from __future__ import annotations

import json

import pytest

from app import create_app
from models import Booking, Invoice, Merchant, db
from runtime.config import ConfigError, check_production, from_environment
from services.merchants.keys import authenticate


def test_seed_demo_prints_pay_link_last_and_reuses_merchant(app, runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    assert lines[-1].startswith("http://localhost/pay/")
    assert "API key" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "API key" not in second.output
    with db.connection_context():
        assert Merchant.select().count() == 1
        assert Invoice.select().where(Invoice.status == "open").count() == 2
        booking = Booking.get()
        cart = booking.cart
        assert cart["line_items"] and cart["fees"] and cart["discounts"]
        assert booking.required_agreements.count() == 2 and booking.slot is not None
    page = client.get(lines[-1].removeprefix("http://localhost"))
    assert page.status_code == 200 and b"Sunrise Sea-Kayak Tour" in page.data


def test_seed_demo_json(app, runner):
    first = json.loads(runner.invoke(args=["seed-demo", "--json"]).output)
    assert set(first) >= {"pay_url", "invoice_uuid", "booking_uuid", "merchant_api_key"}
    with db.connection_context():
        assert authenticate(first["merchant_api_key"]).name == "Blue Lagoon Kayak Tours"
    second = json.loads(runner.invoke(args=["seed-demo", "--json"]).output)
    assert "merchant_api_key" not in second
    assert second["invoice_uuid"] != first["invoice_uuid"]
    assert second["pay_url"] != first["pay_url"]


def test_create_merchant_prints_key_once_and_stores_hash(app, runner):
    result = runner.invoke(args=["create-merchant", "Harbour Bikes", "--currency", "eur",
                                 "--locale", "de_DE"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1].split(": ")[-1]
    with db.connection_context():
        merchant = authenticate(key)
        assert merchant.name == "Harbour Bikes" and merchant.currency == "eur"
        assert key not in merchant.api_key_hash and merchant.api_key_hash != key
        assert authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        assert authenticate("") is None and authenticate(None) is None


def test_production_refuses_dev_or_missing_secrets():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        check_production(from_environment({"PAYLINK_ENV": "production"}))
    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY"):
        check_production(from_environment({"PAYLINK_ENV": "production", "SECRET_KEY": "s" * 40}))
    check_production(from_environment({
        "PAYLINK_ENV": "production", "SECRET_KEY": "s" * 40,
        "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
    }))
    with pytest.raises(ConfigError):
        create_app({"PAYLINK_ENV": "production", "SECRET_KEY": "s" * 40})


def test_environment_is_read_and_typed():
    config = from_environment({"MAIL_PORT": "2525", "MAIL_USE_TLS": "true",
                               "DATABASE_URL": "postgresql://x/y"})
    assert config["MAIL_PORT"] == 2525 and config["MAIL_USE_TLS"] is True
    assert config["DATABASE_URL"] == "postgresql://x/y"
    assert from_environment({})["STRIPE_JS_URL"] == "https://js.stripe.com/v3/"


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_healthz_reports_database_down(tmp_path):
    app = create_app({"TESTING": True,
                      "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_unknown_page_is_friendly_404_and_api_is_json(client):
    page = client.get("/nope")
    assert page.status_code == 404 and b"Link not found" in page.data
    api = client.get("/api/v1/nope")
    assert api.status_code == 404 and api.json["success"] is False and api.json["message"]
