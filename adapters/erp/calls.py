"""The journal of Amazon calls: each mutating call is recorded, with its key, before it is sent.

A mutating call stays *open* until the transaction that applies its answer to the document marks
it applied. An open call is what a re-run or the sweeper finds first: it is repeated exactly as
recorded (the same request body, the same idempotency key), so Amazon answers with the object it
made the first time instead of charging, capturing or refunding twice. Reads (Get Charge, Get
Refund) are logged in the transaction that applies them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.erp.schema import AmazonCallRow, DocumentRow, utcnow
from domain.amazon_calls import KEYED, MUTATING, Call
from domain.idempotency import idempotency_key


class CallJournal:
    """The `amazon_calls` table behind the unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, document_id: int, number: str, operation: str, request: dict[str, Any]) -> Call:
        """Record a new mutating call; keyed operations get the document's next derived key."""
        key = None
        if operation in KEYED:
            done = self.session.scalar(
                select(func.count()).where(
                    AmazonCallRow.document_id == document_id,
                    AmazonCallRow.operation == operation,
                )
            )
            key = idempotency_key(operation, number, (done or 0) + 1)
        row = AmazonCallRow(
            document_id=document_id, operation=operation, idempotency_key=key, request=request
        )
        self.session.add(row)
        self.session.flush()
        return Call(row.id, document_id, number, operation, key, request)

    def open_calls(self, document_id: int) -> list[Call]:
        """The document's mutating calls whose outcome is not applied yet, oldest first."""
        query = (
            select(AmazonCallRow, DocumentRow.number)
            .join(DocumentRow, DocumentRow.id == AmazonCallRow.document_id)
            .where(AmazonCallRow.document_id == document_id)
            .where(AmazonCallRow.operation.in_(MUTATING), AmazonCallRow.applied_at.is_(None))
            .order_by(AmazonCallRow.id)
        )
        return [
            Call(row.id, document_id, number, row.operation, row.idempotency_key, row.request or {})
            for row, number in self.session.execute(query)
        ]

    def numbers_with_open_calls(self, limit: int) -> list[str]:
        """Documents that have a mutating call whose outcome is not applied (a run died)."""
        query = (
            select(DocumentRow.number)
            .join(AmazonCallRow, AmazonCallRow.document_id == DocumentRow.id)
            .where(AmazonCallRow.operation.in_(MUTATING), AmazonCallRow.applied_at.is_(None))
            .group_by(DocumentRow.id, DocumentRow.number)
            .order_by(DocumentRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def answer(
        self,
        call_id: int,
        response: dict[str, Any] | None,
        http_status: int | None,
        error: str | None,
        *,
        applied: bool,
    ) -> None:
        """Store Amazon's answer (or the error) on a call; `applied` closes it."""
        row = self.session.get(AmazonCallRow, call_id)
        if row is None:
            raise KeyError(call_id)
        row.response, row.http_status, row.error = response, http_status, error
        row.answered_at = utcnow()
        if applied:
            row.applied_at = row.answered_at

    def log_read(
        self,
        document_id: int | None,
        operation: str,
        request: dict[str, Any],
        response: dict[str, Any],
    ) -> None:
        """Log a read (Get Charge, Get Refund) in the transaction that applies what it found."""
        now = utcnow()
        self.session.add(
            AmazonCallRow(
                document_id=document_id,
                operation=operation,
                request=request,
                response=response,
                http_status=200,
                answered_at=now,
                applied_at=now,
            )
        )
