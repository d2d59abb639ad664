"""The sandbox clock: real time from a chosen start, plus whatever the admin API advanced it by.

Every rule with a duration (15-minute signature skew, 7-day capture, 30-day authorization,
180-day charge permission, async delays, 30-second report URLs) reads this clock, so tests move
days in a request. Timestamps go on the wire in Amazon's compact form `20231026T062827Z`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_COMPACT = "%Y%m%dT%H%M%SZ"
_EXTENDED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$")


class SandboxClock:
    """Real (monotonic) time since the start, shifted by the advances made so far."""

    def __init__(
        self, start: datetime | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._monotonic = monotonic
        self._origin = monotonic()
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current sandbox time (tz-aware UTC)."""
        with self._lock:
            elapsed = timedelta(seconds=self._monotonic() - self._origin)
            return self._start + elapsed + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (never back) and return the new time."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got {seconds} seconds")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def resume(self, lead: timedelta, offset: timedelta) -> None:
        """Continue a saved clock: `lead` ahead of real time now, `offset` advanced in total.

        Real time that passed while the sandbox was stopped passes for the sandbox too, as it
        does for Amazon.
        """
        with self._lock:
            self._origin = self._monotonic()
            self._start = datetime.now(UTC) + lead - offset
            self._offset = offset

    @property
    def offset_seconds(self) -> float:
        """Seconds the clock was advanced by in total."""
        return self._offset.total_seconds()


def compact(moment: datetime) -> str:
    """A datetime in Amazon's compact UTC form, e.g. `20231026T062827Z`."""
    return moment.astimezone(UTC).strftime(_COMPACT)


def parse_timestamp(text: str) -> datetime:
    """Parse Amazon's compact `20231026T062827Z` or the extended `2023-10-26T06:28:27Z` form."""
    try:
        return datetime.strptime(text, _COMPACT).replace(tzinfo=UTC)
    except ValueError:
        pass
    match = _EXTENDED.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a timestamp like 20231026T062827Z")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
