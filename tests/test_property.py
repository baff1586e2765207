"""Bad input, generated: hypothesis on carts, amounts, pay requests and tokens; schemathesis
against the OpenAPI document the app serves (no 5xx, every response matches the schema).

The rules: the services never raise anything but ServiceError on any JSON a client can send,
and a pay-link or CSRF token survives no mutation.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from models import Booking, Invoice, db
from services.bookings.cart import MAX_CENTS, SECTIONS, cart_total, normalize_cart
from services.common.errors import ServiceError
from services.invoices import tokens
from services.payments.rules import PayRequest, choose_amount
from tests import factories
from tests.conftest import make_test_app, sandbox_config

SECRET = "property-secret"

# ---- strategies: what JSON can carry -------------------------------------------------------

big_ints = st.one_of(st.integers(-10, 10**4), st.integers(-(2**70), 2**70),
                     st.sampled_from([0, 1, MAX_CENTS, MAX_CENTS + 1, -1]))
scalars = st.one_of(st.none(), st.booleans(), big_ints,
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=12,
)
line = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.text(max_size=30), scalars),
    "quantity": st.one_of(big_ints, scalars),
    "unit_cents": st.one_of(big_ints, scalars),
    "amount_cents": st.one_of(big_ints, scalars),
})
section = st.one_of(st.lists(st.one_of(line, json_values), max_size=5), json_values)
carts = st.one_of(
    json_values,
    st.dictionaries(st.one_of(st.sampled_from(SECTIONS), st.text(max_size=8)), section,
                    max_size=5),
)

FAST = settings(max_examples=300, deadline=None)


@FAST
@given(carts)
def test_normalize_cart_accepts_or_refuses_with_service_error(raw) -> None:
    try:
        cart = normalize_cart(raw)
    except ServiceError:
        return
    assert set(cart) == set(SECTIONS) and cart["line_items"]
    for lines in cart.values():
        for item in lines:
            assert isinstance(item["quantity"], int) and item["quantity"] >= 1
            assert 0 <= item["unit_cents"] <= MAX_CENTS
            assert item["amount_cents"] == item["unit_cents"] * item["quantity"] <= MAX_CENTS
            assert item["name"] and item["name"] == item["name"].strip()
    assert cart_total(cart) >= 0
    assert normalize_cart(cart) == cart  # normalising is idempotent


pay_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={
        "stripeConfirmationToken": st.one_of(st.text(max_size=300), scalars),
        "agreements": st.one_of(st.lists(st.one_of(st.text(max_size=40), scalars),
                                         max_size=3), scalars),
        "handledNextAction": st.one_of(st.text(max_size=80), scalars),
        "attemptKey": st.one_of(st.text(max_size=50), scalars),
        "amountCents": st.one_of(big_ints, scalars),
        "tipCents": st.one_of(big_ints, scalars),
    }),
)


@FAST
@given(pay_bodies)
def test_pay_request_from_json_accepts_or_refuses_with_service_error(data) -> None:
    try:
        request = PayRequest.from_json(data)
    except ServiceError as exc:
        assert exc.status < 500
        return
    assert isinstance(request.agreements, list)
    assert all(isinstance(a, str) for a in request.agreements)
    for value in (request.amount_cents, request.tip_cents):
        assert value is None or (isinstance(value, int) and not isinstance(value, bool))
    for value in (request.confirmation_token, request.handled_next_action, request.attempt_key):
        assert value is None or (isinstance(value, str) and len(value) <= 255)


@FAST
@given(
    amount=st.integers(1, 10**9), paid=st.integers(0, 10**9), balance=st.integers(-10**6, 10**9),
    allow_partial=st.booleans(), min_partial=st.one_of(st.none(), st.integers(1, 10**9)),
    allow_tip=st.booleans(), requested=st.one_of(big_ints, scalars),
    tip=st.one_of(big_ints, scalars),
)
def test_choose_amount_never_charges_outside_what_is_due(amount, paid, balance, allow_partial,
                                                         min_partial, allow_tip, requested,
                                                         tip) -> None:
    invoice = Invoice(amount_cents=amount, amount_paid_cents=paid, allow_partial=allow_partial,
                      min_partial_cents=min_partial, allow_tip=allow_tip)
    booking = Booking(balance_cents=balance)
    due = max(min(invoice.due_cents, balance), 0)
    try:
        charged = choose_amount(invoice, booking, requested, tip)
    except ServiceError as exc:
        assert exc.status < 500
        return
    assert isinstance(charged, int) and not isinstance(charged, bool)
    assert 0 <= charged <= due
    if not allow_partial:
        assert charged == due
    elif charged != due:
        assert charged >= min(min_partial or 1, due)
    assert isinstance(tip, int) and not isinstance(tip, bool) and tip >= 0
    assert tip == 0 or allow_tip


@FAST
@given(st.text(max_size=250))
def test_unsign_never_raises(text) -> None:
    assert tokens.unsign(SECRET, text) is None or isinstance(tokens.unsign(SECRET, text), str)
    assert tokens.check_csrf(SECRET, "nonce", text) in (True, False)


@st.composite
def mutations(draw, token: str) -> str:
    """One edit: replace, insert or delete a character, truncate, or append."""
    alphabet = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=")
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "append", "swap"]))
    i = draw(st.integers(0, len(token) - 1))
    if kind == "replace":
        return token[:i] + draw(alphabet) + token[i + 1:]
    if kind == "insert":
        return token[:i] + draw(alphabet) + token[i:]
    if kind == "delete":
        return token[:i] + token[i + 1:]
    if kind == "truncate":
        return token[:i]
    if kind == "append":
        return token + draw(st.text(alphabet, min_size=1, max_size=5))
    j = draw(st.integers(0, len(token) - 1))
    chars = list(token)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


@st.composite
def mutated_tokens(draw) -> tuple[str, str, str]:
    nonce = tokens.new_nonce() if draw(st.booleans()) else draw(
        st.text(st.characters(codec="ascii"), min_size=1, max_size=30))
    token = tokens.sign(SECRET, nonce)
    return nonce, token, draw(mutations(token))


@settings(max_examples=500, deadline=None)
@given(mutated_tokens())
def test_any_mutation_of_a_pay_link_token_is_refused(case) -> None:
    nonce, token, mutated = case
    assert tokens.unsign(SECRET, token) == nonce
    assume(mutated != token)
    assert tokens.unsign(SECRET, mutated) is None
    assert tokens.unsign("another-secret", token) is None


def _same_csrf_bytes(a: str, b: str) -> bool:
    """Two spellings of one CSRF token: same nonce, same decoded timestamp and signature."""
    from itsdangerous.encoding import base64_decode

    pa, pb = a.rsplit(".", 2), b.rsplit(".", 2)
    if len(pa) != 3 or len(pb) != 3 or pa[0] != pb[0]:
        return False
    try:
        return all(base64_decode(x) == base64_decode(y) for x, y in zip(pa[1:], pb[1:]))
    except Exception:  # noqa: BLE001 - undecodable: not the same token
        return False


def test_csrf_token_accepts_only_its_canonical_spelling() -> None:
    nonce = tokens.new_nonce()
    csrf = tokens.make_csrf(SECRET, nonce)
    assert not tokens.check_csrf(SECRET, nonce, csrf + "=")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_mutation_of_a_csrf_token_is_refused(data) -> None:
    """Every edit that changes what the token says is refused (see the xfail above for
    other spellings of the same bytes)."""
    nonce = tokens.new_nonce()
    csrf = tokens.make_csrf(SECRET, nonce)
    assert tokens.check_csrf(SECRET, nonce, csrf)
    mutated = data.draw(mutations(csrf))
    assume(mutated != csrf and not _same_csrf_bytes(mutated, csrf))
    assert not tokens.check_csrf(SECRET, nonce, mutated)
    assert not tokens.check_csrf(SECRET, tokens.new_nonce(), csrf)  # bound to its pay link


# ---- schemathesis over the whole JSON API --------------------------------------------------

@pytest.fixture
def api_app(sqlite_url, sandbox):
    """The app on SQLite with the sandbox as Stripe, one merchant (and its key), one invoice."""
    app = make_test_app(sqlite_url, RATELIMIT_ENABLED=False, LOG_LEVEL="WARNING",
                        **sandbox_config(sandbox))
    with db.connection_context():
        merchant, key = factories.merchant()
        factories.invoice(factories.booking(merchant))
    app.config["PROPERTY_API_KEY"] = key
    yield app
    db.close()


def run_schemathesis(app, checks: list, max_examples: int = 8) -> list[str]:
    """Every operation of the served OpenAPI document, a few generated cases each (bounded
    for CI), with the merchant's key; the failures of all operations, collected."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {app.config['PROPERTY_API_KEY']}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=max_examples, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report all at once
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert operations >= 15
    return failures


