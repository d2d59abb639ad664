"""The document types the ERP sees, from the settings, following the payment.

The logic runs on a fixed kind (order, invoice, credit note); the configured names are only what
the ERP is shown. The outcome of the payment sets the type: *pending* while Amazon decides,
*successful* on acceptance, *failed* on decline, *shipped* once the shipment is reported (by
default the order becomes an invoice, keeping its number), *returned* for credit notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.documents import DocumentType
from domain.payment_status import Status

MAX_TYPE_NAME = 32  # documents.type_name and the history's from/to columns

SHIPPED = frozenset(
    {
        Status.ACTIVATION_REQUESTED,
        Status.CAPTURE_PENDING,
        Status.ACTIVATED,
        Status.CAPTURE_DECLINED,
        Status.PARTIALLY_REFUNDED,
        Status.REFUNDED,
    }
)
WAITING = frozenset({Status.PENDING, Status.AUTHORIZATION_OVERDUE})


@dataclass(frozen=True)
class DocumentTypes:
    """The configured names per outcome (`AMAZON_PAYMENTS_DOC_TYPE_*`)."""

    successful: str = "order"
    pending: str = "order"
    failed: str = "order"
    shipped: str = "invoice"
    returned: str = "credit_note"

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value or len(value) > MAX_TYPE_NAME or not value.isprintable():
                raise ValueError(
                    f"doc_type_{name}: a document type is 1 to {MAX_TYPE_NAME} printable "
                    f"characters, got {value!r}"
                )

    def initial(self, kind: DocumentType) -> str:
        """The type of a new document: pending for orders, returned for credit notes."""
        return self.returned if kind is DocumentType.CREDIT_NOTE else self.pending

    def after(self, kind: str, status: Status, current: str | None) -> str:
        """The type once the payment reached `status`; unchanged where the status says nothing.

        A re-authorization or a cancellation keeps the type the document had, and a shipped
        document stays shipped (a lapsed authorization renewed before its capture included).
        """
        if kind == DocumentType.CREDIT_NOTE.value:
            return self.returned
        once_shipped = current == self.shipped and current not in (
            self.pending,
            self.successful,
            self.failed,
        )
        if status in SHIPPED or once_shipped:
            return self.shipped
        if status is Status.ACCEPTED:
            return self.successful
        if status is Status.FAILED:
            return self.failed
        if status in WAITING:
            return self.pending
        return current or self.pending
