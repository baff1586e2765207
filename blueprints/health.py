"""Liveness with a real database round-trip, for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from peewee import PeeweeException

from blueprints.api_docs import operation
from models import db
from services.schemas.responses import Health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation("Health check with a database round trip.", Health, auth="none", errors=(503,))
def healthz() -> ResponseReturnValue:
    """200 when the database answers a query, 503 when it does not."""
    try:
        db.execute_sql("SELECT 1").fetchone()
    except PeeweeException as exc:
        return jsonify(status="error", database="unreachable", error=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
