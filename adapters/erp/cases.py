"""A document's case: the document with its Amazon objects and open calls, read in one go."""

from __future__ import annotations

from sqlalchemy import select

from adapters.erp.amazon_refs import AmazonRefs
from adapters.erp.calls import CallJournal
from adapters.erp.schema import DocumentRow
from adapters.erp.store import DocumentRepository
from domain.documents import DocumentType
from domain.next_step import Case


class CaseRepository:
    """Cases for the order use cases' decisions (`domain.next_step`)."""

    def __init__(self, documents: DocumentRepository, refs: AmazonRefs, calls: CallJournal):
        self.documents, self.refs, self.calls = documents, refs, calls

    def get(self, number: str) -> Case | None:
        """The document's case; a credit note's carries its order's; None for no document."""
        document = self.documents.get(number)
        if document is None:
            return None
        document_id = self.documents.id_of(number)
        order = None
        if document.doc_type is DocumentType.CREDIT_NOTE and document.refers_to:
            order = self.get(document.refers_to)
        reason, note_status = self.documents.session.execute(
            select(DocumentRow.status_reason, DocumentRow.note_status).where(
                DocumentRow.id == document_id
            )
        ).one()
        return Case(
            document,
            charges=self.refs.refs(document_id, "charge"),
            refunds=self.refs.refs(document_id, "refund"),
            open_calls=self.calls.open_calls(document_id),
            activation_outstanding=self.refs.activation_outstanding(document_id),
            order=order,
            reason=reason or "",
            note_status=note_status,
        )
