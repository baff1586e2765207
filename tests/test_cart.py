"""Cart validation and totals in integer cents."""

from __future__ import annotations

import pytest

from services.bookings.cart import cart_total, normalize_cart
from services.common.errors import ServiceError
from services.common.money import format_money
from tests.factories import CART


def test_totals():
    cart = normalize_cart(CART)
    assert cart["line_items"][0]["amount_cents"] == 10000
    assert cart_total(cart) == 10000


@pytest.mark.parametrize("bad", [
    [], {"line_items": []}, {"line_items": [{"name": "x", "unit_cents": -1}]},
    {"line_items": [{"name": "x", "unit_cents": 1.5}]},
    {"line_items": [{"name": "x", "unit_cents": "100"}]},
    {"line_items": [{"name": "x", "unit_cents": True}]},
    {"line_items": [{"name": "", "unit_cents": 100}]},
    {"line_items": [{"name": "x", "unit_cents": 100, "quantity": 0}]},
    {"line_items": [{"name": "x", "unit_cents": 10**15}]},
    {"line_items": [{"name": "x", "unit_cents": 1}], "tips": []},
])
def test_bad_carts_have_clear_messages(bad):
    with pytest.raises(ServiceError) as info:
        normalize_cart(bad)
    assert info.value.message and info.value.status == 422


def test_money_is_formatted_by_babel_per_locale():
    assert format_money(23476, "usd", "en_US") == "$234.76"
    assert format_money(23476, "eur", "de_DE") == "234,76\xa0€"
    assert format_money(5000, "jpy", "ja_JP") == "￥5,000"
