"""Fault injection: random 500/503 answers, added latency (before the operation, or after its
commit), connections dropped after commit.

All random choices come from one seeded generator, so a test that sets `seed` sees the same
sequence every run. Error answers happen *before* the operation (nothing changes); drops happen
*after* a mutating operation committed (the state exists, the client sees a transport error).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR_CODES = {500: "InternalServerError", 503: "ServiceUnavailable"}


@dataclass(frozen=True)
class FaultSettings:
    """What to inject; rates are probabilities 0..1 per request."""

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    latency_ms: int = 0
    # Hold a committed mutating answer back this long (a client can be killed meanwhile).
    latency_after_commit_ms: int = 0
    drop_after_commit_rate: float = 0.0
    # Only these operations (names like "Create Charge"); empty = all.
    operations: tuple[str, ...] = field(default_factory=tuple)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_after_commit_rate"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        unknown = [status for status in self.error_statuses if status not in ERROR_CODES]
        if unknown or not self.error_statuses:
            raise ValueError(f"error_statuses must be a non-empty subset of {sorted(ERROR_CODES)}")
        for name in ("latency_ms", "latency_after_commit_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultSettings:
        """Settings from the admin API's JSON (camelCase or snake_case keys)."""
        aliases = {
            "errorRate": "error_rate",
            "errorStatuses": "error_statuses",
            "latencyMs": "latency_ms",
            "latencyAfterCommitMs": "latency_after_commit_ms",
            "dropAfterCommitRate": "drop_after_commit_rate",
        }
        values = {aliases.get(key, key): value for key, value in data.items()}
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        for name in ("error_statuses", "operations"):
            if name in values:
                values[name] = tuple(values[name])
        for name in ("error_rate", "drop_after_commit_rate"):
            if name in values:
                values[name] = float(values[name])
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON."""
        data = asdict(self)
        return {
            **data,
            "error_statuses": list(self.error_statuses),
            "operations": list(self.operations),
        }


class FaultInjector:
    """Decides, per request, whether to fail, delay or drop."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.settings = FaultSettings()
        self._random = random.Random(0)  # noqa: S311 - reproducible faults, not security
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings and reseed."""
        with self._lock:
            self.settings = settings
            self._random = random.Random(settings.seed)  # noqa: S311 - reproducible

    def _applies(self, operation: str) -> bool:
        return not self.settings.operations or operation in self.settings.operations

    def latency_seconds(self, operation: str) -> float:
        """Seconds to wait before answering."""
        return self.settings.latency_ms / 1000 if self._applies(operation) else 0.0

    def latency_after_commit_seconds(self, operation: str) -> float:
        """Seconds to hold a committed answer back."""
        return self.settings.latency_after_commit_ms / 1000 if self._applies(operation) else 0.0

    def error_status(self, operation: str) -> int | None:
        """A 5xx status to answer instead of running the operation, or None."""
        if not self._applies(operation) or self.settings.error_rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.settings.error_rate:
                return None
            return self._random.choice(self.settings.error_statuses)

    def drop_after_commit(self, operation: str) -> bool:
        """Whether to drop the connection after a mutating operation committed."""
        if not self._applies(operation) or self.settings.drop_after_commit_rate <= 0:
            return False
        with self._lock:
            return self._random.random() < self.settings.drop_after_commit_rate
