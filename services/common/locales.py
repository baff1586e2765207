"""The customer's language: the locales paylink speaks and how one is chosen.

Tags are Stripe's (``pt-BR``, ``zh-HK``, ``es-419``): they go to the Payment Element, into
``?lang=`` links and ``customer.locale``. Each maps to the Babel locale whose catalog and
number/date rules the page uses (``zh-HK`` -> ``zh_Hant_HK``).
"""

from __future__ import annotations

from collections.abc import Iterable

import flask_babel
from flask import g, has_request_context

from services.common.errors import ServiceError

# Stripe Checkout's 40 locale codes, plus the Payment Element's ar and he.
LOCALES: dict[str, str] = {
    "bg": "bg", "cs": "cs", "da": "da", "de": "de", "el": "el", "en": "en",
    "en-GB": "en_GB", "es": "es", "es-419": "es_419", "et": "et", "fi": "fi",
    "fil": "fil", "fr": "fr", "fr-CA": "fr_CA", "hr": "hr", "hu": "hu", "id": "id",
    "it": "it", "ja": "ja", "ko": "ko", "lt": "lt", "lv": "lv", "ms": "ms", "mt": "mt",
    "nb": "nb", "nl": "nl", "pl": "pl", "pt": "pt", "pt-BR": "pt_BR", "ro": "ro",
    "ru": "ru", "sk": "sk", "sl": "sl", "sv": "sv", "th": "th", "tr": "tr", "vi": "vi",
    "zh": "zh_Hans", "zh-HK": "zh_Hant_HK", "zh-TW": "zh_Hant_TW", "ar": "ar", "he": "he",
}
DEFAULT = "en"
RTL = frozenset({"ar", "he"})
# Where a request keeps the language it speaks (blueprints.language sets it).
CURRENT = "paylink_locale"
_BY_LOWER = {tag.lower(): tag for tag in LOCALES}
# Tags a browser or an integrator may send that name one of ours under another spelling.
_ALIASES = {
    "no": "nb", "nn": "nb", "iw": "he", "tl": "fil", "in": "id", "zh-hans": "zh",
    "zh-cn": "zh", "zh-sg": "zh", "zh-hant": "zh-TW", "zh-mo": "zh-HK",
    "zh-hant-hk": "zh-HK", "zh-hant-tw": "zh-TW", "zh-hans-cn": "zh", "pt-pt": "pt",
    "es-es": "es",
}
# Spanish outside Spain (and its Equatorial Guinea) reads Latin American Spanish best.
_SPAIN = {"es", "ea", "ic", "gq"}


def supported(value: str | None) -> str | None:
    """Our tag for a language tag or Babel name (``de-AT`` -> ``de``), or None."""
    if not value or not isinstance(value, str) or len(value) > 35:
        return None
    key = value.strip().replace("_", "-").lower()
    if key in _BY_LOWER:
        return _BY_LOWER[key]
    if key in _ALIASES:
        return _ALIASES[key]
    parts = key.split("-")
    language, region = parts[0], parts[-1] if len(parts) > 1 else ""
    if language == "es" and region and region not in _SPAIN:
        return "es-419"
    if language == "pt" and region == "br":
        return "pt-BR"
    if language == "zh" and ("hant" in parts or region in ("hk", "mo", "tw")):
        return "zh-HK" if region in ("hk", "mo") else "zh-TW"
    if language == "fr" and region == "ca":
        return "fr-CA"
    if language == "en" and region in ("gb", "uk", "ie", "au", "nz", "in", "za"):
        return "en-GB"
    return _BY_LOWER.get(language) or _ALIASES.get(language)


def choose(lang: str | None, customer: str | None, accepted: Iterable[str],
           merchant: str | None) -> str:
    """``?lang=``, else the customer's own, else the browser's best, else the merchant's."""
    for candidate in (lang, customer):
        found = supported(candidate)
        if found:
            return found
    for candidate in accepted:
        found = supported(candidate)
        if found:
            return found
    return supported(merchant) or DEFAULT


def customer_locale(value: object, field: str = "customer.locale") -> str | None:
    """A customer's language as given to the API or console: one of ours, or None to clear."""
    if value is None or value == "":
        return None
    found = supported(value) if isinstance(value, str) else None
    if found is None:
        raise ServiceError(f"{field} must be one of: {', '.join(LOCALES)}.", field=field,
                           code="invalid_locale")
    return found


def babel_name(tag: str) -> str:
    return LOCALES.get(tag, LOCALES[DEFAULT])


def direction(tag: str) -> str:
    return "rtl" if tag in RTL else "ltr"


# Each language's own name for itself, as the picker lists it: CLDR's display names
# (Babel's get_display_name) written out once, with the short forms a reader looks for in a
# list (简体中文, English (UK), ...). Asking Babel per page would load all 42 locales' CLDR
# data into every worker (about 90 MB) to print 42 words.
ENDONYMS = {
    'ar': 'العربية',
    'bg': 'Български',
    'cs': 'Čeština',
    'da': 'Dansk',
    'de': 'Deutsch',
    'el': 'Ελληνικά',
    'en': 'English',
    'en-GB': 'English (UK)',
    'es': 'Español',
    'es-419': 'Español (Latinoamérica)',
    'et': 'Eesti',
    'fi': 'Suomi',
    'fil': 'Filipino',
    'fr': 'Français',
    'fr-CA': 'Français (Canada)',
    'he': 'עברית',
    'hr': 'Hrvatski',
    'hu': 'Magyar',
    'id': 'Bahasa Indonesia',
    'it': 'Italiano',
    'ja': '日本語',
    'ko': '한국어',
    'lt': 'Lietuvių',
    'lv': 'Latviešu',
    'ms': 'Bahasa Melayu',
    'mt': 'Malti',
    'nb': 'Norsk bokmål',
    'nl': 'Nederlands',
    'pl': 'Polski',
    'pt': 'Português (Portugal)',
    'pt-BR': 'Português (Brasil)',
    'ro': 'Română',
    'ru': 'Русский',
    'sk': 'Slovenčina',
    'sl': 'Slovenščina',
    'sv': 'Svenska',
    'th': 'ไทย',
    'tr': 'Türkçe',
    'vi': 'Tiếng Việt',
    'zh': '简体中文',
    'zh-HK': '繁體中文（香港）',
    'zh-TW': '繁體中文（台灣）',
}


def endonym(tag: str) -> str:
    """The language's own name for itself, as the picker lists it."""
    return ENDONYMS.get(tag, tag)


def choices() -> list[tuple[str, str]]:
    """(tag, endonym) for every locale, in the picker's order (by tag)."""
    return [(tag, endonym(tag)) for tag in sorted(LOCALES, key=str.lower)]


def N_(message: str) -> str:
    """Marks a message for ``pybabel extract`` (a default keyword); the door translates it
    (blueprints.errors, the pay page), so services stay callable without a request."""
    return message


def translate(message: str, **variables: object) -> str:
    """The message in the current request's language (English outside one); a message
    the catalog lacks (a bank's own wording) is returned as it is."""
    if not message:
        return message  # gettext("") would answer the catalog's header
    return flask_babel.gettext(message, **variables)


def translate_plural(singular: str, plural: str, num: int) -> str:
    """ngettext: the form the language uses for ``num`` (``%(num)d`` in the text)."""
    return flask_babel.ngettext(singular, plural, num)


def formatting_locale(fallback: str) -> str:
    """The Babel name numbers and dates use now: the customer's on their pages, else
    ``fallback`` (the merchant's, in the console, the APIs and the worker)."""
    tag = g.get(CURRENT) if has_request_context() else None
    return babel_name(tag) if tag else fallback
