"""One settlement report's pass through the store, never held whole, and what an import needs
beside the store: the configured accounts and the JSON outcome of parse and check.

`open_report` opens a report file for one import: a regular file is refused above the size
limit before it is read; a pipe or device (no size stated) is copied to a temporary file and
cut off at the limit. `Streamed` reads it in pieces through a SHA-256 digest. `stage_report`
takes the report's chunks (parsed by the domain) through the quality check one by one, planning
and staging each in the caller's transaction as it passes (adapters.erp.settlements); nothing
is booked until the whole report passed. The use case around it is
`services.settlements.import_report`.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, cast

from adapters.erp.settlements import SettlementRepository, StoredReport
from adapters.quality.result import CheckResult
from adapters.settings import ModuleSettings
from domain.money import Money
from domain.settlement.model import ParsedReport, ReportChunk, ReportError, ReportHeader
from domain.settlement.parse import DEFAULT_MAX_BYTES, iter_report
from domain.settlement.posting import Accounts, PostingTotals
from domain.settlement.states import ReportStatus

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_REPORT_BYTES = DEFAULT_MAX_BYTES  # `settlement parse`; imports take the settings' limits
_PIECE_BYTES = 1 << 20
Progress = Callable[[float], None]  # told the share done (0 to 100)


class ReportInput(Protocol):
    """A report for one import: its chunks (again for each attempt), its check, its digest."""

    def chunks(self) -> Iterable[ReportChunk]: ...

    def check(self, chunks: Iterable[ReportChunk]) -> CheckResult: ...

    def sha256(self) -> str | None: ...

    def told(self, share: float) -> None: ...


@dataclass
class Staged:
    """What one pass over a report found, and what it staged for posting.

    `totals` is None when nothing was staged: the report was found posted before.
    """

    header: ReportHeader
    check: CheckResult
    stored: StoredReport | None
    rows: int = 0
    total_minor: int = 0
    totals: PostingTotals | None = None
    attempts: int = 0

    @property
    def posted_before(self) -> bool:
        return self.stored is not None and self.stored.status is ReportStatus.POSTED


def stage_report(
    reports: SettlementRepository, report: ReportInput, source: str, accounts: Accounts
) -> Staged:
    """Parse, check and stage one report in the repository's transaction, chunk by chunk.

    The first chunk's header locks the report's row (posted before: nothing is staged, the
    rest is only checked) and claims it for this attempt. A ReportError from any chunk ends
    the pass: the caller's transaction rolls back.
    """
    passing = _Passing(reports, source, accounts)
    check = report.check(passing.through(report.chunks()))
    return passing.staged(check)


class _Passing:
    """The chunks on their way to the check: each is counted, planned and staged first."""

    def __init__(self, reports: SettlementRepository, source: str, accounts: Accounts):
        self.reports, self.source, self.accounts = reports, source, accounts
        self.header: ReportHeader | None = None
        self.stored: StoredReport | None = None
        self.totals: PostingTotals | None = None
        self.attempts = self.rows = self.total_minor = 0

    def through(self, chunks: Iterable[ReportChunk]) -> Iterator[ReportChunk]:
        for chunk in chunks:
            if self.header is None:
                self._begin(chunk.header)
            if self.totals is not None:
                self.reports.stage(chunk.frame, self.accounts, self.totals)
            self.rows += len(chunk.frame)
            self.total_minor += int(chunk.frame["amount_minor"].sum())
            yield chunk

    def _begin(self, header: ReportHeader) -> None:
        self.header = header
        self.stored = self.reports.lock(header.settlement_id)
        if self.stored is None or self.stored.status is not ReportStatus.POSTED:
            self.attempts = self.reports.claim(header, self.source)
            self.reports.open_staging()
            self.totals = PostingTotals()

    def staged(self, check: CheckResult) -> Staged:
        if self.header is None:
            raise ReportError("the report has no rows and no header")
        return Staged(
            self.header, check, self.stored, self.rows, self.total_minor, self.totals, self.attempts
        )


@dataclass
class Streamed:
    """A report file read in pieces through a SHA-256 digest, parsed and checked in chunks."""

    stream: IO[bytes]
    max_bytes: int
    progress: Progress | None = None
    size: int = 0
    _reader: _Digesting | None = field(default=None, repr=False)

    def chunks(self) -> Iterator[ReportChunk]:
        """The report's chunks, read from its start (again for a second attempt)."""
        self.stream.seek(0)
        self._reader = _Digesting(self.stream)
        return iter_report(cast(IO[bytes], self._reader), max_bytes=self.max_bytes)

    def check(self, chunks: Iterable[ReportChunk]) -> CheckResult:
        from adapters.quality.chunked import check_report_chunks  # GX loads on first use

        return check_report_chunks(self._told_each(chunks))

    def _told_each(self, chunks: Iterable[ReportChunk]) -> Iterator[ReportChunk]:
        for chunk in chunks:
            yield chunk
            if self._reader is not None and self.size:
                self.told(90.0 * self._reader.count / self.size)

    def sha256(self) -> str | None:
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