@pytest.mark.slow
def test_api_never_answers_5xx_nor_undocumented_statuses(api_app) -> None:
    failures = run_schemathesis(api_app, [not_a_server_error, status_code_conformance,
                                          content_type_conformance])
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_api_responses_match_the_openapi_document(api_app) -> None:
    failures = run_schemathesis(api_app, [response_schema_conformance])
    assert not failures, "\n\n".join(failures)


# ---- hostile text in every field, over HTTP, on both engines (issue 13) --------------------

HOSTILE_PIECES = ["\u0000", "\udc80", "\ud83d", "\r\n", "\n", "\r", "\x1b", "\x7f", "\x85",
                  "\u2028", "\t", "é", "😀", "'", '"', "\\", "<script>"]
hostile_text = st.one_of(
    st.lists(st.one_of(st.text(max_size=6), st.sampled_from(HOSTILE_PIECES)),
             max_size=6).map("".join),
    st.integers(200, 60_000).map(lambda n: "x" * n),  # very long
)
# A raw JSON fragment: a hostile string (json.dumps writes a lone surrogate as \udc80, as a
# client would), or arrays/objects nested far past any sane depth.
hostile_json = st.one_of(
    hostile_text.map(json.dumps),
    st.integers(30, 20_000).map(lambda n: "[" * n + "]" * n),
    st.integers(30, 20_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
SLOT = "__HOSTILE__"
TEXT_FIELDS = {
    ("POST", "/api/v1/bookings"): [
        ("customer", "name"), ("customer", "email"), ("customer", "phone"), ("activity",),
        ("external_ref",), ("cart", "line_items", 0, "name"), ("agreements", 0, "title"),
        ("agreements", 0, "body"), ("status",), ("date",), ("start_time",)],
    ("POST", "/api/v1/agreements"): [("title",), ("body",)],
    ("PATCH", "/api/v1/merchant"): [("name",), ("locale",), ("timezone",), ("webhook_url",),
                                    ("branding", "logo_url"), ("branding", "brand_color")],
    ("POST", "/api/v1/invoices"): [("memo",), ("send_to_email_override",), ("booking",),
                                   ("expires_at",)],
    ("POST", "/api/v1/invoices/{uuid}/pay"): [
        ("stripeConfirmationToken",), ("attemptKey",), ("handledNextAction",),
        ("agreements", 0)],
}
@FAST
@given(value=hostile_text, multiline=st.booleans())
def test_string_fields_hold_clean_text_or_refuse_with_a_named_422(value, multiline) -> None:
    from services.common import fields, text

    try:
        stored = fields.string({"f": value}, "f", max_length=100_000, multiline=multiline)
    except ServiceError as exc:
        assert exc.status == 422 and exc.message.startswith("f ")
        return
    if stored is not None:
        stored.encode("utf-8")  # never a lone surrogate
        assert text.problem(stored, multiline=multiline) is None
        assert multiline or not any(c in stored for c in "\r\n\u2028\x85")


CASES = [(method, path, where) for (method, path), places in TEXT_FIELDS.items()
         for where in places]


def _body_with(template: dict, where: tuple, fragment: str) -> str:
    body = json.loads(json.dumps(template))
    target = body
    for key in where[:-1]:
        if isinstance(key, int):
            while len(target) <= key:
                target.append({"title": "T", "body": "B"})
        target = target[key]
    if isinstance(target, list):
        target.append(SLOT)
    else:
        target[where[-1]] = SLOT
    return json.dumps(body).replace(json.dumps(SLOT), fragment)


@pytest.fixture
def hostile_app(database_url, sandbox):
    app = make_test_app(database_url, LOG_LEVEL="WARNING", **sandbox_config(sandbox))
    with db.connection_context():
        merchant, key = factories.merchant()
        invoice = factories.invoice(factories.booking(merchant))
    app.config.update(PROPERTY_API_KEY=key, PROPERTY_INVOICE=invoice.uuid,
                      PROPERTY_BOOKING=invoice.booking.uuid)
    yield app
    db.close()


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), fragment=hostile_json)
def test_hostile_text_in_any_field_is_never_a_server_error(hostile_app, case, fragment):
    from tests.api_helpers import BOOKING

    method, path, where = case
    config = hostile_app.config
    templates = {
        "/api/v1/bookings": {**BOOKING, "agreements": []},
        "/api/v1/agreements": {"title": "T", "body": "B"},
        "/api/v1/merchant": {"branding": {}},
        "/api/v1/invoices": {"booking": config["PROPERTY_BOOKING"], "amount_cents": 100},
        "/api/v1/invoices/{uuid}/pay": {"agreements": []},
    }
    body = _body_with(templates[path], where, fragment)
    response = hostile_app.test_client().open(
        path.replace("{uuid}", config["PROPERTY_INVOICE"]), method=method,
        data=body.encode("utf-8", "surrogatepass"), content_type="application/json",
        headers={"Authorization": f"Bearer {config['PROPERTY_API_KEY']}"}
        if "/pay" not in path else {})
    assert response.status_code < 500, (path, where, fragment[:80], response.get_data())
    answer = response.get_json()
    assert answer is not None and "success" in answer
    if response.status_code == 422 and answer.get("code") == "invalid_text":
        assert answer["field"]  # the field is named
    if response.status_code < 300:  # accepted: what was stored (and echoed) is clean text
        from services.common import text

        text.check_json(answer)
