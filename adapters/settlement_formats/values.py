"""Exact readers for the values a settlement report states: amounts, currencies, timestamps.

Every reader raises `ReportError` with one line naming where (source line), which field, and
what was expected. Amounts become integer minor units by string arithmetic, never through float.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from domain.money import MoneyError, minor_units
from domain.settlement.model import ReportError

# xsd:decimal as reports write it: optional sign, digits, optional fraction ("-0.72", "0").
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")
# Amazon Pay writes "2015-10-01T11:10:34 -0700": a space before an offset without a colon.
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")
# xsd totalDigits is 20; anything far longer is not an amount (and would strain int()).
_MAX_CHARS = 40
# A column as parsers collect it: a list, tuple or numpy array.
Column = Sequence[Any] | np.ndarray
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAT = np.iinfo(np.int64).min
# The largest amount in minor units: the frame's int64 and the store's BigInteger hold no more.
MAX_MINOR = int(np.iinfo(np.int64).max)


def where(line: int | None, field: str) -> str:
    """The 'line N: field' prefix of an error message."""
    return f"line {line}: {field}" if line is not None else field


def check_text(text: str, line: int | None, field: str, max_chars: int | None = None) -> None:
    """Refuse a NUL character (no database column takes one) or text longer than `max_chars`."""
    if "\x00" in text:
        raise ReportError(
            f"{where(line, field)}: expected text without NUL characters, got {text[:40]!r}"
        )
    if max_chars is not None and len(text) > max_chars:
        raise ReportError(
            f"{where(line, field)}: expected at most {max_chars} characters, got {len(text)} "
            f"({text[:20]!r}...)"
        )


def currency_decimals(currency: str | None, line: int | None, field: str) -> int:
    """Minor-unit decimals of a stated currency; unknown or missing currencies are refused."""
    if not currency:
        raise ReportError(f"{where(line, field)}: expected a currency code, found none")
    try:
        return minor_units(currency)
    except MoneyError:
        raise ReportError(
            f"{where(line, field)}: unknown currency {currency!r} (expected an ISO code Amazon "
            "settles in, e.g. EUR, GBP, USD, JPY)"
        ) from None


def to_minor(text: str | None, decimals: int, line: int | None, field: str) -> int:
    """A decimal string as integer minor units; more decimals than the currency has are refused.

    Trailing zeros beyond the minor unit are exact and accepted ("100.00" JPY is 100 yen).
    """
    stripped = text.strip() if text is not None else ""
    match = _DECIMAL.fullmatch(stripped)
    if match is None or not (match.group(2) or match.group(3)) or len(stripped) > _MAX_CHARS:
        raise ReportError(f"{where(line, field)}: expected a decimal amount, got {text!r}")
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    significant = fraction.rstrip("0")
    if len(significant) > decimals:
        raise ReportError(f"{where(line, field)}: {stripped!r} has more than {decimals} decimals")
    minor = int((whole or "0") + significant.ljust(decimals, "0"))
    if minor > MAX_MINOR:
        largest = scaled(MAX_MINOR, decimals)
        raise ReportError(
            f"{where(line, field)}: expected an amount between -{largest} and {largest} "
            f"(what the store holds), got {stripped!r}"
        )
    return -minor if sign == "-" else minor


def scaled(minor: int, decimals: int) -> str:
    """Minor units as a decimal string (9223372036854775807, 2 -> '92233720368547758.07')."""
    text = str(minor).rjust(decimals + 1, "0")
    return f"{text[:-decimals]}.{text[-decimals:]}" if decimals else text


def check_amount_sum(amounts: np.ndarray, lines: Column, field: str, before: int = 0) -> int:
    """Refuse amounts whose absolute values add up to more than MAX_MINOR, naming the line.

    Every sum the quality check and the posting take (int64, which wraps silently) is then
    exact, and so is every payment the store is given.

    Args:
        before: the magnitudes of the report's earlier chunks, already added up.

    Returns:
        The magnitudes added up, `before` included (pass it on with the next chunk).
    """
    if len(amounts) == 0:
        return before
    magnitudes = np.abs(amounts)  # cannot wrap: to_minor keeps each within +-MAX_MINOR
    if int(magnitudes.max()) <= (MAX_MINOR - before) // len(magnitudes):
        return before + int(magnitudes.sum())  # the usual report: no sum comes near the limit
    running = before
    for index, magnitude in enumerate(magnitudes.tolist()):
        running += magnitude
        if running > MAX_MINOR:
            raise ReportError(
                f"{where(lines[index], field)}: the amounts up to here add up to more than "
                f"{MAX_MINOR} minor units (what the store holds)"
            )
    return running


def minor_column(texts: Column, currencies: Column, lines: Column, field: str) -> np.ndarray:
    """Convert many amount strings at once: each distinct text is parsed once per currency."""
    result = np.zeros(len(texts), dtype=np.int64)
    text_array = np.asarray(texts, dtype=object)
    kinds = list(dict.fromkeys(currencies))  # a report has one; the quality check flags more
    for currency in kinds:
        if len(kinds) == 1:
            rows = np.arange(len(text_array))
        else:
            rows = np.flatnonzero(np.asarray(currencies, dtype=object) == currency)
        decimals = currency_decimals(currency, lines[int(rows[0])], f"{field} currency")
        codes, uniques = pd.factorize(text_array[rows], use_na_sentinel=False)
        values = np.empty(len(uniques), dtype=np.int64)
        for code, text in enumerate(uniques):
            try:
                values[code] = to_minor(text, decimals, None, field)
            except ReportError:  # raise again, naming the first line that has it
                line = lines[int(rows[int(np.argmax(codes == code))])]
                values[code] = to_minor(text, decimals, line, field)
        result[rows] = values[codes]
    return result


def parse_timestamp(
    text: str | None, line: int | None, field: str, *, to_utc: bool = True
) -> datetime:
    """An ISO 8601 timestamp with an explicit offset, as an aware (UTC) datetime."""
    parsed, _ns = _timestamp(text, line, field)
    return parsed.astimezone(UTC) if to_utc else parsed


def timestamp_ns(text: str | None, line: int | None, field: str) -> int:
    """A timestamp as integer nanoseconds since the epoch (UTC), exact to the microsecond."""
    return _timestamp(text, line, field)[1]


def _timestamp(text: str | None, line: int | None, field: str) -> tuple[datetime, int]:
    """The aware datetime as written and its nanoseconds since the epoch, within int64."""
    if text is None or not text.strip():
        raise ReportError(f"{where(line, field)}: expected a date-time, found none")
    value = text.strip()
    try:
        parsed: datetime | None = datetime.fromisoformat(value)
    except ValueError:
        try:  # Amazon Pay's "2015-10-01T11:10:34 -0700"
            parsed = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1", value))
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ReportError(
            f"{where(line, field)}: expected a date-time with offset like "
            f"2011-10-21T08:18:20+00:00, got {text!r}"
        )
    delta = parsed - _EPOCH  # aware: exact, and a timedelta cannot overflow here
    ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
    if not _NAT < ns <= MAX_MINOR:  # datetime64[ns] spans 1677-09-21 to 2262-04-11
        raise ReportError(
            f"{where(line, field)}: expected a date-time between the years 1678 and 2261, "
            f"got {text!r}"
        )
    return parsed, ns


def missing_timestamp_ns() -> int:
    """The nanosecond value pandas reads as NaT (a transaction without a posted date)."""
    return int(_NAT)
