"""Which language a request is answered in (flask-babel's locale selector) and the
picker's data; the rule itself is services.common.locales.choose.

Only the customer's pages (the pay blueprint, its error pages) follow the customer's
language; the console and the APIs answer in English.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, g, has_request_context, request

from services.common import locales


def request_locale(customer: str | None = None, merchant: str | None = None) -> str:
    """``?lang=``, else the customer's, else Accept-Language, else the merchant's."""
    return locales.choose(request.args.get("lang"), customer,
                          request.accept_languages.values(), merchant)


def current_tag() -> str:
    """The tag this request speaks (set by the pay page once it knows the customer)."""
    tag = g.get(locales.CURRENT)
    if tag is None:
        # The pay routes' own pages and their errors (a 405 matches no rule, so no blueprint).
        if not (has_request_context() and (request.blueprint == "pay"
                                           or request.path.startswith("/pay/"))):
            return locales.DEFAULT  # not a customer's page: English, merchant formats
        tag = request_locale()
        setattr(g, locales.CURRENT, tag)
    return str(tag)


def use_locale(tag: str) -> None:
    """Answer this request in ``tag`` (flask-babel caches its choice: refresh it)."""
    setattr(g, locales.CURRENT, tag)
    flask_babel.refresh()


def select_locale() -> str:
    return locales.babel_name(current_tag())


def register(app: Flask, babel: flask_babel.Babel) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _language() -> dict[str, Any]:
        tag = current_tag()
        return {"page_lang": tag, "page_dir": locales.direction(tag)}
