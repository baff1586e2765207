"""What browser tests share: the Payment Element's frames, card typing, console watching."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

CARD_FRAME = 'iframe[title="Secure payment input frame"]'
THREE_DS_FRAME = 'iframe[title="3D Secure authentication"]'
# Inside the 3-D Secure lightbox, the test page of a 3DS2 card (the nesting of Stripe.js).
CHALLENGE_FRAME = 'iframe[name="stripe-challenge-frame"]'


def challenge(scope: Any) -> Any:
    """The 3DS2 test page (buttons "Complete" and "Fail") inside the lightbox of a page/frame."""
    return scope.frame_locator(THREE_DS_FRAME).frame_locator(CHALLENGE_FRAME)


def type_card(scope: Any, number: str, expiry: str = "12 / 34", cvc: str = "123",
              postal: str = "94107") -> None:
    """Fill the card form inside a page or a frame locator (the same selectors as Stripe's)."""
    card = scope.frame_locator(CARD_FRAME)
    card.locator('input[name="number"]').fill(number)
    card.locator('input[name="expiry"]').fill(expiry)
    card.locator('input[name="cvc"]').fill(cvc)
    card.locator('input[name="postalCode"]').fill(postal)


def accept_agreements(scope: Any, uuids: list[str]) -> None:
    for uuid in uuids:
        scope.get_by_test_id(f"agreement-{uuid}").check()


def watch_console(page: Page) -> list[str]:
    """Collect console errors and uncaught exceptions of a page as they happen."""
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def assert_clean_console(problems: list[str]) -> None:
    """No CSP violation and no script error (a resource aborted on purpose is fine)."""
    csp = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert not csp, csp
    assert not [p for p in problems if "Failed to load resource" not in p], problems
