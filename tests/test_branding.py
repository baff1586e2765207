"""The merchant's colour and logo on the pay page, within the CSP and readable."""

from __future__ import annotations

from blueprints.branding import accent_color, contrast_with_white, logo_origin
from models import Merchant, db
from tests.pay_helpers import new_invoice


def test_accent_only_when_readable_under_white_text():
    assert accent_color("#0B5CAB") == "#0b5cab"
    assert contrast_with_white("#0b5cab") > 4.5
    assert accent_color("#ffdd00") is None  # yellow: white text unreadable
    assert accent_color("red") is None and accent_color(None) is None
    assert logo_origin("https://cdn.shop.example/logo.png") == "https://cdn.shop.example"
    assert logo_origin("http://cdn.shop.example/logo.png") is None
    assert logo_origin("javascript:alert(1)") is None


def test_pay_page_uses_brand_colour_and_logo(app, client):
    seeded = new_invoice(app)
    with db.connection_context():
        Merchant.update(brand_color="#7a1f5c", logo_url="https://cdn.shop.example/logo.png"
                        ).execute()
        merchant = Merchant.get()
    page = client.get(f"/pay/{seeded['token']}")
    html = page.get_data(as_text=True)
    assert f'href="/brand/{merchant.uuid}.css?v=7a1f5c"' in html
    assert 'src="https://cdn.shop.example/logo.png"' in html
    assert "img-src 'self' data: https://cdn.shop.example;" in page.headers[
        "Content-Security-Policy"]
    css = client.get(f"/brand/{merchant.uuid}.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert css.get_data(as_text=True).strip() == ":root{--accent:#7a1f5c}"
    # other pages do not widen img-src
    assert "img-src 'self' data:;" in client.get("/healthz").headers["Content-Security-Policy"]


def test_unreadable_or_missing_branding_falls_back(app, client):
    seeded = new_invoice(app)
    with db.connection_context():
        Merchant.update(brand_color="#ffdd00", logo_url="http://insecure.example/x.png").execute()
        merchant = Merchant.get()
    html = client.get(f"/pay/{seeded['token']}").get_data(as_text=True)
    assert "/brand/" not in html and "insecure.example" not in html
    assert client.get(f"/brand/{merchant.uuid}.css").status_code == 404
    assert client.get("/brand/unknown.css").status_code == 404
