"""The webshop intake: JSON lines, one order a line, read all or nothing.

Every bad line is reported with its line number and reason; a file with any bad line yields no
documents at all, so a half-imported file cannot happen. Every value is checked against what the
ERP store can hold, so the store never refuses (or silently truncates) an order the intake passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NoReturn

from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money, MoneyError, minor_units

# What the ERP store can hold (adapters/erp/schema.py): amounts are BigInteger minor units, a
# quantity is an Integer, texts are String(n). PostgreSQL refuses a value beyond these with a
# DataError and SQLite keeps it silently, so the intake refuses it first, the same everywhere.
MAX_MINOR_UNITS = 2**63 - 1  # BigInteger: unit prices, shipping and the gross total (captured)
MAX_QUANTITY = 2**31 - 1  # Integer: document_items.quantity
MAX_NUMBER_LENGTH = 64  # documents.number
MAX_CUSTOMER_LENGTH = 200  # documents.customer_name and customer_email
MAX_SKU_LENGTH = 64  # document_items.sku
MAX_ITEM_NAME_LENGTH = 200  # document_items.name
MAX_AMAZON_ID_LENGTH = 64  # amazon_refs.amazon_id: charge_permission_id and charge_id
# JSON whole numbers longer than this are not parsed: Python refuses above 4300 digits with a
# ValueError, and anything this long is beyond MAX_QUANTITY anyway.
MAX_INTEGER_DIGITS = 40
# The stand-in for any longer number (see _whole_number).
BEYOND_INTEGER_DIGITS: Final[int] = 10**MAX_INTEGER_DIGITS
# A reason is printed on one line: control characters are escaped and long reasons cut.
MAX_REASON_LENGTH = 300

ORDER_FIELDS = (
    "number",
    "currency",
    "charge_permission_id",
    "charge_id",
    "items",
    "shipping",
    "customer",
)
ITEM_FIELDS = ("sku", "name", "quantity", "unit_price")
CUSTOMER_FIELDS = ("name", "email")
TOO_MUCH = "more than the store holds"


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {_one_line(self.reason)}"


@dataclass(frozen=True)
class OrderLine:
    """A good order and the number of the line it came from."""

    line: int
    document: Document


class IntakeError(ValueError):
    """A line that does not describe a valid order."""


def read_orders(text: str) -> tuple[list[Document], list[LineError]]:
    """Parse JSON-lines text; returns the documents, or no documents and every line's error."""
    orders, errors = read_order_lines(text.encode("utf-8", "surrogatepass").split(b"\n"))
    return [order.document for order in orders], errors


def read_order_lines(lines: Iterable[bytes]) -> tuple[list[OrderLine], list[LineError]]:
    """Parse JSON-lines orders as they come; the good orders, or none and every line's error."""
    orders: list[OrderLine] = []
    errors: list[LineError] = []
    numbers: dict[str, int] = {}
    ids: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            document = order_from_json(_decoded(line))
            _claim(document, number, numbers, ids)
        except IntakeError as problem:
            errors.append(LineError(number, str(problem)))
            continue
        if not errors:  # once one line is bad nothing is imported: keep no more documents
            orders.append(OrderLine(number, document))
    if not orders and not errors:
        errors.append(LineError(0, "the file holds no orders"))
    return ([] if errors else orders), errors


def amazon_ids(document: Document) -> list[tuple[str, str]]:
    """The document's Amazon ids by field name; the store keeps each id once, whatever its kind."""
    pairs = (
        ("charge_permission_id", document.charge_permission_id),
        ("charge_id", document.charge_id),
    )
    return [(name, value) for name, value in pairs if value]


def already_stored(orders: list[OrderLine], numbers: set[str], ids: set[str]) -> list[LineError]:
    """A line error for each order whose number or Amazon id the store already holds."""
    errors = []
    for order in orders:
        taken = [f"number {order.document.number}"] if order.document.number in numbers else []
        taken += [f"{name} {value}" for name, value in amazon_ids(order.document) if value in ids]
        if taken:
            errors.append(LineError(order.line, f"{taken[0]} is already in the store"))
    return errors


def order_from_json(line: str) -> Document:
    """One order from one JSON line; raises IntakeError naming the field at fault."""
    return order_from_record(load_json(line))


def load_json(text: str) -> object:
    """JSON as the intake reads it: JSON numbers with a fraction refused, huge integers capped."""
    try:
        return json.loads(text, parse_float=_refuse_float, parse_int=_whole_number)
    except json.JSONDecodeError as problem:
        raise IntakeError(f"malformed JSON: {problem.msg} at column {problem.colno}") from None
    except RecursionError:
        raise IntakeError("malformed JSON: nested too deeply") from None


def order_from_record(raw: object) -> Document:
    """One order from parsed JSON (see `load_json`); raises IntakeError naming the field."""
    record = _object(raw, ORDER_FIELDS, "order")
    currency = _string(record, "currency")
    try:
        minor_units(currency)  # every known currency code has the 3 characters the store holds
    except MoneyError:
        raise IntakeError(f"unknown currency {currency!r}") from None
    items = record["items"]
    if not isinstance(items, list) or not items:
        raise IntakeError("items must be a non-empty list")
    customer = _object(record["customer"], CUSTOMER_FIELDS, "customer")
    try:
        document = Document(
            number=_text(record, "number", MAX_NUMBER_LENGTH),
            doc_type=DocumentType.ORDER,
            currency=currency,
            items=[_item(raw_item, currency, index) for index, raw_item in enumerate(items)],
            shipping=_money(record["shipping"], currency, "shipping"),
            customer=Customer(
                _text(customer, "name", MAX_CUSTOMER_LENGTH, "customer.name"),
                _text(customer, "email", MAX_CUSTOMER_LENGTH, "customer.email"),
            ),
            charge_permission_id=_text(record, "charge_permission_id", MAX_AMAZON_ID_LENGTH),
            charge_id=_optional_text(record, "charge_id", MAX_AMAZON_ID_LENGTH),
        )
    except ValueError as problem:
        raise IntakeError(str(problem)) from None
    _check_total(document)
    return document


