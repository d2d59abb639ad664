"""One entry point for settlement reports: check the size, detect the format, dispatch.

Input is bytes or a binary stream handed in by the caller (no file is opened here). The
size limit is checked before parsing wherever the size is known (bytes, seekable streams) and
enforced while reading otherwise.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from adapters.settlement_formats.csv_report import iter_amazon_pay_csv
from adapters.settlement_formats.frame import concat_chunks
from adapters.settlement_formats.xml_report import iter_xml_report
from domain.settlement.model import DEFAULT_CHUNK_ROWS, ParsedReport, ReportChunk, ReportError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer  # what io.RawIOBase.readinto is given

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_SNIFF_BYTES = 4096
_READ_BYTES = 1 << 16
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_NOT_SETTLEMENT = "not a settlement report"
# First header field of reports that look alike but are refused, and why.
_REFUSED_CSV = {
    '"AmazonRefundId"': f"an Amazon Pay refund transaction report (REFUND_DATA), {_NOT_SETTLEMENT}",
    '"AmazonCaptureId"': f"an Amazon Pay capture transaction report, {_NOT_SETTLEMENT}",
    '"AmazonAuthorizationId"': f"an Amazon Pay authorization report, {_NOT_SETTLEMENT}",
    '"AmazonOrderReferenceId"': f"an Amazon Pay order reference report, {_NOT_SETTLEMENT}",
    "settlement-id\t": "a marketplace flat-file (TSV) settlement report: not supported yet",
}


def detect_format(head: bytes) -> str:
    """'xml' or 'amazon-pay-csv' from the first bytes of a report; anything else is refused."""
    body = head
    for bom in _BOMS:
        if body.startswith(bom):
            if bom != _BOMS[0]:  # a UTF-16 byte order mark: only XML declares its encoding
                return "xml"
            body = body[len(bom) :]
    if body.lstrip().startswith(b"<"):
        return "xml"
    lines = body.decode("utf-8", errors="replace").splitlines()[:8]
    first = lines[0] if lines else ""
    for start, what in _REFUSED_CSV.items():
        if first.startswith(start):
            raise ReportError(f"line 1: this is {what}")
    if any(line.startswith(('"Settlement Report"', '"TransactionPostedDate"')) for line in lines):
        return "amazon-pay-csv"
    raise ReportError(
        "line 1: unrecognised report: expected an XML settlement report or an Amazon Pay "
        f"settlement CSV; it starts with {first[:60]!r}"
    )


def parse_report(data: bytes | IO[bytes], *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedReport:
    """Parse a settlement report (XML or Amazon Pay CSV) into header, canonical frame and extras.

    The whole report at once: `iter_report`'s chunks concatenated.

    Args:
        data: the whole report as bytes, or a binary stream positioned at its start.
        max_bytes: larger reports are refused with a ReportError before parsing.
    """
    return concat_chunks(iter_report(data, max_bytes=max_bytes, chunk_rows=None))


def iter_report(
    data: bytes | IO[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk_rows: int | None = DEFAULT_CHUNK_ROWS,
) -> Iterator[ReportChunk]:
    """Parse a settlement report (XML or Amazon Pay CSV) read in pieces, yielding its rows in
    chunks of about `chunk_rows` (whole transactions or lines), the last one marked `final`.

    A ReportError can come with any chunk: act on the chunks only once the final one arrived.

    Args:
        data: the report as bytes, or a binary stream positioned at its start (read in pieces).
        max_bytes: larger reports are refused with a ReportError, before parsing where the size
            is known, else as soon as the stream passes the limit.
        chunk_rows: rows per chunk; None for the whole report in one chunk.
    """
    stream = _bounded_stream(data, max_bytes)
    head = stream.read(_SNIFF_BYTES)
    if not head:
        raise ReportError("the report is empty")
    report_format = detect_format(head)
    whole = io.BufferedReader(_Prefixed(head, stream), buffer_size=_READ_BYTES)
    if report_format == "xml":
        return iter_xml_report(whole, chunk_rows=chunk_rows)
    return iter_amazon_pay_csv(whole, chunk_rows=chunk_rows)


def _bounded_stream(data: bytes | IO[bytes], max_bytes: int) -> IO[bytes]:
    """A binary stream over the input, refused up front if its known size exceeds the limit."""
    if isinstance(data, str):
        raise TypeError("pass bytes or a binary stream: text has lost the report's own encoding")
    if isinstance(data, os.PathLike):
        raise TypeError("pass bytes or a binary stream: open the file first (reports.report_file)")
    if isinstance(data, bytes | bytearray | memoryview):
        _check_size(len(data), max_bytes)
        return io.BytesIO(data)
    if data.seekable():
        position = data.tell()
        size = data.seek(0, io.SEEK_END) - position
        data.seek(position)
        _check_size(size, max_bytes)
    return io.BufferedReader(_Limited(data, max_bytes), buffer_size=_READ_BYTES)


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ReportError(
            f"the report has {size} bytes, more than the limit of {max_bytes} (max_bytes)"
        )


class _Limited(io.RawIOBase):
    """Reads through to a stream and refuses to pass more than `max_bytes` (unknown sizes)."""

    def __init__(self, source: IO[bytes], max_bytes: int) -> None:
        self._source = source
        self._limit = max_bytes
        self._left = max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._source.read(min(len(view), self._left + 1))
        if len(chunk) > self._left:
            raise ReportError(f"the report is larger than the limit of {self._limit} (max_bytes)")
        self._left -= len(chunk)
        view[: len(chunk)] = chunk
        return len(chunk)


class _Prefixed(io.RawIOBase):
    """The sniffed head followed by the rest of the stream, read as one stream again."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        chunk = self._rest.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)
