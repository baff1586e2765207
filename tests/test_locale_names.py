"""The picker's language names: written out once (no CLDR load per page), checked here
against Babel so the table cannot drift."""

from __future__ import annotations

from babel import Locale

from services.common.locales import ENDONYMS, LOCALES, babel_name

# Short forms a reader looks for in a list, where CLDR's long form would not be.
SHORT_FORMS = {"zh": "简体中文", "zh-HK": "繁體中文（香港）", "zh-TW": "繁體中文（台灣）",
               "pt": "Português (Portugal)", "id": "Bahasa Indonesia", "ms": "Bahasa Melayu",
               "en-GB": "English (UK)"}


def test_every_locale_has_its_own_name_as_babel_gives_it():
    assert set(ENDONYMS) == set(LOCALES)
    for tag, name in ENDONYMS.items():
        if tag in SHORT_FORMS:
            assert name == SHORT_FORMS[tag], tag
            continue
        cldr = Locale.parse(babel_name(tag)).get_display_name(babel_name(tag))
        assert name == cldr[:1].upper() + cldr[1:], tag