@contextmanager
def open_report(path: Path, max_bytes: int, stream_bytes: int | None = None) -> Iterator[Streamed]:
    """A report file for one import, seekable for a retry, never more than `max_bytes`.

    A regular file above the limit is refused before it is read; a pipe, `/dev/stdin` or a
    device states no size: it is copied to a temporary file, and refused as soon as it passes
    the limit (or `stream_bytes`, if lower). Raises ReportError (too large) or OSError.
    """
    info = path.stat()
    if stat.S_ISREG(info.st_mode):
        if info.st_size > max_bytes:
            raise ReportError(
                f"{path.name} has {info.st_size} bytes, more than the limit of {max_bytes}"
            )
        with path.open("rb") as stream:
            yield Streamed(stream, max_bytes, size=info.st_size)
        return
    limit = min(max_bytes, stream_bytes or max_bytes)
    with tempfile.TemporaryFile(prefix="settlement-") as copy, path.open("rb") as source:
        shutil.copyfileobj(io.BufferedReader(_Bounded(source, path.name, limit)), copy)
        size = copy.tell()
        yield Streamed(copy, max_bytes, size=size)


class _Bounded(io.RawIOBase):
    """Reads a stream of unknown size and refuses to pass more than `max_bytes`."""

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


def accounts_of(settings: ModuleSettings) -> Accounts:
    """The finance accounts configured in the settings."""
    return Accounts(
        income=settings.account_income,
        expenses=settings.account_expenses,
        fees=settings.account_amazon_fees,
        clearing=settings.account_clearing or None,
    )


def facts(header: ReportHeader, rows: int, total_minor: int) -> dict[str, Any]:
    """What the report says: id, format, currency, total (the CSV's: the sum), rows, sum."""
    stated = header.stated_total or Money.from_minor(total_minor, header.currency)
    return {
        "settlement_id": header.settlement_id,
        "format": header.report_format,
        "currency": header.currency,
        "total_amount": str(stated.amount),
        "rows": rows,
        "sum_amount": str(Money.from_minor(total_minor, header.currency).amount),
    }


def report_facts(report: ParsedReport) -> dict[str, Any]:
    """`facts` of a whole parsed report."""
    return facts(report.header, len(report.frame), int(report.frame["amount_minor"].sum()))


def outcome(report: ParsedReport, result: CheckResult) -> dict[str, Any]:
    """The JSON outcome of parse + check of a whole report; a post adds `PostResult.outcome()`."""
    return checked(report_facts(report), result)


def staged_outcome(staged: Staged) -> dict[str, Any]:
    """The JSON outcome of one pass (parse + check); a post adds `PostResult.outcome()`."""
    return checked(facts(staged.header, staged.rows, staged.total_minor), staged.check)


def checked(summary: dict[str, Any], result: CheckResult) -> dict[str, Any]:
    """The report's facts plus the check's verdict."""
    summary["valid"] = result.valid
    summary["failed_expectations"] = list(result.failed_expectations)
    return summary
