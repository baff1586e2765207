"""The OpenAPI 3.1 document of the whole JSON API, built from the routes' declarations.

Every JSON route carries an ``@operation`` (blueprints.api_docs) naming its shapes in
services.schemas; this module only arranges them, so there is one source of truth.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import TypeAdapter

from blueprints.api_docs import Operation, declared_operation, operation
from services.schemas import responses

bp = Blueprint("openapi", __name__)

REF = "#/components/schemas/{model}"
# Every operation may answer these; 422 also for text the input rule refuses (NUL, lone
# surrogates, control characters), with the field named; 400 for JSON nested too deep.
COMMON_ERRORS = (400, 401, 404, 409, 422)
BODY_ERRORS = (413,)  # a body larger than the configured cap
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "maxLength": 255},
               "description": "Replays answer the first response; another body → 422."}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "key": [{"bearerAuth": []}], "none": [], "either": [{}, {"bearerAuth": []}]}


def build(app: Flask) -> dict[str, Any]:
    """The document for ``app``'s routes that declare an operation."""
    found: list[tuple[str, str, list[str], Operation]] = []
    for rule in app.url_map.iter_rules():
        declared = declared_operation(app.view_functions[rule.endpoint])
        if declared is None:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), sorted(rule.arguments), declared))
    schemas = _schemas([d for *_, d in found])
    paths: dict[str, Any] = {}
    for path, method, arguments, declared in found:
        paths.setdefault(path, {})[method] = _operation(declared, arguments, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "paylink API", "version": "1",
                 "description": "Public pay client and merchant API. Money is integer cents; "
                                "times are UTC ISO 8601. Errors: {success: false, message, "
                                "field}."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "The merchant API key."}},
            "responses": {"Error": {
                "description": "Refused, with a message for people.",
                "content": {"application/json": {"schema": {"$ref": REF.format(
                    model="Error")}}}}},
        },
    }


def _shapes(declared: Operation) -> list[Any]:
    return [t for t in (declared.answer, declared.body, declared.query) if t is not None]


def _schemas(operations: list[Operation]) -> dict[str, Any]:
    """One JSON Schema per shape, sharing ``components.schemas``; keyed by id(shape)."""
    shapes = {id(t): t for d in operations for t in _shapes(d)}
    shapes[id(responses.Error)] = responses.Error
    by_key, defs = TypeAdapter.json_schemas(
        [(key, "validation", TypeAdapter(t)) for key, t in shapes.items()], ref_template=REF)
    out: dict[str, Any] = {"$defs": defs.get("$defs", {})}
    out.update({str(key): schema for (key, _), schema in by_key.items()})
    return out


def _operation(declared: Operation, arguments: list[str],
               schemas: dict[str, Any]) -> dict[str, Any]:
    def schema(shape: Any) -> dict[str, Any]:
        return schemas[str(id(shape))]

    error = {"$ref": "#/components/responses/Error"}
    codes = COMMON_ERRORS + declared.errors + (BODY_ERRORS if declared.body else ())
    answers: dict[str, Any] = {str(declared.status): {
        "description": declared.summary,
        "content": {"application/json": {"schema": schema(declared.answer)}}}}
    answers.update({str(code): error for code in sorted(set(codes))})
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in arguments]
    if declared.query is not None:
        query = _resolve(schema(declared.query), schemas)
        parameters += [{"name": name, "in": "query", "required": False, "schema": prop}
                       for name, prop in query.get("properties", {}).items()]
    if declared.idempotent:
        parameters.append(IDEMPOTENCY)
    out: dict[str, Any] = {"summary": declared.summary, "responses": answers,
                           "security": SECURITY[declared.auth]}
    if parameters:
        out["parameters"] = parameters
    if declared.body is not None:
        out["requestBody"] = {"required": declared.body_required,
                              "content": {"application/json": {
                                  "schema": _resolve(schema(declared.body), schemas)}}}
    return out


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return schemas["$defs"][ref.rsplit("/", 1)[1]] if ref else schema


@bp.get("/api/v1/openapi.json")
@operation("This document (OpenAPI 3.1).", dict[str, Any], auth="none")
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI 3.1 document (built once per app: Flask takes no routes after its first
    request, so the document cannot change)."""
    spec = current_app.extensions.get("openapi")
    if spec is None:
        spec = current_app.extensions["openapi"] = build(current_app)
    return jsonify(spec)
