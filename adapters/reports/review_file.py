"""The review list of a report as a CSV file beside the store, for the accountant."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path


def write_review_csv(folder: Path, settlement_id: str, lines: Iterable[dict[str, str]]) -> Path:
    """Write `settlement-<id>-review.csv` (replaced as a whole, never half-written)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in settlement_id)
    path = folder / f"settlement-{safe}-review.csv"
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as out:
        writer: csv.DictWriter[str] | None = None
        for line in lines:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(line))
                writer.writeheader()
            writer.writerow(line)
    partial.replace(path)
    return path
