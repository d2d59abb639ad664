"""The inbox folder: settlement files downloaded from Seller Central, waiting to be imported.

Files directly in the folder are pending; after an import they move to `done/` (posted or
already posted) or `rejected/` (unreadable, or refused by the quality check) beside them, so the
folder always shows what is still to do. A file being written (`.part`, `.tmp`, hidden) waits.
"""

from __future__ import annotations

from pathlib import Path

from domain.settlement.model import ReportError

SUFFIXES = frozenset({".xml", ".csv", ".txt"})
DONE, REJECTED = "done", "rejected"
_PIECE_BYTES = 1 << 20  # one read: bounded memory per call, few calls per file


def pending_files(folder: Path) -> list[Path]:
    """The report files waiting in the folder, oldest first (then by name)."""
    if not folder.is_dir():
        return []
    files = [
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SUFFIXES
    ]
    return sorted(files, key=lambda path: (path.stat().st_mtime, path.name))


def read_report_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, read in pieces and never more than `max_bytes` + 1 of them.

    A regular file above the limit is refused before it is read; a pipe, `/dev/stdin` or a
    device such as `/dev/zero` states no size, so reading stops as soon as it passes the limit.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise ReportError(f"{path.name} has {size} bytes, more than the limit of {max_bytes}")
    pieces: list[bytes] = []
    left = max_bytes + 1  # one byte more than allowed tells "at the limit" from "over it"
    piece_bytes = max(size + 1, _PIECE_BYTES)  # a regular file: all of it in the first read
    with path.open("rb", buffering=0) as stream:
        while left > 0:
            piece = stream.read(min(piece_bytes, left))
            if not piece:
                return pieces[0] if len(pieces) == 1 else b"".join(pieces)
            pieces.append(piece)
            left -= len(piece)
            piece_bytes = _PIECE_BYTES
    raise ReportError(f"{path.name} is larger than the limit of {max_bytes} bytes")


def move_processed(path: Path, outcome: str) -> Path:
    """Move an imported file to `done/` or `rejected/`, never overwriting an earlier one."""
    if outcome not in (DONE, REJECTED):
        raise ValueError(f"outcome must be {DONE!r} or {REJECTED!r}, got {outcome!r}")
    target_dir = path.parent / outcome
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    counter = 1
    while target.exists():
        target = target_dir / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    return path.replace(target)
