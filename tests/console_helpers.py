"""Helpers for merchant console tests: a merchant with a signed-in user, CSRF tokens."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message
from html.parser import HTMLParser
from typing import Any

from models import Booking, Merchant, db
from services.merchants.console_auth import create_user
from tests import factories

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed_merchant(name: str = "Harbour Tours", email: str = "owner@harbour.example",
                  **merchant_fields: Any) -> dict[str, Any]:
    """A merchant, its API key, a console user and one booking (100.00 due, 2 agreements)."""
    with db.connection_context():
        merchant, api_key = factories.merchant(name, **merchant_fields)
        user = create_user(merchant, email, PASSWORD)
        booking = factories.booking(merchant)
    return {"merchant": merchant, "api_key": api_key, "user": user, "booking": booking,
            "email": email}


def csrf_token(client: Any, path: str = "/console/login") -> str:
    response = client.get(path)
    match = CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/console/login",
                       data={"email": email, "password": password, "csrf_token": token})


class Console:
    """A test client signed in to the console; POSTs carry a fresh CSRF token."""

    def __init__(self, client: Any, email: str, password: str = PASSWORD) -> None:
        self.client = client
        response = sign_in(client, email, password)
        assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, token_from: str = "/console/",
             **kw: Any) -> Any:
        token = csrf_token(self.client, "/console/settings" if token_from == "/console/"
                           else token_from)
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kw)

    def send_invoice(self, booking: Booking, **fields: Any) -> Any:
        path = f"/console/bookings/{booking.uuid}/send-invoice"
        data = {"amount": "100.00", "send_type": "email", **fields}
        return self.post(path, data, token_from=path)


def reload_merchant(merchant: Merchant) -> Merchant:
    with db.connection_context():
        return Merchant.get_by_id(merchant.id)


class Inbox:
    """aiosmtpd handler keeping every message it accepts (see tests/test_outbox.py)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def text(self, index: int) -> str:
        """The plain-text body, decoded (quoted-printable or base64 as sent)."""
        for part in self.messages[index].walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode(part.get_content_charset() or "utf8")
        raise AssertionError("no text/plain part")

    def pay_link(self, index: int) -> str:
        match = re.search(r"https?://\S+/pay/[A-Za-z0-9._\-]+", self.text(index))
        assert match, self.text(index)
        return match.group(0)


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.described: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and "for" in a:
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in (
                "hidden", "submit", "button"):
            self.controls.append(a)
        self.described += a.get("aria-describedby", "").split()
        if "style" in a or any(k.startswith("on") for k in a):
            self.problems.append(f"inline style or handler on <{tag}>")
        if tag == "script" and "src" not in a and a.get("type") != "application/json":
            self.problems.append("inline script")


def html_problems(html: str) -> list[str]:
    """What a validator would flag that matters here: ids, labels, describedby, CSP."""
    parser = _Structure()
    parser.feed(html)
    problems = list(parser.problems)
    problems += [f"duplicate id {i}" for i in {i for i in parser.ids if parser.ids.count(i) > 1}]
    problems += [f"no label for {c.get('name')}" for c in parser.controls
                 if c.get("id") not in parser.label_for]
    problems += [f"aria-describedby {d} has no target" for d in parser.described
                 if d not in parser.ids]
    if not html.lstrip().startswith("<!DOCTYPE html>"):
        problems.append("no doctype")
    return problems
