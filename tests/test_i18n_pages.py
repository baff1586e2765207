"""The pay page of every state in every locale: valid HTML (vnu), ``lang`` and ``dir``
right, and no English sentence of paylink's left (merchant text aside)."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

from models import Booking, CustomerPayment, Invoice, Slot, db, utcnow
from services.common.locales import LOCALES, RTL, babel_name, choices
from tests.conftest import make_test_app, sandbox_config
from tests.connect_helpers import open_invoice
from tests.console_helpers import seed_merchant
from tests.pay_helpers import new_invoice
from tests.test_html_valid import _set, vnu  # noqa: F401 (the vnu fixture)
from tests.test_i18n_catalogs import script

# What the merchant wrote (tests/factories.py) and names that are never translated.
MERCHANT_TEXT = ("Test Tours", "Kayak tour", "Booking fee", "Promo", "Tax", "Agreement 1",
                 "Agreement 2", "Terms.", "Meet at the pier", "Pat Doe", "P-CONF-1",
                 "Stripe", "paylink")
ENDONYMS = {name for _, name in choices()}


class Visible(HTMLParser):
    """Text nodes a reader sees (title included, scripts and styles not), and <html>'s
    attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self.root: dict[str, str | None] = {}
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.root = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skip:
            self.nodes.append(text)


def parse(html: str) -> Visible:
    page = Visible()
    page.feed(html)
    return page


def paylink_words(page: Visible, code: str) -> set[str]:
    """Each visible node with the merchant's text cut out, when Latin words remain."""
    found = set()
    for node in page.nodes:
        if node in ENDONYMS:
            continue
        for text in (*MERCHANT_TEXT, code):
            node = node.replace(text, "")
        node = re.sub(r"\b[A-Z0-9]{6,}\b", "", node)  # booking codes
        if re.search(r"[A-Za-z]{2,}", node):
            found.add(node.strip())
    return found


def same_as_english(tag: str) -> set[str]:
    """Messages a locale rightly writes as English does ("Total" in French)."""
    with open(script.catalog_paths(tag)[0], "rb") as f:
        return {m.id for m in read_po(f) if m.id and m.id == m.string}


def seed_states(app) -> tuple[dict[str, str], str]:
    """A pay-page path for each state, and the booking code they show."""
    pages = {}
    open_one = new_invoice(app, allow_tip=True, allow_partial=True, min_partial_cents=1000,
                           memo="Meet at the pier")
    pages["open"] = f"/pay/{open_one['token']}"
    paid = new_invoice(app)
    _set(Invoice, paid["invoice"].id, status="paid", paid_at=utcnow())
    with db.connection_context():
        CustomerPayment.create(booking=paid["booking"], invoice=paid["invoice"],
                               amount_cents=10000, currency="usd",
                               stripe_payment_intent_id="pi_i18n", confirmation_number="P-CONF-1")
    pages["paid"] = f"/pay/{paid['token']}"
    changes = {
        "closed": lambda s: _set(Invoice, s["invoice"].id, status="closed"),
        "canceled": lambda s: _set(Booking, s["booking"].id, status="canceled"),
        "no_balance": lambda s: _set(Booking, s["booking"].id, balance_cents=0),
        "expired": lambda s: _set(Invoice, s["invoice"].id,
                                  expires_at=utcnow() - timedelta(days=1)),
    }
    for state, change in changes.items():
        seeded = new_invoice(app)
        change(seeded)
        pages[state] = f"/pay/{seeded['token']}"
    with db.connection_context():
        full = Slot.create(merchant=open_one["booking"].merchant, capacity=0,
                           starts_at=utcnow(), ends_at=utcnow())
    pages["slot_unavailable"] = f"/pay/{new_invoice(app, booking_fields={'slot': full})['token']}"
    pages["not_found"] = "/pay/not-a-token"
    return pages, open_one["booking"].confirmation_code


def render(client, path: str, tag: str) -> str:
    joiner = "&" if "?" in path else "?"
    return client.get(f"{path}{joiner}lang={tag}").get_data(as_text=True)


