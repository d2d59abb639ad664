"""The idempotency store of POST requests (amazon-pay-v2.md §4.4).

A key's first answer is stored with a fingerprint of the request (method, path, body bytes).
The same key with the same request gets the stored answer (same status, same body); the same key
with anything changed gets 400 DuplicateIdempotencyKey. Keys are kept for the life of the
sandbox and scoped per environment (one merchant per sandbox).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass

from sandbox.errors import ApiError

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as it was first sent."""

    fingerprint: str
    status: int
    body: bytes


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A digest of what makes two requests "the same request"."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str | None) -> str:
    """The key of a POST that requires one: 400 MissingHeader / InvalidHeaderValue otherwise."""
    if key is None:
        raise ApiError("MissingHeader", "x-amz-pay-idempotency-key is required on this POST")
    if not key:
        raise ApiError("MissingHeaderValue", "x-amz-pay-idempotency-key is empty")
    if not KEY_PATTERN.match(key):
        raise ApiError(
            "InvalidHeaderValue",
            "x-amz-pay-idempotency-key must be 1-32 characters of A-Z a-z 0-9 - _",
        )
    return key


class IdempotencyStore:
    """Stored answers by (environment, key)."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], StoredAnswer] = {}
        self._lock = threading.Lock()

    def replay(self, environment: str, key: str, print_: str) -> StoredAnswer | None:
        """The stored answer of the same request, None if the key is new; 400 if it differs."""
        with self._lock:
            stored = self._answers.get((environment, key))
        if stored is None:
            return None
        if stored.fingerprint != print_:
            raise ApiError(
                "DuplicateIdempotencyKey",
                f"idempotency key {key} was already used with a different request",
            )
        return stored

    def store(self, environment: str, key: str, answer: StoredAnswer) -> None:
        """Remember the first answer of a key."""
        with self._lock:
            self._answers.setdefault((environment, key), answer)

    def items(self) -> list[tuple[tuple[str, str], StoredAnswer]]:
        """Every stored answer by (environment, key), for saving the sandbox's state."""
        with self._lock:
            return list(self._answers.items())

    def __len__(self) -> int:
        return len(self._answers)
