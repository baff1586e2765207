"""Pay-link tokens: only genuine, canonical tokens for live invoices open a page."""

from __future__ import annotations

import secrets

import pytest

from models import Invoice, db, utcnow
from services.invoices import tokens
from services.invoices.links import invoice_for_token, pay_token, rotate_token
from tests import factories

KEY = "test-secret-key"


def test_round_trip():
    nonce = tokens.new_nonce()
    assert tokens.unsign(KEY, tokens.sign(KEY, nonce)) == nonce


def test_nonce_is_unguessable_length():
    assert len({tokens.new_nonce() for _ in range(1000)}) == 1000
    assert len(tokens.new_nonce()) >= 22  # 128 bits in base64url


@pytest.mark.parametrize("position", range(0, 60, 3))
def test_every_changed_character_is_refused(position):
    token = tokens.sign(KEY, tokens.new_nonce())
    position %= len(token)
    for replacement in "AaZz09-_":
        if token[position] == replacement:
            continue
        tampered = token[:position] + replacement + token[position + 1:]
        assert tokens.unsign(KEY, tampered) is None, tampered


def test_truncated_random_and_foreign_tokens_are_refused():
    token = tokens.sign(KEY, tokens.new_nonce())
    assert tokens.unsign(KEY, token[:-1]) is None
    assert tokens.unsign(KEY, token[: len(token) // 2]) is None
    assert tokens.unsign(KEY, secrets.token_urlsafe(40)) is None
    assert tokens.unsign(KEY, "") is None
    assert tokens.unsign(KEY, "x" * 5000) is None
    assert tokens.unsign("another-key", token) is None
    assert tokens.redact(token) != token and len(tokens.redact(token)) < 10


def test_http_tampered_truncated_random_are_plain_404(app, client):
    with db.connection_context():
        invoice = factories.invoice()
        token = pay_token(invoice, app.config["SECRET_KEY"])
    assert client.get(f"/pay/{token}").status_code == 200
    last = "A" if token[-1] != "A" else "B"
    for bad in (token[:-1] + last, token[:-5], token + "x", secrets.token_urlsafe(40),
                "%00", "a" * 300, token.replace(".", "")):
        response = client.get(f"/pay/{bad}")
        assert response.status_code == 404, bad
        assert b"Link not found" in response.data


def test_deleted_invoice_and_rotated_token_are_404(app, client):
    with db.connection_context():
        invoice = factories.invoice()
        old = pay_token(invoice, app.config["SECRET_KEY"])
        rotate_token(invoice)
        invoice.save()
        new = pay_token(invoice, app.config["SECRET_KEY"])
    assert client.get(f"/pay/{old}").status_code == 404
    assert client.get(f"/pay/{new}").status_code == 200
    with db.connection_context():
        Invoice.update(deleted_at=utcnow()).where(Invoice.id == invoice.id).execute()
        assert invoice_for_token(new, app.config["SECRET_KEY"]) is None
    assert client.get(f"/pay/{new}").status_code == 404


def test_csrf_token_is_itsdangerous_own_signature():
    """make_csrf is itsdangerous's TimestampSigner, bound to one link, and checks."""
    import time

    from itsdangerous import TimestampSigner

    nonce = tokens.new_nonce()
    for _ in range(5):  # the two must fall in the same second
        second = int(time.time())
        ours = tokens.make_csrf("a-key", nonce)
        theirs = TimestampSigner("a-key", salt=tokens.CSRF_SALT).sign(nonce).decode()
        if int(time.time()) == second:
            break
    assert ours == theirs
    assert tokens.check_csrf("a-key", nonce, ours)
    assert not tokens.check_csrf("other-key", nonce, ours)
    assert not tokens.check_csrf("a-key", tokens.new_nonce(), ours)
