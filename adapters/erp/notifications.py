"""The notifications received, stored once by SNS MessageId, and which are being processed.

Storing relies on the unique constraint on `notifications.message_id`: an insert that loses
the race gets an IntegrityError and is a duplicate; there is no read-then-write window.
`processed_at` stays NULL until the reconcile step succeeded, so an SNS retry of a delivery
whose step failed (or whose process died) runs the step again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from adapters.erp.schema import NotificationRow, utcnow
from adapters.erp.store import UnitOfWork


class NotificationInbox:
    """The `notifications` table, as the receiver uses it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def store(self, message_id: str, object_type: str, object_id: str, body: Any) -> bool:
        """Store a received message; True when it is new, False when the id was already stored."""
        with UnitOfWork(self.engine) as uow:
            uow.session.add(
                NotificationRow(
                    message_id=message_id,
                    object_type=object_type,
                    object_id=object_id,
                    body=body,
                )
            )
            try:
                uow.session.commit()  # the driver's own error tells a duplicate apart
            except IntegrityError:
                uow.session.rollback()
                # Only a row with this id proves a duplicate; anything else is a real error.
                if self._row(uow, message_id) is None:
                    raise
                return False
        return True

    def is_processed(self, message_id: str) -> bool:
        """Whether the message's reconcile step has succeeded."""
        with UnitOfWork(self.engine) as uow:
            row = self._row(uow, message_id)
            return row is not None and row.processed_at is not None

    def mark_processed(self, message_id: str) -> None:
        """Record that the message's reconcile step succeeded (the first success wins)."""
        with UnitOfWork(self.engine) as uow:
            uow.session.execute(
                update(NotificationRow)
                .where(NotificationRow.message_id == message_id)
                .where(NotificationRow.processed_at.is_(None))
                .values(processed_at=utcnow())
            )
            uow.commit()

    @staticmethod
    def _row(uow: UnitOfWork, message_id: str) -> NotificationRow | None:
        query = select(NotificationRow).where(NotificationRow.message_id == message_id)
        return uow.session.scalars(query).one_or_none()
