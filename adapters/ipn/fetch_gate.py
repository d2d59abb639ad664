"""Who may fetch a certificate when: one fetch per URL, a few at once, failures remembered.

The receiver verifies on a bounded thread pool (Starlette's, 40 threads). Without this gate a
flood of notifications naming an unfetchable certificate URL (a host that hangs or refuses)
tied up every thread in fetches and waits for fetches, and genuine notifications queued behind
them. With it, per URL:

- a failed fetch is remembered for `failure_ttl` seconds (a negative cache): messages naming
  that URL are answered at once with the same error, without fetching again;
- one fetch at a time; a few messages may wait for its result (`max_waiters` in all), the rest
  are answered 503 at once (SNS retries later);
- at most `max_fetches` fetches of different URLs run at the same time; beyond that, 503.

So certificate work never holds more than `max_fetches + max_waiters` threads.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from adapters.ipn.errors import CertificateUnavailable, IpnError

T = TypeVar("T")
MAX_FETCHES = 4
MAX_WAITERS = 16
FAILURE_TTL_SECONDS = 60.0
MAX_REMEMBERED_FAILURES = 1024


@dataclass
class _InFlight(Generic[T]):
    """One running fetch: its waiters learn the result when `done` is set."""

    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: IpnError | None = None


class FetchGate(Generic[T]):
    """Runs fetches by URL under the rules of the module docstring (thread-safe)."""

    def __init__(
        self,
        *,
        max_fetches: int = MAX_FETCHES,
        max_waiters: int = MAX_WAITERS,
        failure_ttl: float = FAILURE_TTL_SECONDS,
        wait_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_fetches = max_fetches
        self.max_waiters = max_waiters
        self.failure_ttl = failure_ttl
        self.wait_seconds = wait_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[str, _InFlight[T]] = {}
        self._waiters = 0
        self._failures: OrderedDict[str, tuple[float, IpnError]] = OrderedDict()

    def run(self, url: str, fetch: Callable[[], T]) -> T:
        """The result of `fetch()` for `url`, or of the fetch already running for it.

        Raises the IpnError of a fetch that failed within `failure_ttl`, or
        CertificateUnavailable when too many fetches or waiters are in progress.
        """
        with self._lock:
            self._raise_remembered(url)
            running = self._in_flight.get(url)
            if running is None:
                if len(self._in_flight) >= self.max_fetches:
                    raise CertificateUnavailable(
                        f"too many certificate fetches in progress; {url[:200]} not fetched now"
                    )
                mine: _InFlight[T] = _InFlight()
                self._in_flight[url] = mine
            elif self._waiters >= self.max_waiters:
                raise CertificateUnavailable(f"certificate {url[:200]} is still being fetched")
            else:
                self._waiters += 1
        if running is None:
            return self._fetch(url, fetch, mine)
        return self._wait(url, running)

    def _fetch(self, url: str, fetch: Callable[[], T], mine: _InFlight[T]) -> T:
        try:
            mine.result = fetch()
            return mine.result
        except IpnError as problem:
            mine.error = problem
            self._remember(url, problem)
            raise
        finally:
            with self._lock:
                del self._in_flight[url]
            mine.done.set()

    def _wait(self, url: str, running: _InFlight[T]) -> T:
        try:
            finished = running.done.wait(self.wait_seconds)
        finally:
            with self._lock:
                self._waiters -= 1
        if finished and running.result is not None:
            return running.result
        if finished and running.error is not None:
            raise type(running.error)(str(running.error))
        raise CertificateUnavailable(f"certificate {url[:200]} unavailable: the fetch is slow")

    def _remember(self, url: str, problem: IpnError) -> None:
        with self._lock:
            self._failures[url] = (self._clock() + self.failure_ttl, problem)
            self._failures.move_to_end(url)
            while len(self._failures) > MAX_REMEMBERED_FAILURES:
                self._failures.popitem(last=False)

    def _raise_remembered(self, url: str) -> None:
        """Called under the lock: a fresh copy of the URL's recent failure, if any."""
        remembered = self._failures.get(url)
        if remembered is None:
            return
        until, problem = remembered
        if self._clock() >= until:
            del self._failures[url]
            return
        raise type(problem)(str(problem))