def _decoded(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise IntakeError(f"not UTF-8 text: {problem.reason} at byte {problem.start + 1}") from None


def _claim(document: Document, line: int, numbers: dict[str, int], ids: dict[str, int]) -> None:
    """Refuse a number or Amazon id an earlier line holds; else note them as this line's."""
    if document.number in numbers:
        first = numbers[document.number]
        raise IntakeError(f"duplicate number {document.number} (first on line {first})")
    pairs = amazon_ids(document)
    for name, value in pairs:
        if value in ids:
            raise IntakeError(f"duplicate {name} {value} (first on line {ids[value]})")
    if len({value for _, value in pairs}) < len(pairs):
        raise IntakeError("charge_id: the same as charge_permission_id")
    numbers[document.number] = line
    ids.update((value, line) for _, value in pairs)


def _check_total(document: Document) -> None:
    """The gross total in whole minor units: exact, and never through the decimal context."""
    lines = [item.unit_price.to_minor() * item.quantity for item in document.all_items()]
    total = sum(lines) + document.shipping.to_minor()
    if total > MAX_MINOR_UNITS:
        raise IntakeError(f"total: {TOO_MUCH} (at most {_largest(document.currency)})")
    if total == 0:
        raise IntakeError(f"total: {Money.zero(document.currency)}, nothing to authorize")


def _refuse_float(text: str) -> NoReturn:
    raise IntakeError(f'amount {text} is a JSON number; amounts are decimal strings like "9.95"')


def _whole_number(digits: str) -> int:
    # Past the limit a number stands in as one beyond every column, so the field check names it.
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        return -BEYOND_INTEGER_DIGITS if digits.startswith("-") else BEYOND_INTEGER_DIGITS
    return int(digits)


def _object(raw: object, fields: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise IntakeError(f"{what} must be a JSON object")
    missing = [name for name in fields if name not in raw]
    if missing:
        raise IntakeError(f"{what} is missing field(s): {', '.join(missing)}")
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise IntakeError(f"{what} has unknown field(s): {', '.join(unknown)}")
    return raw


def _string(record: dict[str, Any], name: str, label: str | None = None) -> str:
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise IntakeError(f"{label or name} must be a non-empty string")
    return value


def _text(record: dict[str, Any], name: str, limit: int, label: str | None = None) -> str:
    """A non-empty string the store can hold: at most `limit` characters, no NUL."""
    label = label or name
    value = _string(record, name, label)
    if "\x00" in value:  # PostgreSQL text cannot hold NUL; SQLite would keep it
        raise IntakeError(f"{label}: NUL characters are refused")
    if len(value) > limit:
        raise IntakeError(f"{label}: {len(value)} characters, the store holds {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a JSON escape such as \ud800 with no partner
        raise IntakeError(f"{label}: a lone surrogate is not text") from None
    return value


def _optional_text(record: dict[str, Any], name: str, limit: int) -> str | None:
    return None if record[name] is None else _text(record, name, limit)


def _money(value: object, currency: str, field_name: str) -> Money:
    if not isinstance(value, str):
        raise IntakeError(f'{field_name} must be a decimal string like "4.90"')
    if not _within_store(value, currency):
        raise IntakeError(f"{field_name}: {TOO_MUCH} (at most {_largest(currency)})")
    try:
        amount = Money(value, currency)
    except MoneyError as problem:
        raise IntakeError(f"{field_name}: {problem}") from None
    if amount.amount < 0:
        raise IntakeError(f"{field_name} must not be negative, got {value}")
    return amount


def _within_store(value: str, currency: str) -> bool:
    """Checked before Money, whose rounding overflows the decimal context on amounts like 1e30."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return True  # not an amount at all: Money says so
    largest = Decimal(MAX_MINOR_UNITS).scaleb(-minor_units(currency))
    return not amount.is_finite() or amount.copy_abs() <= largest  # exact, no context


def _largest(currency: str) -> Money:
    return Money.from_minor(MAX_MINOR_UNITS, currency)


def _item(raw: object, currency: str, index: int) -> Item:
    label = f"items[{index}]"
    item = _object(raw, ITEM_FIELDS, label)
    sku = _text(item, "sku", MAX_SKU_LENGTH, f"{label}.sku")
    name = _text(item, "name", MAX_ITEM_NAME_LENGTH, f"{label}.name")
    quantity = item["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise IntakeError(f"{label}.quantity must be a positive whole number")
    if quantity > MAX_QUANTITY:
        raise IntakeError(f"{label}.quantity: {TOO_MUCH} (at most {MAX_QUANTITY})")
    unit_price = _money(item["unit_price"], currency, f"{label}.unit_price")
    if unit_price.to_minor() * quantity > MAX_MINOR_UNITS:
        limit = _largest(currency)
        raise IntakeError(f"{label}: quantity times unit_price is {TOO_MUCH} (at most {limit})")
    return Item(sku=sku, name=name, quantity=quantity, unit_price=unit_price)


def _one_line(text: str) -> str:
    """The text as one printable line: control characters escaped, cut after a few hundred."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: MAX_REASON_LENGTH + 1])
    return shown if len(shown) <= MAX_REASON_LENGTH else shown[: MAX_REASON_LENGTH - 1] + "…"
