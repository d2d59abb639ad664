"""Reading a webshop order file for `orders import`: streamed line by line, never past a limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

# Far above any real day's orders, far below what would hurt: the good documents of a file are
# held in memory until the whole file is known to be good (all or nothing).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class FileTooLarge(ValueError):
    """The source holds more bytes than the limit allows."""


def bounded_lines(path: Path, max_bytes: int) -> Iterator[bytes]:
    """The lines of any readable source (a file, a pipe, /dev/stdin); at most `max_bytes` in all.

    Raises FileTooLarge as soon as one byte more is read, so an endless source (/dev/zero, one
    line of NULs without end) stops at the limit too.
    """
    remaining = max_bytes
    with path.open("rb") as source:
        while line := source.readline(remaining + 1):
            remaining -= len(line)
            if remaining < 0:
                raise FileTooLarge(f"more than the limit of {max_bytes} bytes")
            yield line
