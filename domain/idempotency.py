"""Idempotency keys for Amazon's mutating calls: derived, never random.

A key names the document, the operation and a sequence number, so a re-run after a crash derives
the same key and Amazon answers with the stored result instead of acting twice. Amazon accepts
at most 32 characters of `[A-Za-z0-9_-]`; longer or odd document numbers are hashed.
"""

from __future__ import annotations

import hashlib
import re

VALID_KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")  # use fullmatch: "$" would allow a final "\n"
OPERATION_CODES = {
    "create_charge": "chg",
    "capture_charge": "cap",
    "create_refund": "ref",
}


def idempotency_key(operation: str, document_number: str, sequence: int) -> str:
    """The key of the `sequence`-th attempt of `operation` on a document (1-based)."""
    code = OPERATION_CODES[operation]
    readable = f"{code}-{document_number}-{sequence}"
    if VALID_KEY.fullmatch(readable):
        return readable
    digest = hashlib.sha256(f"{operation}|{document_number}|{sequence}".encode()).hexdigest()
    return f"{code}-{digest[:28]}"
