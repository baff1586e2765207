"""``@operation(...)``: what a JSON route takes and answers, declared once.

The declaration validates the request (query and body, through services.schemas) before the
view runs, and blueprints/openapi.py builds the published document from the same
declarations, so the document cannot describe a route differently from how it behaves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import request
from pydantic import BaseModel

from blueprints.api_support import json_body
from services.schemas.base import check

View = TypeVar("View", bound=Callable[..., Any])
Auth = Literal["key", "none", "either"]


@dataclass(frozen=True)
class Operation:
    summary: str
    answer: Any  # a schemas.responses model, or a union of them
    status: int = 200
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    auth: Auth = "key"
    idempotent: bool = False
    errors: tuple[int, ...] = ()  # beyond the ones every operation can answer
    # False where a service checks the body against the same model itself (the pay request).
    validate: bool = True


def operation(summary: str, answer: Any, **options: Any) -> Callable[[View], View]:
    """Attach an Operation to a view and check its input against it."""
    declared = Operation(summary, answer, **options)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if declared.validate:
                if declared.query is not None:
                    check(declared.query, request.args.to_dict())
                if declared.body is not None:
                    sent = declared.body_required or bool(request.get_data())
                    check(declared.body, json_body() if sent else {})
            return view(*args, **kwargs)

        checked.openapi = declared  # type: ignore[attr-defined]  # read by blueprints.openapi
        return checked  # type: ignore[return-value]  # same signature as the view

    return decorate


def declared_operation(view: Callable[..., Any]) -> Operation | None:
    """The Operation of a view, through any wrapping decorators (functools.wraps)."""
    while view is not None:
        found = getattr(view, "openapi", None)
        if isinstance(found, Operation):
            return found
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return None
