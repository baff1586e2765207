"""Every catalog has every customer message translated, with matching placeholders and the
plural forms its language has (Babel's checkers); an added message fails until translated."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, ngettext

from services.common.errors import ServiceError
from services.common.locales import LOCALES, babel_name, choose, customer_locale, supported

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("translations_script",
                                              ROOT / "scripts" / "translations.py")
script = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = script
SPEC.loader.exec_module(script)

from translations.source.keys import KEYS  # noqa: E402


def test_catalogs_are_complete_checked_and_compiled():
    """What scripts/translations.py --check says: no problem, every .po and .mo current."""
    assert script.main(["--check"]) == 0


def test_every_code_message_has_a_key_and_every_key_a_use():
    assert set(script.extracted()) == set(KEYS.values())


@pytest.mark.parametrize("tag", sorted(LOCALES))
def test_committed_catalog_has_every_message_translated(tag):
    po_path, mo_path = script.catalog_paths(tag)
    with open(po_path, "rb") as f:
        catalog = read_po(f, locale=babel_name(tag))
    with open(mo_path, "rb") as f:
        compiled = read_mo(f)
    ids = {m.id for m in catalog if m.id}
    assert ids == set(KEYS.values())
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{tag}: {message.id!r} untranslated"
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, f"{tag}: plural forms"
        assert not list(message.check(catalog)), f"{tag}: {message.id!r}"
        got = compiled[message.id].string
        assert (tuple(got) if isinstance(got, list) else got) == message.string, f"{tag}: .mo"


def test_an_added_message_fails_in_every_locale_until_translated():
    added = {**KEYS, "new": "A brand new sentence for %(name)s."}
    for tag in LOCALES:
        problems = script.build(tag, added)[2]
        if tag in ("en", "en-GB"):  # English is the message; British English differs in words
            assert problems == []
        else:
            assert f"{tag}: no text for 'new'" in problems, tag


def test_a_wrong_placeholder_fails(monkeypatch):
    real = script.texts

    def broken(tag, keys):
        found = real(tag, keys)
        found["pay_amount"] = "Bezahlen %(betrag)s"  # a translated placeholder name
        return found

    monkeypatch.setattr(script, "texts", broken)
    problems = script.build("de", KEYS)[2]
    assert any("betrag" in p for p in problems), problems


def test_a_missing_plural_form_fails(monkeypatch):
    real = script.texts

    def short(tag, keys):
        found = real(tag, keys)
        found["cooldown"] = found["cooldown"][:2]  # Arabic has six forms
        return found

    monkeypatch.setattr(script, "texts", short)
    assert any("cooldown" in p or "plural" in p.lower() or "minute" in p
               for p in script.build("ar", KEYS)[2])


@pytest.mark.parametrize("tag", sorted(set(LOCALES) - {"en", "en-GB"}))
def test_flask_babel_serves_each_catalog(app, tag):
    with app.test_request_context("/"), force_locale(babel_name(tag)):
        assert gettext("Pay %(amount)s", amount="X") != "Pay X"
        assert "X" in gettext("Pay %(amount)s", amount="X")
        for n in (1, 2, 5, 11, 21, 100):
            text = ngettext(*KEYS["cooldown"], n)
            assert "Too many" not in text


def test_plural_forms_follow_the_language(app):
    with app.test_request_context("/"), force_locale("ru"):
        forms = [ngettext(*KEYS["cooldown"], n) for n in (1, 3, 5, 21)]
    assert "минуту" in forms[0] and "минуты" in forms[1] and "минут " in forms[2]
    assert "минуту" in forms[3]
    with app.test_request_context("/"), force_locale("ar"):
        assert "دقيقتين" in ngettext(*KEYS["cooldown"], 2)


def test_locale_choice_order():
    assert choose("ja", "de", ["fr"], "es_ES") == "ja"
    assert choose("xx", "de", ["fr"], "es_ES") == "de"
    assert choose(None, None, ["xx", "fr-CH", "de"], "es_ES") == "fr"
    assert choose(None, None, [], "es_ES") == "es"
    assert choose(None, None, [], None) == "en"
    assert supported("zh-Hant-HK") == "zh-HK" and supported("zh_TW") == "zh-TW"
    assert supported("es-MX") == "es-419" and supported("pt-BR") == "pt-BR"
    assert supported("pt-PT") == "pt" and supported("no") == "nb" and supported("iw") == "he"
    assert supported("en-AU") == "en-GB" and supported("en-US") == "en"


def test_customer_locale_is_one_of_ours_or_refused():
    assert customer_locale("de-AT") == "de" and customer_locale(None) is None
    with pytest.raises(ServiceError) as refused:
        customer_locale("klingon")
    assert refused.value.field == "customer.locale"
