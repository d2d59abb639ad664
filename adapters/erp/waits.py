"""The suspended authorization runs the store knows of (`authorization_waits`, 0005)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, delete, select
from sqlalchemy.orm import Session

from adapters.erp.schema import AuthorizationWaitRow, DocumentRow
from domain.payment_status import Status


@dataclass(frozen=True)
class Wait:
    """One waiting run: its document, the document's payment status now, and the deadline."""

    number: str
    flow_run_id: str
    deadline: datetime
    status: Status


class Waits:
    """Remember, list and forget the flow runs that wait for Amazon's answer on a document."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def remember(self, number: str, flow_run_id: str, deadline: datetime) -> None:
        """Store the run waiting on the document (a later run of it replaces the earlier)."""
        query = select(DocumentRow.id).where(DocumentRow.number == number)
        document_id = self.session.scalar(query)
        if document_id is None:
            raise KeyError(number)
        row = self.session.scalar(
            select(AuthorizationWaitRow).where(AuthorizationWaitRow.document_id == document_id)
        )
        if row is None:
            row = AuthorizationWaitRow(document_id=document_id)
            self.session.add(row)
        row.flow_run_id, row.deadline = flow_run_id, deadline

    def of(self, number: str) -> Wait | None:
        """The run waiting on this document, if any."""
        found = self._query().where(DocumentRow.number == number)
        rows = [self._wait(row) for row in self.session.execute(found).all()]
        return rows[0] if rows else None

    def decided(self, limit: int) -> list[Wait]:
        """Waits whose document is no longer pending (answered, overdue, cancelled, ...)."""
        query = self._query().where(DocumentRow.payment_status != Status.PENDING.value)
        return [self._wait(row) for row in self.session.execute(query.limit(limit)).all()]

    def forget(self, number: str, flow_run_id: str) -> None:
        """Drop the wait, if it is still this run's."""
        document_id = select(DocumentRow.id).where(DocumentRow.number == number)
        self.session.execute(
            delete(AuthorizationWaitRow).where(
                AuthorizationWaitRow.document_id.in_(document_id.scalar_subquery()),
                AuthorizationWaitRow.flow_run_id == flow_run_id,
            )
        )

    def _query(self) -> Select[str, str, datetime, str]:
        return (
            select(
                DocumentRow.number,
                AuthorizationWaitRow.flow_run_id,
                AuthorizationWaitRow.deadline,
                DocumentRow.payment_status,
            )
            .join(DocumentRow, DocumentRow.id == AuthorizationWaitRow.document_id)
            .order_by(AuthorizationWaitRow.id)
        )

    @staticmethod
    def _wait(row: Row[str, str, datetime, str]) -> Wait:
        number, run_id, deadline, status = row
        return Wait(number, run_id, deadline, Status(status))
