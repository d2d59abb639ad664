"""A settlement report file opened for one import: read in pieces through a SHA-256 digest,
never past its size limit, seekable so that a second attempt reads it again.

A regular file above the limit is refused before it is read; a pipe, `/dev/stdin` or a device
states no size: it is copied to a temporary file and cut off as soon as it passes the limit.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from adapters.quality.result import CheckResult
from adapters.settlement_formats.parse import iter_report
from domain.settlement.model import DEFAULT_CHUNK_ROWS, ReportChunk, ReportError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_PIECE_BYTES = 1 << 20
Progress = Callable[[float], None]  # told the share done (0 to 100)


class Streamed:
    """A report file read in pieces through a SHA-256 digest, parsed and checked in chunks.

    Seekable, so that a second attempt reads it again from its start; close it when done.
    """

    def __init__(
        self,
        stream: IO[bytes],
        max_bytes: int,
        size: int = 0,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> None:
        self.stream, self.max_bytes, self.size = stream, max_bytes, size
        self.chunk_rows = chunk_rows
        self.progress: Progress | None = None
        self._reader: _Digesting | None = None

    def __enter__(self) -> Streamed:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stream.close()

    def chunks(self) -> Iterator[ReportChunk]:
        """The report's chunks, read from its start (again for a second attempt)."""
        self.stream.seek(0)
        self._reader = _Digesting(self.stream)
        reader = cast(IO[bytes], self._reader)
        return iter_report(reader, max_bytes=self.max_bytes, chunk_rows=self.chunk_rows)

    def check(self, chunks: Iterable[ReportChunk]) -> CheckResult:
        """The quality check of the chunks, one by one, as they pass."""
        from adapters.quality.chunked import check_report_chunks  # GX loads on first use

        return check_report_chunks(self._told_each(chunks))

    def _told_each(self, chunks: Iterable[ReportChunk]) -> Iterator[ReportChunk]:
        for chunk in chunks:
            yield chunk
            if self._reader is not None and self.size:
                self.told(90.0 * self._reader.count / self.size)

    def sha256(self) -> str | None:
        """The digest of what the last pass read (None before the first)."""
        return None if self._reader is None else self._reader.digest.hexdigest()

    def told(self, share: float) -> None:
        if self.progress is not None:
            self.progress(share)


class _Digesting(io.RawIOBase):
    """Reads through to a stream, hashing and counting what passes (not seekable)."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        piece = self._source.read(len(view))
        view[: len(piece)] = piece
        self.digest.update(piece)
        self.count += len(piece)
        return len(piece)


def bounded_file(path: Path, max_bytes: int) -> IO[bytes]:
    """A report file read through once, in pieces, never past `max_bytes`: a regular file above
    the limit is refused before it is read, a pipe or device as soon as it passes it. Raises
    ReportError (too large) or OSError; close it when done."""
    _refuse_above(path, max_bytes)
    return io.BufferedReader(_Bounded(path.open("rb"), path.name, max_bytes))


def open_report(path: Path, max_bytes: int, stream_bytes: int | None = None) -> Streamed:
    """A report file for one import, seekable for a retry, never more than `max_bytes`.

    A regular file above the limit is refused before it is read; a pipe, `/dev/stdin` or a
    device states no size: it is copied to a temporary file, and refused as soon as it passes
    the limit (or `stream_bytes`, if lower). Raises ReportError (too large) or OSError.
    """
    size = _refuse_above(path, max_bytes)
    if size is not None:
        return Streamed(path.open("rb"), max_bytes, size)
    limit = min(max_bytes, stream_bytes or max_bytes)
    copy = tempfile.TemporaryFile(prefix="settlement-")  # noqa: SIM115 - Streamed closes it
    try:
        with path.open("rb") as source:
            shutil.copyfileobj(io.BufferedReader(_Bounded(source, path.name, limit)), copy)
    except BaseException:
        copy.close()
        raise
    return Streamed(cast(IO[bytes], copy), max_bytes, copy.tell())


def _refuse_above(path: Path, max_bytes: int) -> int | None:
    """A regular file's size, refused above `max_bytes`; None for a pipe or device."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size > max_bytes:
        raise ReportError(
            f"{path.name} has {info.st_size} bytes, more than the limit of {max_bytes}"
        )
    return info.st_size


class _Bounded(io.RawIOBase):
    """Reads a stream of unknown size and refuses to pass more than `max_bytes`; closing it
    closes the stream."""

    def __init__(self, source: IO[bytes], name: str, max_bytes: int) -> None:
        self._source, self._name, self._limit = source, name, max_bytes
        self._left = max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        piece = self._source.read(min(len(view), _PIECE_BYTES, self._left + 1))
        if len(piece) > self._left:
            raise ReportError(f"{self._name} is larger than the limit of {self._limit} bytes")
        self._left -= len(piece)
        view[: len(piece)] = piece
        return len(piece)

    def close(self) -> None:
        self._source.close()
        super().close()
