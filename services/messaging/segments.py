"""SMS text in the customer's language, one segment where it can be.

A segment holds 160 GSM-7 characters (the extension table's ``€[]{}|^~\\`` count twice)
or 70 UCS-2 code units once any other character appears. The pay link is never cut:
names are shortened first, then a shorter sentence is used.
"""

from __future__ import annotations

from services.common.locales import N_, translate

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
FULL = N_("%(merchant)s: %(amount)s due for %(activity)s. Pay: %(url)s")
SHORT = N_("%(amount)s due. Pay: %(url)s")
REMINDER = N_("%(merchant)s: reminder, %(amount)s due. Pay: %(url)s")
REMINDER_SHORT = N_("Reminder: %(amount)s due. Pay: %(url)s")
# Invisible or look-alike characters Babel puts in amounts: plain spaces keep GSM-7.
_PLAIN = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200e": None,
                        "\u200f": None, "\u061c": None})


def is_gsm7(text: str) -> bool:
    return all(c in GSM7 or c in GSM7_EXTENSION for c in text)


def length(text: str) -> int:
    """Septets for GSM-7 text, UTF-16 code units otherwise."""
    if is_gsm7(text):
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    size = length(text)
    return 1 if size <= single else -(-size // multi)


def capacity(text: str, count: int) -> int:
    """How long ``text``'s encoding may be in ``count`` segments."""
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    return single if count == 1 else multi * count


def sms_text(merchant: str, activity: str, amount: str, url: str) -> str:
    """The invoice SMS in the current language, in as few segments as the short sentence
    needs (one, unless the script or the link forbid it): the whole sentence when it fits,
    else with the names cut to fit, else the short one. The link is always whole."""
    return _fitted(FULL, SHORT, amount, url, merchant=merchant, activity=activity)


def reminder_sms_text(merchant: str, amount: str, url: str) -> str:
    """A payment reminder with the same link, fitted as the invoice SMS is."""
    return _fitted(REMINDER, REMINDER_SHORT, amount, url, merchant=merchant)


def _fitted(message: str, short_message: str, amount: str, url: str, **names: str) -> str:
    """``message`` with its names, in no more segments than ``short_message`` takes: whole,
    else with the names cut (the first to a third of the room, the last to what is left),
    else ``short_message``."""
    amount = amount.translate(_PLAIN)
    short = translate(short_message, amount=amount, url=url)
    target = segments(short)
    full = translate(message, amount=amount, url=url, **names)
    if segments(full) <= target:
        return full
    fixed = translate(message, amount=amount, url=url, **dict.fromkeys(names, ""))
    room = capacity(full, target) - length(fixed)
    if room >= 8:
        kept: dict[str, str] = {}
        *first, last = names
        for name in first:
            kept[name] = names[name][: max(room // 3, 3)].rstrip()
        kept[last] = names[last][: room - sum(map(len, kept.values()))].rstrip()
        cut = translate(message, amount=amount, url=url, **kept)
        if segments(cut) <= target:
            return cut
    return short