def test_every_state_in_every_locale(app, vnu, tmp_path):  # noqa: F811 (fixture)
    client = app.test_client()
    pages, code = seed_states(app)
    english = {state: paylink_words(parse(render(client, path, "en")), code)
               for state, path in pages.items()}
    assert all(english.values())  # the comparison has English to look for
    files, leftovers = [], []
    for tag in LOCALES:
        allowed = same_as_english(tag)
        for state, path in pages.items():
            html = render(client, path, tag)
            page = parse(html)
            assert page.root.get("lang") == tag, (tag, state)
            assert page.root.get("dir") == ("rtl" if tag in RTL else None), (tag, state)
            if tag not in ("en", "en-GB"):
                left = (english[state] & paylink_words(page, code)) - allowed
                leftovers += [f"{tag} {state}: {text!r}" for text in sorted(left)]
            file = tmp_path / f"{tag}-{state}.html"
            file.write_text(html, encoding="utf-8")
            files.append(str(file))
    assert leftovers == [], "\n".join(leftovers)
    result = subprocess.run([*vnu, *files], capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [f"{Path(m['url']).name}: {m['message']}" for m in messages if m["type"] == "error"]
    assert errors == []
    assert len(files) == len(LOCALES) * len(pages)


def test_leftover_english_is_caught(app):
    """The comparison itself: a page with one English sentence left is found out."""
    client = app.test_client()
    pages, code = seed_states(app)
    english = paylink_words(parse(render(client, pages["open"], "en")), code)
    german = render(client, pages["open"], "de").replace("Kartendaten", "Card details")
    assert english & paylink_words(parse(german), code) == {"Card details"}


def test_picker_lists_every_locale_and_keeps_the_path(app):
    client = app.test_client()
    pages, _ = seed_states(app)
    html = render(client, pages["open"], "ar")
    assert 'data-testid="language-select"' in html and 'method="get"' in html
    assert f'action="{pages["open"]}"' in html
    assert html.count("<option ") == len(LOCALES)
    assert '<option value="ar" lang="ar" selected>' in html


def test_choice_from_customer_then_browser_then_merchant(app):
    client = app.test_client()
    seeded = new_invoice(app)
    path = f"/pay/{seeded['token']}"
    with db.connection_context():
        merchant = seeded["booking"].merchant
        merchant.locale = "fr_FR"
        merchant.save()
    assert parse(client.get(path).get_data(as_text=True)).root["lang"] == "fr"
    browser = client.get(path, headers={"Accept-Language": "it-CH, de;q=0.5"})
    assert parse(browser.get_data(as_text=True)).root["lang"] == "it"
    with db.connection_context():
        customer = seeded["booking"].customer
        customer.locale = "ja"
        customer.save()
    assert parse(client.get(path, headers={"Accept-Language": "it"}).get_data(
        as_text=True)).root["lang"] == "ja"
    assert parse(client.get(f"{path}?lang=he").get_data(as_text=True)).root["dir"] == "rtl"
    assert babel_name("zh-HK") == "zh_Hant_HK"


def test_json_messages_follow_the_page_language(app):
    client = app.test_client()
    seeded = new_invoice(app)
    answer = client.post(f"/pay/{seeded['token']}/confirm?lang=de",
                         json={"csrfToken": "forged"})
    assert answer.status_code == 403
    assert answer.get_json()["message"] == (
        "Diese Seite ist abgelaufen. Bitte laden Sie sie neu und versuchen Sie es erneut.")
    english = client.post(f"/pay/{seeded['token']}/confirm", json={"csrfToken": "forged"})
    assert english.get_json()["message"].startswith("This page has expired")


def test_pay_js_language_header_is_honoured(app):
    """pay.js sends the page's tag as Accept-Language with each confirm and status call."""
    client = app.test_client()
    seeded = new_invoice(app)
    answer = client.post(f"/pay/{seeded['token']}/confirm", json={"csrfToken": "forged"},
                         headers={"Accept-Language": "ja"})
    assert answer.get_json()["message"] == (
        "このページの有効期限が切れました。ページを再読み込みしてもう一度お試しください。")


def test_connect_unavailable_state_in_every_locale(sqlite_url, sandbox):
    """Connect on, a merchant without an account that can take charges: the 'unavailable'
    page speaks each language too."""
    app = make_test_app(sqlite_url, **sandbox_config(sandbox), STRIPE_CONNECT=True)
    client = app.test_client()
    shop = seed_merchant()
    with db.connection_context():
        seeded = open_invoice(app, shop["merchant"], check_account=False)
    path = f"/pay/{seeded['token']}"
    english = client.get(path).get_data(as_text=True)
    assert 'data-state="unavailable"' in english
    assert "This merchant cannot take payments right now." in english
    for tag in set(LOCALES) - {"en", "en-GB"}:
        html = render(client, path, tag)
        page = parse(html)
        assert page.root.get("lang") == tag
        assert "This merchant cannot take payments" not in html, tag
        assert ">unavailable<" not in html, tag
