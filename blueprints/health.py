"""Liveness with a real database round-trip, for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from peewee import PeeweeException

from models import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the database answers a query, 503 when it does not."""
    try:
        db.execute_sql("SELECT 1").fetchone()
    except PeeweeException as exc:
        return jsonify(status="error", database="unreachable", error=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
