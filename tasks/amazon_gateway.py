"""Amazon calls with their audit trail: recorded (with the idempotency key) before they are sent.

The record is committed in its own transaction before the request leaves, so a process killed
between Amazon's answer and our commit finds the call on re-run and repeats it with the same key:
Amazon answers with the stored result instead of charging, capturing or refunding twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adapters.amazon_pay import AmazonPayError, ApiError
from adapters.erp import amazon_log
from adapters.erp.schema import AmazonCallRow
from domain.idempotency import idempotency_key

T = TypeVar("T", bound=BaseModel)


class AmazonGateway:
    """Runs one Amazon call at a time through the audit log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def next_key(self, document_id: int, number: str, operation: str) -> str:
        """The key for the next attempt; an attempt that never got an answer is repeated."""
        with Session(self.engine) as session:
            calls = session.scalars(
                select(AmazonCallRow)
                .where(
                    AmazonCallRow.document_id == document_id, AmazonCallRow.operation == operation
                )
                .order_by(AmazonCallRow.id)
            ).all()
        if calls and calls[-1].answered_at is None and calls[-1].idempotency_key:
            return calls[-1].idempotency_key
        return idempotency_key(operation, number, len(calls) + 1)

    def call(
        self,
        document_id: int | None,
        operation: str,
        request: dict[str, Any],
        send: Callable[[], T],
        key: str | None = None,
    ) -> T:
        """Record the call, send it, record the answer; errors are recorded and re-raised."""
        with Session(self.engine) as session:
            call_id = amazon_log.record_call(session, document_id, operation, key, request).id
            session.commit()
        try:
            answer = send()
        except ApiError as problem:
            self._answer(call_id, {"reasonCode": problem.reason_code}, problem.status, str(problem))
            raise
        except AmazonPayError as problem:
            self._answer(call_id, None, None, f"{type(problem).__name__}: {problem}")
            raise
        self._answer(call_id, answer.model_dump(mode="json", by_alias=True), 200, None)
        return answer

    def _answer(
        self, call_id: int, response: dict | None, status: int | None, error: str | None
    ) -> None:
        with Session(self.engine) as session:
            amazon_log.record_answer(session, call_id, response, status, error)
            session.commit()
