"""Which notifications are being processed in this process right now.

What was received, and whether its reconcile step succeeded, is stored in the ERP store
(`adapters.erp.notifications`); this is the in-process part beside it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class InFlight:
    """Message ids whose reconcile step is running in this process.

    A duplicate that arrives while the first delivery is still being processed sees a stored,
    unprocessed row, exactly like a retry after a failure; this set tells the two apart. It is
    per process: run one receiver process per database (the reconcile step is idempotent, so
    a duplicate across processes at the same instant costs one extra re-read, not a wrong state).
    """

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, message_id: str) -> Iterator[bool]:
        """Claim the id for the block; yields False when another thread holds it."""
        with self._lock:
            claimed = message_id not in self._ids
            self._ids.add(message_id)
        try:
            yield claimed
        finally:
            if claimed:
                with self._lock:
                    self._ids.discard(message_id)
