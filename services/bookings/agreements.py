"""A merchant's agreements (waivers, policies) that bookings require before payment."""

from __future__ import annotations

from typing import Any

from models import Agreement, Merchant, transactional
from services.common import fields
from services.common.errors import ServiceError

MAX_BODY = 50_000


@transactional
def create_agreement(merchant: Merchant, data: dict[str, Any]) -> Agreement:
    title = fields.string(data, "title", required=True)
    body = fields.string(data, "body", required=True, max_length=MAX_BODY, multiline=True)
    return Agreement.create(merchant=merchant, title=title, body=body)


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    return {"uuid": agreement.uuid, "title": agreement.title, "body": agreement.body,
            "version": agreement.version, "created_at": fields.isoformat(agreement.created_at)}


def list_agreements(merchant: Merchant) -> list[Agreement]:
    return list(Agreement.select().where(Agreement.merchant == merchant).order_by(Agreement.id))


def resolve_agreements(merchant: Merchant, raw: Any) -> list[Agreement]:
    """Each entry is a uuid of this merchant's agreement or an inline {title, body} to create."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 50:
        raise ServiceError("agreements must be a list of at most 50 entries.")
    found: list[Agreement] = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            agreement = Agreement.get_or_none(Agreement.uuid == entry,
                                              Agreement.merchant == merchant)
            if agreement is None:
                raise ServiceError(f"agreements[{i}]: you have no agreement {entry}.")
        elif isinstance(entry, dict):
            agreement = create_agreement(merchant, entry)
        else:
            raise ServiceError(f"agreements[{i}] must be an agreement uuid or {{title, body}}.")
        if agreement.id not in {a.id for a in found}:
            found.append(agreement)
    return found
