#!/usr/bin/env python3
"""Extract paylink's customer messages and write every locale's catalog.

    .venv/bin/python scripts/translations.py          # extract, write .po and .mo, check
    .venv/bin/python scripts/translations.py --check  # fail if a catalog is stale or missing

Texts live in translations/source/<tag>.py (``T``: key -> text, ``BASE``: a tag whose texts
fill the keys it does not set, e.g. fr-CA on fr); keys are translations/source/keys.py.
The compiled .mo files are committed next to their .po (see README, Languages).
"""

from __future__ import annotations

import io
import runpy
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.common.locales import LOCALES  # noqa: E402
from translations.source.keys import KEYS  # noqa: E402

TRANSLATIONS = ROOT / "translations"
# services.common.locales' helpers, besides gettext's own names (N_ is one of those).
KEYWORDS = {**DEFAULT_KEYWORDS, "translate": None, "translate_plural": (1, 2)}
STAMP = datetime(2026, 12, 2, tzinfo=UTC)
SOURCE = TRANSLATIONS / "source"


def extracted() -> list[str | tuple[str, ...]]:
    """Every msgid pybabel extract finds with babel.cfg, in first-seen order."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    seen: dict[str | tuple[str, ...], None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        seen.setdefault(message if isinstance(message, str) else tuple(message[:2]), None)
    return list(seen)


def _order(msgid: str | tuple[str, ...]) -> tuple[str, ...]:
    """A sort key for singular (str) and plural (tuple) msgids together."""
    return (msgid,) if isinstance(msgid, str) else msgid


def texts(tag: str, keys: dict[str, Any]) -> dict[str, Any]:
    """key -> text for ``tag``, its BASE's texts under its own; English is the msgid."""
    if tag == "en":
        return {key: list(msgid) if isinstance(msgid, tuple) else msgid
                for key, msgid in keys.items()}
    found = runpy.run_path(str(SOURCE / f"{tag}.py"))
    own: dict[str, Any] = found["T"]
    base = found.get("BASE")
    return {**(texts(base, keys) if base else {}), **own}


def build(tag: str, keys: dict[str, Any]) -> tuple[bytes, bytes, list[str]]:
    """The .po and .mo bytes of one locale, and its problems (missing, checker errors)."""
    name = LOCALES[tag]
    catalog = Catalog(locale=name, domain="messages", project="paylink",
                      copyright_holder="paylink", fuzzy=False)
    catalog.creation_date = catalog.revision_date = STAMP  # the same bytes on every run
    given = texts(tag, keys)
    problems = [f"{tag}: no text for {key!r}" for key in keys if not given.get(key)]
    problems += [f"{tag}: unknown key {key!r}" for key in given if key not in keys]
    for key, msgid in keys.items():
        text = given.get(key, "")
        catalog.add(msgid, tuple(text) if isinstance(text, list) else text)
    for message, errors in catalog.check():
        problems += [f"{tag}: {message.id!r}: {error}" for error in errors]
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, catalog, width=100, omit_header=False, sort_output=False)
    write_mo(mo, catalog)
    return po.getvalue(), mo.getvalue(), problems


def catalog_paths(tag: str) -> tuple[Path, Path]:
    folder = TRANSLATIONS / LOCALES[tag] / "LC_MESSAGES"
    return folder / "messages.po", folder / "messages.mo"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    problems = []
    found, keyed = set(extracted()), set(KEYS.values())
    missing = sorted(found - keyed, key=_order)
    problems += [f"no key in translations/source/keys.py for {m!r}" for m in missing]
    unused = sorted(keyed - found, key=_order)
    problems += [f"key for a message no code uses: {m!r}" for m in unused]
    wanted = [t for t in LOCALES if t == "en" or (SOURCE / f"{t}.py").exists()]
    problems += [f"{t}: no translations/source/{t}.py" for t in LOCALES if t not in wanted]
    for tag in wanted:
        po, mo, found = build(tag, KEYS)
        problems += found
        po_path, mo_path = catalog_paths(tag)
        if check:
            if not po_path.exists() or po_path.read_bytes() != po or mo_path.read_bytes() != mo:
                problems.append(f"{tag}: {po_path} is stale: run scripts/translations.py")
        else:
            po_path.parent.mkdir(parents=True, exist_ok=True)
            po_path.write_bytes(po)
            mo_path.write_bytes(mo)
    for line in problems:
        print(line, file=sys.stderr)
    print(f"{len(wanted)} catalogs, {len(KEYS)} messages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
