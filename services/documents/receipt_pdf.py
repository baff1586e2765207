"""The PDF receipt, drawn with fpdf2 (pure Python, no system libraries, maintained).

Fonts are embedded (subset): DejaVu Sans (fonts-dejavu-core, free licence) covers Latin,
Greek, Cyrillic, Arabic, Hebrew and more; the fallbacks are Droid Sans Fallback
(fonts-droid-fallback, Apache 2.0) for Chinese and Japanese and Nanum Gothic (fonts-nanum,
OFL) for Korean. Text shaping (uharfbuzz) joins Arabic letters and lays out right-to-left
runs. scripts/setup.sh installs the fonts; a missing fallback leaves its script blank, and
without DejaVu the core Helvetica prints Latin-1 only (other characters become "?").
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from services.documents.receipt_data import Receipt

if TYPE_CHECKING:
    from fpdf import FPDF

# fontTools reports every table it cannot subset (Nanum's hinting tables) at WARNING.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
FONT_DIRS = tuple(Path("/usr/share/fonts/truetype") / d for d in ("dejavu", "droid", "nanum"))
MAIN = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FALLBACKS = {"cjk": "DroidSansFallbackFull.ttf", "hangul": "NanumGothic.ttf"}
# Which fallback a character needs (parsing a CJK font costs ~0.5 s: only when used).
RANGES = {"hangul": ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF)),
          "cjk": ((0x2E80, 0x30FF), (0x3400, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))}


def _needed(text: str) -> set[str]:
    points = {ord(ch) for ch in text if ord(ch) >= 0x1100}
    return {family for family, ranges in RANGES.items()
            if any(lo <= p <= hi for p in points for lo, hi in ranges)}


@lru_cache(maxsize=1)
def _fonts() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for name in (*MAIN, *FALLBACKS.values()):
        for folder in FONT_DIRS:
            if (folder / name).is_file():
                found[name] = folder / name
    return found


def _setup(pdf: FPDF, text: str) -> str:
    fonts = _fonts()
    if not all(name in fonts for name in MAIN):
        return "helvetica"
    pdf.add_font("body", "", str(fonts[MAIN[0]]))
    pdf.add_font("body", "B", str(fonts[MAIN[1]]))
    needed = _needed(text)
    fallbacks = [family for family, name in FALLBACKS.items()
                 if name in fonts and family in needed]
    for family in fallbacks:
        pdf.add_font(family, "", str(fonts[FALLBACKS[family]]))
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    pdf.set_text_shaping(True)  # uharfbuzz: Arabic joining, right-to-left runs
    return "body"


def _safe(text: str, family: str) -> str:
    if family != "helvetica":
        return text
    return text.replace("•", "*").replace("−", "-").replace("–", "-").encode(
        "latin-1", "replace").decode("latin-1")


def receipt_pdf(receipt: Receipt) -> bytes:
    """One A4 page (more for long carts): merchant, payment, booking, refunds."""
    # fpdf2 brings fontTools: about 38 MB per process, for a document a customer asks for
    # once. It is loaded the first time a receipt is made, not in every web worker.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt {receipt.confirmation_number}")
    pdf.set_author(receipt.merchant)
    pdf.set_creator("paylink")
    family = _setup(pdf, repr(receipt))
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    width = pdf.epw

    def text(value: str, size: float = 11, bold: bool = False, height: float = 6) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(width, height, _safe(value, family), new_x="LMARGIN", new_y="NEXT")

    def row(label: str, value: str, bold: bool = False) -> None:
        pdf.set_font(family, "B" if bold else "", 11)
        pdf.cell(width * 0.6, 7, _safe(label, family))
        pdf.cell(width * 0.4, 7, _safe(value, family), align="R", new_x="LMARGIN",
                 new_y="NEXT")

    text(receipt.merchant, 18, bold=True, height=9)
    for line in receipt.contact:
        text(line, 10, height=5)
    pdf.ln(4)
    text("REFUNDED" if receipt.fully_refunded else "Receipt", 15, bold=True, height=8)
    if receipt.refunded:
        text(f"Refunded: {receipt.refunded}", 12, bold=True)
        for refund in receipt.refunds:
            text(f"Refund {refund}", 10, height=5)
    text(f"Paid on {receipt.paid_at} by {receipt.customer}", 10, height=5)
    pdf.ln(3)
    row("Payment confirmation number", receipt.confirmation_number, bold=True)
    row("Booking confirmation code", receipt.booking_code, bold=True)
    if receipt.card:
        row("Card", receipt.card)
    pdf.ln(3)
    text(receipt.activity, 13, bold=True, height=7)
    text(f"{receipt.when} · {receipt.participants} participant(s)", 10, height=5)
    pdf.ln(2)
    for label, amount in receipt.lines:
        row(label, amount)
    pdf.ln(2)
    row("Amount", receipt.amount)
    if receipt.tip:
        row("Tip", receipt.tip)
    row("Total paid", receipt.total, bold=True)
    row("Balance still due", receipt.balance)
    return bytes(pdf.output())
