"""The one rule for untrusted text, wherever it comes from (JSON, form, query, path, header).

PostgreSQL refuses NUL in text, SQLite and every encoder refuse lone surrogates, and a
CR/LF in a name ends up in an email header or a redirect. So text is refused (422, with
the field named) when it holds:

- anything that cannot be encoded as UTF-8 (lone surrogates, e.g. JSON ``"\\udc80"``);
- a control character (C0, DEL, C1), NUL included; multi-line text (agreement bodies,
  memos, the embed-origins textarea) may carry tab, LF and CR;
- in single-line text (names, titles, activity, ids), any line break, Unicode's included.

JSON bodies are also capped in depth before they are parsed: ``json.loads`` recurses,
and 100,000 nested brackets are a RecursionError.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from services.common.errors import ServiceError

# Lone surrogates are the only str values that cannot be encoded as UTF-8.
_SURROGATES = "\ud800-\udfff"
MULTI_LINE_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_SURROGATES}]")
SINGLE_LINE_BAD = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_SURROGATES}]")
# HTTP header values: RFC 9110 allows HTAB and obs-text (bytes 0x80-0xFF arrive as
# latin-1, so C1 code points are ordinary there).
HEADER_BAD = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class TextError(ServiceError):
    """A text value the rule refuses; ``field`` names where it was."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, code="invalid_text", field=field)


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is refused, or None when it is acceptable text."""
    found = (MULTI_LINE_BAD if multiline else SINGLE_LINE_BAD).search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return "must be valid Unicode text (it holds a lone surrogate)"
    if char in "\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85":
        return "must be a single line (no line breaks)"
    return f"must not contain control characters (found U+{ord(char):04X})"


def check(value: str, field: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or TextError (422) naming ``field``."""
    reason = problem(value, multiline=multiline)
    if reason is not None:
        raise TextError(field, f"{field} {reason}.")
    return value


def check_optional(value: str | None, field: str, *, multiline: bool = False) -> str | None:
    return None if value is None else check(value, field, multiline=multiline)


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys too) with where it is, like a.b[0].c."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str):
                    yield (where or "body") + " key", key
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


def check_json(value: Any) -> Any:
    """A whole parsed JSON body: every key and string value follows the multi-line rule
    (services apply the single-line rule to their own single-line fields)."""
    for where, text in _walk(value, ""):
        reason = problem(text, multiline=True)
        if reason is not None:
            field = where or "body"
            if field.endswith(" key"):
                raise TextError(field[:-4], f"A key in {field[:-4]} {reason}.")
            raise TextError(field, f"{field} {reason}.")
    return value


def json_depth_exceeds(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text nests arrays/objects deeper than ``limit``.

    Cheap for ordinary bodies: fewer brackets than the limit cannot nest deeper. Otherwise
    strings are cut out (brackets inside them do not count) and the rest is scanned,
    stopping at the first level past the limit.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b'""', raw).translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def header_safe(value: str) -> str:
    """Text fit for one email header line: every control character, line break or lone
    surrogate becomes a space (runs collapsed). Defence in depth for rows stored before
    the input rule, so a message never fails for ever on a header."""
    cleaned = SINGLE_LINE_BAD.sub(" ", value)
    return " ".join(cleaned.split())
