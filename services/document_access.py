"""How the ERP's actions reach a document: under its write lock, checked for the payment method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.erp.store import UnitOfWork
from domain.documents import Document
from services.document_errors import DocumentError, not_found
from services.document_view import document_view
from services.resources import Resources


@dataclass(frozen=True)
class Answer:
    """What an action did: the document as the ERP sees it, and whether anything changed."""

    document: dict[str, Any]
    changed: bool


def view_of(res: Resources, uow: UnitOfWork, document: Document) -> dict[str, Any]:
    return document_view(uow, document, res.types, res.settings.payment_method)


def get(uow: UnitOfWork, number: str) -> Document:
    document = uow.documents.get(number)
    if document is None:
        raise not_found(number)
    return document


def locked(res: Resources, uow: UnitOfWork, number: str) -> Document:
    """The document under its write lock, refused when it is not paid with Amazon Pay."""
    uow.records.begin_write()
    if not uow.records.lock(number):
        raise not_found(number)
    document = get(uow, number)
    method = uow.records.facts(number).payment_method  # type: ignore[union-attr]
    if method and method != res.settings.payment_method:
        raise DocumentError(
            "other_payment_method",
            f"{number} is paid with {method}, not {res.settings.payment_method}: "
            "the module does no Amazon work for it",
        )
    return document
