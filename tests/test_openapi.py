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
