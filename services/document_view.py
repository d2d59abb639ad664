"""A document as the ERP sees it: lines, totals, type, payment method, history and Amazon."""

from __future__ import annotations

from typing import Any

from adapters.erp.records import AmazonObject, DocumentRecords, Facts
from adapters.erp.store import UnitOfWork
from domain.document_types import DocumentTypes
from domain.documents import Document, DocumentType
from domain.money import Money

REFUND_STATES = {"Refunded": "refunded", "Declined": "declined"}


def note_status(facts: Facts, amazon: list[AmazonObject]) -> str:
    """A credit note's own payment status: pending, refunded, declined or refused."""
    refunds = [found for found in amazon if found.kind == "refund"]
    if refunds:
        return REFUND_STATES.get(refunds[-1].state or "", "pending")
    return facts.note_status or "pending"


def document_json(document: Document) -> dict[str, Any]:
    """The document as `orders show` prints it: amounts as decimal strings, never floats."""
    return {
        "number": document.number,
        "type": document.doc_type.value,
        "currency": document.currency,
        "charge_permission_id": document.charge_permission_id,
        "charge_id": document.charge_id,
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price.amount),
            }
            for item in document.all_items()
        ],
        "shipping": str(document.shipping.amount),
        "customer": {"name": document.customer.name, "email": document.customer.email},
        "gross_total": str(document.gross_total.amount),
        "payment_status": document.payment.status.value,
        "captured": str(document.payment.captured.amount),
        "refunded": str(document.payment.refunded.amount),
        "dunning_lock": document.dunning_lock,
    }


def document_view(
    uow: UnitOfWork, document: Document, types: DocumentTypes, method: str
) -> dict[str, Any]:
    """The document as JSON: amounts as decimal strings, identifiers as strings."""
    records: DocumentRecords = uow.records
    facts = records.facts(document.number)
    assert facts is not None
    amazon = records.amazon(document.number)
    is_note = document.doc_type is DocumentType.CREDIT_NOTE
    status = note_status(facts, amazon) if is_note else document.payment.status.value
    return {
        **document_json(document),
        "type": facts.type_name
        or types.after(facts.kind, document.payment.status, facts.type_name),
        "kind": document.doc_type.value,
        "payment_method": facts.payment_method or method,
        "refers_to": document.refers_to,
        "payment_status": status,
        "status_reason": facts.status_reason,
        "cancel_requested": facts.cancel_requested,
        "credit_notes": [] if is_note else records.credit_notes_of(document.number),
        "history": [
            {
                "at": row.at.isoformat(),
                "event": row.event,
                "from": row.from_value,
                "to": row.to_value,
                "applied": row.applied,
                "reason": row.reason,
            }
            for row in records.history(document.number)
        ],
        "amazon": [_amazon_json(found) for found in amazon],
    }


def _amazon_json(found: AmazonObject) -> dict[str, Any]:
    amount = (
        str(Money.from_minor(found.amount_minor, found.currency).amount)
        if found.amount_minor is not None and found.currency
        else None
    )
    return {
        "kind": found.kind,
        "id": found.amazon_id,
        "state": found.state,
        "amount": amount,
        "currency": found.currency,
    }
