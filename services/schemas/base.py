"""Shared pieces of the API shapes, and turning pydantic's errors into a ServiceError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, ErrorDetails, core_schema

from services.common.errors import ServiceError

M = TypeVar("M", bound=BaseModel)
MAX_CENTS = 100_000_000_00  # same ceiling as the cart

Cents = Annotated[int, Field(ge=0, le=MAX_CENTS, description="Integer minor units (cents).")]
# Dates and times travel as strings; the services parse them (and say so when they cannot).
IsoDate = Annotated[str, Field(max_length=10, json_schema_extra={"format": "date"})]
DateTime = Annotated[str, Field(max_length=40, json_schema_extra={"format": "date-time"})]
Text = Annotated[str, Field(max_length=200)]

# A pattern's message for people (they read "a time like 09:30" better than the regex).
PATTERN_MESSAGES: dict[str, str] = {}


def matching(regex: str, message: str, **field: Any) -> Any:
    """A Field with ``pattern=regex`` whose refusal reads ``<field> <message>``."""
    PATTERN_MESSAGES[regex] = message
    return Field(pattern=regex, **field)


HhMm = Annotated[str, matching(r"^\d{2}:\d{2}$", "must be a time like 09:30.", max_length=5)]


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(options)]``: a string from the services' own tuple, so the list
    of choices is written once; documented as an enum."""

    options: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "enum": list(self.options)}

    def _check(self, value: str) -> str:
        if value not in self.options:
            raise ValueError(f"must be one of: {', '.join(self.options)}.")
        return value


class Body(BaseModel):
    """A request body: JSON types exactly (true is not 1, "12" is not 12)."""

    # defer_build: a shape's validator is built on its first use, not at import, so a
    # worker carries only the ones its requests need (each costs memory).
    model_config = ConfigDict(strict=True, extra="allow", defer_build=True)


class Query(BaseModel):
    """Query parameters: strings on the wire, so numbers are read from text."""

    model_config = ConfigDict(extra="allow", defer_build=True)


class Shape(BaseModel):
    """An answer's shape (documentation; answers are built by the services)."""

    model_config = ConfigDict(extra="allow", defer_build=True)


def dotted(location: tuple[int | str, ...]) -> str:
    """('cart', 'line_items', 0, 'name') -> 'cart.line_items[0].name'."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: ErrorDetails, name: str) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return f"{name} is required."
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"{name} must be an integer."
    if kind == "value_error":
        return f"{name} {ctx.get('error', error['msg'])}"
    if kind in ("string_type", "string_unicode"):
        return f"{name} must be a string."
    if kind == "bool_type":
        return f"{name} must be true or false."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{name} must be an object."
    if kind in ("list_type", "too_long") and "max_length" in ctx:
        return f"{name} must be a list of at most {ctx['max_length']} entries."
    if kind == "too_short":
        count = ctx["min_length"]
        return f"{name} needs at least {count} {'entry' if count == 1 else 'entries'}."
    if kind == "list_type":
        return f"{name} must be a list."
    if kind == "greater_than_equal":
        return f"{name} must be at least {ctx['ge']}."
    if kind == "less_than_equal":
        return f"{name} must be at most {ctx['le']}."
    if kind == "string_too_long":
        return f"{name} must be at most {ctx['max_length']} characters."
    if kind == "string_too_short":
        return f"{name} must not be empty."
    if kind == "string_pattern_mismatch":
        return f"{name} {PATTERN_MESSAGES.get(ctx.get('pattern', ''), 'has the wrong format.')}"
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of: {ctx.get('expected', '').replace(chr(39), '')}."
    return f"{name}: {error['msg']}."


def check(model: type[M], data: Any, *, code: str | None = None) -> M:
    """``data`` as ``model``; the first problem as a 422 ServiceError naming its field."""
    if not isinstance(data, dict):
        raise ServiceError("Send a JSON object.", code=code)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = _first(exc)
        name = dotted(tuple(p for p in error["loc"] if not _is_union_tag(p)))
        raise ServiceError(_message(error, name), field=name or None, code=code) from None


def _first(exc: ValidationError) -> ErrorDetails:
    # A union (uuid | {title, body}) reports one error per branch: the deepest is the branch
    # the value's type matched, the one a person meant. A value sent wrong is named before
    # one left out.
    errors = exc.errors(include_url=False)
    return max(errors, key=lambda e: (len(e["loc"]), e["type"] != "missing"))


def _is_union_tag(part: int | str) -> bool:
    # pydantic names union branches in the location ('constrained-str', 'AgreementCreate').
    return isinstance(part, str) and (part[:1].isupper() or not part.isidentifier())
