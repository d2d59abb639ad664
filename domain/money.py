"""Money: an immutable (Decimal, ISO currency) pair, exact to the currency's minor unit.

Floats are refused everywhere: a float has already lost the cent it was meant to carry.
Rounding happens only where a caller asks for it, with a named mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units of the currencies Amazon Pay settles or presents in.
MINOR_UNITS: dict[str, int] = {
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "JPY": 0,
    "NOK": 2,
    "NZD": 2,
    "SEK": 2,
    "USD": 2,
    "ZAR": 2,
}

# Named rounding modes: commercial rounding for prices, banker's rounding where a standard asks.
HALF_UP = ROUND_HALF_UP
HALF_EVEN = ROUND_HALF_EVEN


class MoneyError(ValueError):
    """A money value that cannot be represented exactly or combined safely."""


def minor_units(currency: str) -> int:
    """Number of decimals of the currency's minor unit (JPY 0, EUR 2)."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, float):
        raise MoneyError(f"float {value!r} refused: pass a decimal string or Decimal")
    if isinstance(value, bool):
        raise MoneyError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not a decimal amount") from None
    else:
        raise MoneyError(f"{type(value).__name__} {value!r} is not an amount")
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, never with more decimals than the currency allows."""

    amount: Decimal
    currency: str

    def __init__(self, amount: object, currency: str) -> None:
        decimals = minor_units(currency)
        value = _as_decimal(amount)
        exponent = value.as_tuple().exponent
        if (
            isinstance(exponent, int)
            and -exponent > decimals
            and value != value.quantize(Decimal(1).scaleb(-decimals))
        ):
            raise MoneyError(
                f"{value} {currency} has more than {decimals} decimals; round it explicitly"
            )
        object.__setattr__(self, "amount", value.quantize(Decimal(1).scaleb(-decimals)))
        object.__setattr__(self, "currency", currency)

    @classmethod
    def rounded(cls, amount: object, currency: str, rounding: str = HALF_UP) -> Money:
        """Money from any exact amount, rounded to the minor unit with the named mode."""
        quantum = Decimal(1).scaleb(-minor_units(currency))
        return cls(_as_decimal(amount).quantize(quantum, rounding=rounding), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Money from integer minor units (cents, or yen)."""
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise MoneyError(f"minor units must be an int, got {minor!r}")
        return cls(Decimal(minor).scaleb(-minor_units(currency)), currency)

    def to_minor(self) -> int:
        """The amount as integer minor units; exact by construction."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same_currency(other).amount

    def times(self, quantity: int) -> Money:
        """The amount multiplied by a whole quantity (an item line)."""
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise MoneyError(f"quantity must be an int, got {quantity!r}")
        return Money(self.amount * quantity, self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def money_sum(values: list[Money], currency: str) -> Money:
    """Sum of amounts in one currency; an empty list sums to zero."""
    total = Money.zero(currency)
    for value in values:
        total = total + value
    return total
