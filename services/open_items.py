"""The open items: what needs a person, or waits on Amazon longer than usual."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.open_items import OpenItem, open_items
from services.resources import Resources

LIMIT = 10_000  # a list longer than this is read in the store, not in a table


def list_open_items(res: Resources, now: datetime | None = None) -> list[OpenItem]:
    """The open items as of now, oldest first."""
    now = now or datetime.now(UTC)
    with res.uow() as uow:
        found = uow.open_item_candidates(now, LIMIT)
    return open_items(found, now)
