"""PaymentIntent capture and release, update routes, charge refunds expansion, and search.

A mixin of `Store`: it uses the store's tables, lock and `_emit`, with Stripe's rules for
`capture_method=manual` (authorise, then capture all or part, or cancel to release).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from sandbox import objects
from sandbox.errors import StripeError, missing, param_error

UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
PI_UPDATE_PARAMS = {
    "amount", "currency", "customer", "description", "expand", "metadata", "payment_method",
    "payment_method_types", "receipt_email", "setup_future_usage", "shipping",
    "statement_descriptor", "statement_descriptor_suffix", "capture_method", "transfer_group",
    "payment_method_options", "payment_method_data", "application_fee_amount", "transfer_data",
}  # fmt: skip
UPDATE_PARAMS = {
    "charge": {"customer", "description", "expand", "metadata", "receipt_email", "shipping",
               "transfer_group", "fraud_details"},
    "refund": {"expand", "metadata"},
    "payment_method": {"billing_details", "expand", "metadata", "card", "link"},
}  # fmt: skip
CAPTURE_PARAMS = {
    "amount_to_capture", "application_fee_amount", "expand", "metadata", "statement_descriptor",
    "statement_descriptor_suffix", "transfer_data", "final_capture",
}  # fmt: skip

# One clause of Stripe's search query language: `-field:value`, `metadata['k']:'v'`, `amount>10`.
_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>metadata\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\]|[a-z_][a-z0-9_.]*)"""
    r"""\s*(?P<op>>=|<=|:|~|>|<)\s*(?P<value>'[^']*'|"[^"]*"|[^\s'"]+)\s*""",
    re.IGNORECASE,
)
SEARCH_FIELDS = {
    "payment_intent": {"amount", "created", "currency", "customer", "metadata", "status"},
    "charge": {"amount", "created", "currency", "customer", "disputed", "metadata", "refunded",
               "status", "payment_intent", "payment_method_details.card.last4",
               "payment_method_details.card.brand", "billing_details.address.postal_code"},
}  # fmt: skip


