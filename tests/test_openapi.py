"""The OpenAPI document matches the live routes both ways."""

from __future__ import annotations

import re


def documented(spec):
    return {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}


def routed(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/healthz":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            found |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_openapi_document_matches_routes(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    assert documented(spec) == routed(app)
    public = spec["paths"]["/api/v1/invoices/{uuid}/pay"]["post"]
    body = public["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"stripeConfirmationToken", "agreements", "handledNextAction", "amountCents",
            "tipCents"} <= set(body)


def test_every_ref_resolves(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    refs = set(re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', str(spec).replace("'", '"')))
    assert refs
    for section, name in refs:
        assert name in spec["components"][section], name


# ---- one declaration: the document and the validation come from the same shapes -----------

WRONG = {"string": 12, "integer": "12", "boolean": "yes", "array": "x", "object": "x"}


def _type(prop, components):
    """The JSON type a property declares (through $ref and `X | null`), or None."""
    if "$ref" in prop:
        return "object"
    if "type" in prop:
        return prop["type"]
    kinds = [p for p in prop.get("anyOf", []) if p.get("type") != "null"]
    return _type(kinds[0], components) if len(kinds) == 1 else None


def test_every_documented_body_field_is_validated_as_documented(app, client):
    """For each body field the document types, a value of another type is refused with a
    422 naming that field: the document is what the server enforces."""
    from tests.api_helpers import Api, new_merchant

    api = Api(client, new_merchant()[1])
    spec = client.get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            schema = body["content"]["application/json"]["schema"]
            url = path.replace("{uuid}", "00000000-0000-0000-0000-000000000000")
            for name, prop in schema["properties"].items():
                kind = _type(prop, components)
                if kind not in WRONG:
                    continue
                response = client.open(url, method=method.upper(), json={name: WRONG[kind]},
                                       headers=api._headers(None))
                assert response.status_code == 422, (method, path, name, response.json)
                assert response.json["field"] == name, (method, path, name, response.json)
                checked += 1
    assert checked >= 40


def test_the_document_names_the_declared_shapes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for name in ("Error", "Invoice", "InvoiceCreate", "Booking", "BookingUpsert", "Merchant",
                 "MerchantPatch", "Refund", "PayBody", "PublicInvoice"):
        assert name in schemas, name
    assert schemas["Error"]["required"] == ["success", "message"]
    listing = spec["paths"]["/api/v1/invoices"]["get"]["parameters"]
    status = next(p for p in listing if p["name"] == "status")
    assert "paid" in str(status["schema"]) and "partially_paid" in str(status["schema"])
    created = spec["paths"]["/api/v1/invoices"]["post"]
    assert set(created["responses"]) >= {"201", "400", "401", "404", "409", "413", "422"}
