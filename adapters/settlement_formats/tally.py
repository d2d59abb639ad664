"""What a report says about itself, added up chunk by chunk as the chunks stream past.

`ReportTally.counted` passes a report's chunks through unchanged and keeps the header, the row
count and the exact sum of the amounts: the facts a summary of the whole report shows, without
the whole frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from domain.money import Money
from domain.settlement.model import ReportChunk, ReportHeader


class ReportTally:
    """Header, rows and the sum of the amounts (integer minor units) of the chunks so far."""

    def __init__(self) -> None:
        self.header: ReportHeader | None = None
        self.rows = 0
        self.sum_minor = 0

    def counted(self, chunks: Iterable[ReportChunk]) -> Iterator[ReportChunk]:
        """The chunks, unchanged, each counted as it passes."""
        for chunk in chunks:
            self.header = chunk.header
            self.rows += len(chunk.frame)
            self.sum_minor += int(chunk.frame["amount_minor"].sum())
            yield chunk

    def facts(self) -> dict[str, Any]:
        """id, format, currency, total (the CSV states none: the sum), rows, sum; amounts as
        decimal strings."""
        header = self.header
        if header is None:
            raise ValueError("no chunks counted: a parser yields at least its final chunk")
        summed = Money.from_minor(self.sum_minor, header.currency)
        stated = header.stated_total or summed
        return {
            "settlement_id": header.settlement_id,
            "format": header.report_format,
            "currency": header.currency,
            "total_amount": str(stated.amount),
            "rows": self.rows,
            "sum_amount": str(summed.amount),
        }
