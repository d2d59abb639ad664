"""The review list of a posted report, summed up: rows not booked, by reason and currency."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from domain.money import Money

FIRST_ROWS = 1_000  # rows shown in the UI; the CSV beside the store holds all of them


@dataclass(frozen=True)
class ReasonTotal:
    reason: str
    rows: int
    total: Money


@dataclass(frozen=True)
class ReviewExport:
    """A posted report's review list: sums by reason, the first rows, and the CSV of all."""

    settlement_id: str
    totals: list[ReasonTotal]
    first_rows: list[dict[str, str]]
    csv_path: Path

    def markdown(self) -> str:
        """The report's section of the `settlement-review` artifact."""
        lines = [f"## Settlement {self.settlement_id}", "", f"All rows: `{self.csv_path}`", ""]
        lines += ["| reason | rows | sum |", "|---|---|---|"]
        lines += [f"| {t.reason} | {t.rows} | {t.total} |" for t in self.totals]
        if self.first_rows:
            names = list(self.first_rows[0])
            lines += ["", f"First {len(self.first_rows)} row(s):", ""]
            lines += ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
            lines += ["| " + " | ".join(row[n] for n in names) + " |" for row in self.first_rows]
        return "\n".join(lines) + "\n"


def totals_by_reason(items: Iterable[Mapping[str, object]]) -> list[ReasonTotal]:
    """Counts and sums of the review rows per reason and currency, in the order first seen."""
    rows: dict[tuple[str, str], int] = {}
    minor: dict[tuple[str, str], int] = {}
    for item in items:
        key = (str(item["reason"]), str(item["currency"]))
        rows[key] = rows.get(key, 0) + 1
        minor[key] = minor.get(key, 0) + int(str(item["amount_minor"]))
    return [
        ReasonTotal(reason, rows[(reason, currency)], Money.from_minor(total, currency))
        for (reason, currency), total in minor.items()
    ]


def review_line(item: Mapping[str, object]) -> dict[str, str]:
    """One review row as the UI and the CSV show it: ids, amount type, money and reason."""
    row = item.get("row")
    fields = row if isinstance(row, Mapping) else {}
    amount = Money.from_minor(int(str(item["amount_minor"])), str(item["currency"]))
    return {
        "source_line": str(item.get("source_line") or ""),
        "transaction_kind": str(fields.get("transaction_kind") or ""),
        "amount_type": str(fields.get("amount_type") or ""),
        "merchant_order_id": str(fields.get("merchant_order_id") or ""),
        "transaction_id": str(fields.get("transaction_id") or ""),
        "amount": str(amount.amount),
        "currency": amount.currency,
        "reason": str(item["reason"]),
    }