def _reject_unknown(params: dict[str, Any], allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise param_error(f"Received unknown parameter: {key}", key, "parameter_unknown")


def _int(value: Any, param: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise param_error(f"Invalid integer: {value}", param, "parameter_invalid_integer") from None
    if number < 0:
        raise param_error(
            "This value must be greater than or equal to 0.", param, "parameter_invalid_integer"
        )
    return number


def _merge_metadata(obj: dict[str, Any], metadata: Any) -> None:
    """Stripe merges metadata keys; an empty value deletes a key, `metadata=""` clears all."""
    if metadata == "":
        obj["metadata"] = {}
        return
    if not isinstance(metadata, dict):
        raise param_error("Invalid object", "metadata", "parameter_invalid_string")
    for key, value in metadata.items():
        if value == "":
            obj["metadata"].pop(key, None)
        else:
            obj["metadata"][key] = str(value)


class FlowsMixin:
    lock: Any
    payment_intents: dict[str, dict[str, Any]]
    charges: dict[str, dict[str, Any]]
    refunds: dict[str, dict[str, Any]]
    payment_methods: dict[str, dict[str, Any]]
    confirmation_tokens: dict[str, dict[str, Any]]

    def _emit(self, type_: str, obj: dict[str, Any]) -> None:  # provided by Store
        raise NotImplementedError

    def _pm_from_test_id(self, pm_id: str) -> str:  # provided by Store
        raise NotImplementedError

    # ---- capture_method=manual ----------------------------------------------------------
    def capture_payment_intent(self, pi_id: str, params: dict[str, Any]) -> dict[str, Any]:
        _reject_unknown(params, CAPTURE_PARAMS)
        with self.lock:
            pi = self.payment_intents.get(pi_id)
            if pi is None:
                raise missing("payment_intent", pi_id)
            if pi["status"] != "requires_capture":
                raise StripeError(
                    400,
                    f"This PaymentIntent could not be captured because it has a status of "
                    f"{pi['status']}. Only a PaymentIntent with one of the following statuses "
                    f"may be captured: requires_capture.",
                    code="payment_intent_unexpected_state",
                    payment_intent=copy.deepcopy(pi),
                )
            amount = pi["amount_capturable"]
            if params.get("amount_to_capture") is not None:
                amount = _int(params["amount_to_capture"], "amount_to_capture")
            if amount > pi["amount_capturable"]:
                raise StripeError(
                    400,
                    "The amount to capture must be less than or equal to the PaymentIntent's "
                    f"amount_capturable ({pi['amount_capturable']}).",
                    code="amount_too_large",
                    param="amount_to_capture",
                )
            if params.get("metadata") is not None:
                _merge_metadata(pi, params["metadata"])
            ch = self.charges[pi["latest_charge"]]
            ch["captured"] = True
            ch["amount_captured"] = amount
            ch["amount_refunded"] = ch["amount"] - amount  # the rest is released
            ch["balance_transaction"] = "txn_" + ch["id"][3:]
            pi["amount_received"] = amount
            pi["amount_capturable"] = 0
            pi["status"] = "succeeded"
            self._emit("charge.captured", ch)
            self._emit("payment_intent.succeeded", pi)
            return copy.deepcopy(pi)

    def _release(self, pi: dict[str, Any]) -> None:
        """Cancel of an authorised intent: the held amount goes back to the card (a refund)."""
        ch = self.charges[pi["latest_charge"]]
        ch["amount_refunded"] = ch["amount"]
        ch["refunded"] = True
        pi["amount_capturable"] = 0
        self._emit("charge.refunded", ch)

    # ---- updates --------------------------------------------------------------------------
    def update_payment_intent(self, pi_id: str, params: dict[str, Any]) -> dict[str, Any]:
        _reject_unknown(params, PI_UPDATE_PARAMS)
        with self.lock:
            pi = self.payment_intents.get(pi_id)
            if pi is None:
                raise missing("payment_intent", pi_id)
            if pi["status"] not in UPDATABLE:
                raise StripeError(
                    400,
                    f"This PaymentIntent's {', '.join(k for k in params if k != 'expand')} "
                    f"could not be updated because it has a status of {pi['status']}. You may "
                    f"only update the {', '.join(params)} of a PaymentIntent with one of the "
                    f"following statuses: {', '.join(UPDATABLE)}.",
                    code="payment_intent_unexpected_state",
                    payment_intent=copy.deepcopy(pi),
                )
            if params.get("amount") is not None:
                pi["amount"] = _int(params["amount"], "amount")
            if params.get("currency"):
                pi["currency"] = str(params["currency"]).lower()
            if params.get("payment_method"):
                pi["payment_method"] = self._pm_from_test_id(str(params["payment_method"]))
                pi["status"] = "requires_confirmation"
            if params.get("capture_method"):
                pi["capture_method"] = str(params["capture_method"])
            plain = (
                "description", "receipt_email", "customer", "setup_future_usage",
                "statement_descriptor", "statement_descriptor_suffix", "transfer_group",
            )  # fmt: skip
            for key in plain:
                if key in params:
                    pi[key] = params[key] or None
            if params.get("metadata") is not None:
                _merge_metadata(pi, params["metadata"])
            return copy.deepcopy(pi)

    def update_object(self, kind: str, ident: str, params: dict[str, Any]) -> dict[str, Any]:
        """`POST /v1/charges/{id}`, `/v1/refunds/{id}`, `/v1/payment_methods/{id}`."""
        _reject_unknown(params, UPDATE_PARAMS[kind])
        with self.lock:
            table: dict[str, dict[str, Any]] = getattr(self, kind + "s")
            obj = table.get(ident)
            if obj is None:
                raise missing(kind, ident)
            if params.get("metadata") is not None:
                _merge_metadata(obj, params["metadata"])
            for key in ("description", "receipt_email", "customer", "transfer_group"):
                if key in params and key in obj:
                    obj[key] = params[key] or None
            billing = params.get("billing_details")
            if isinstance(billing, dict) and "billing_details" in obj:
                bd = obj["billing_details"]
                for key in ("email", "name", "phone"):
                    if key in billing:
                        bd[key] = billing[key] or None
                if isinstance(billing.get("address"), dict):
                    bd["address"].update(billing["address"])
            return copy.deepcopy(obj)

    # ---- charges' refunds, only when expanded ---------------------------------------------
    def charge_with_refunds(self, ch: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            rows = [copy.deepcopy(r) for r in reversed(self.refunds.values())
                    if r["charge"] == ch["id"]]  # fmt: skip
        ch["refunds"] = objects.refund_list(ch["id"], rows)
        return ch

    # ---- search ---------------------------------------------------------------------------
    def search(self, kind: str, params: dict[str, Any], url: str) -> dict[str, Any]:
        query = params.get("query")
        if not query:
            raise param_error("Missing required param: query.", "query", "parameter_missing")
        clauses, joiner = _parse_query(str(query), SEARCH_FIELDS[kind])
        limit = _int(params.get("limit", 10), "limit") or 10
        offset = 0
        if params.get("page"):
            page = str(params["page"])
            if not page.startswith("page_") or not page[5:].isdigit():
                raise param_error(f"Invalid page: {page}", "page", "parameter_invalid_string")
            offset = int(page[5:])
        with self.lock:
            table: dict[str, dict[str, Any]] = getattr(self, kind + "s")
            test = all if joiner == "AND" else any
            rows = [o for o in reversed(list(table.values()))
                    if test(_matches(o, c) for c in clauses)]  # fmt: skip
            page_rows = copy.deepcopy(rows[offset : offset + min(limit, 100)])
        more = offset + len(page_rows) < len(rows)
        return {
            "object": "search_result",
            "data": page_rows,
            "has_more": more,
            "next_page": f"page_{offset + len(page_rows)}" if more else None,
            "url": url,
        }


def _parse_query(query: str, fields: set[str]) -> tuple[list[dict[str, Any]], str]:
    parts = re.split(r"\s+(AND|OR)\s+", query.strip())
    joiners = set(parts[1::2])
    if len(joiners) > 1:
        raise _query_error(query, "a query cannot mix AND and OR")
    clauses = []
    for text in parts[0::2]:
        m = _CLAUSE.fullmatch(text)
        if not m:
            raise _query_error(query, f"could not parse `{text}`")
        field = "metadata" if m.group("key") else m.group("field")
        if field not in fields:
            raise _query_error(query, f"`{field}` is not a searchable field")
        value = m.group("value")
        if value[:1] in "'\"":
            value = value[1:-1]
        elif m.group("op") == ":" and not value.lstrip("-").isdigit() and value != "null":
            raise _query_error(query, f"the value `{value}` must be quoted")
        clauses.append({"field": m.group("field"), "key": m.group("key"), "op": m.group("op"),
                        "value": value, "neg": bool(m.group("neg"))})  # fmt: skip
    return clauses, (joiners.pop() if joiners else "AND")


def _query_error(query: str, why: str) -> StripeError:
    return param_error(
        "We were unable to parse your search query. Try using the format "
        f"`metadata['key']:'value'` or `status:'succeeded'` ({why}). Query: {query}",
        "query",
        "parameter_invalid_string",
    )


def _matches(obj: dict[str, Any], clause: dict[str, Any]) -> bool:
    if clause["key"]:
        actual: Any = (obj.get("metadata") or {}).get(clause["key"])
    else:
        actual = obj
        for part in clause["field"].split("."):
            actual = actual.get(part) if isinstance(actual, dict) else None
    value, op = clause["value"], clause["op"]
    if op in (">", "<", ">=", "<="):
        try:
            a, b = float(actual), float(value)
        except (TypeError, ValueError):
            return False
        result = {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
    elif op == "~":
        result = isinstance(actual, str) and value.lower() in actual.lower()
    elif value == "null":
        result = actual is None
    else:
        text = str(actual).lower() if isinstance(actual, bool) else str(actual)
        result = actual is not None and text == value
    return result != clause["neg"]
