"""The sweeper's use cases: what needs Amazon work now, and finishing calls a dead run left open."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.erp.work_queue import WorkQueue
from domain.next_step import healing_step
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive

__all__ = ["WorkQueue", "collect_work", "heal"]


def collect_work(res: Resources, limit: int) -> WorkQueue:
    """The documents that need Amazon work, sorted into the sweeper's queues."""
    with res.uow() as uow:
        return uow.work(datetime.now(UTC), res.settings.authorization_timeout, limit)


def heal(res: Resources, number: str) -> Outcome:
    """Finish the document's calls whose outcome was never applied (repeated as recorded)."""
    return drive(res, number, healing_step)
