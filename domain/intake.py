"""The webshop intake: JSON lines, one order a line, read all or nothing.

Every bad line is reported with its line number and reason; a file with any bad line yields no
documents at all, so a half-imported file cannot happen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money, MoneyError, minor_units

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


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class IntakeError(ValueError):
    """A line that does not describe a valid order."""


def read_orders(text: str) -> tuple[list[Document], list[LineError]]:
    """Parse JSON-lines orders; returns the documents, or no documents and every line's error."""
    documents: list[Document] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = order_from_json(line)
        except IntakeError as problem:
            errors.append(LineError(number, str(problem)))
            continue
        if document.number in seen:
            errors.append(
                LineError(
                    number,
                    f"duplicate number {document.number} (first on line {seen[document.number]})",
                )
            )
            continue
        seen[document.number] = number
        documents.append(document)
    if not documents and not errors:
        errors.append(LineError(0, "the file holds no orders"))
    return ([] if errors else documents), errors


def order_from_json(line: str) -> Document:
    """One order from one JSON line; raises IntakeError naming the field at fault."""
    try:
        raw = json.loads(line, parse_float=_refuse_float)
    except json.JSONDecodeError as problem:
        raise IntakeError(f"malformed JSON: {problem.msg} at column {problem.colno}") from None
    except IntakeError:
        raise
    record = _object(raw, ORDER_FIELDS, "order")
    currency = _string(record, "currency")
    try:
        minor_units(currency)
    except MoneyError:
        raise IntakeError(f"unknown currency {currency!r}") from None
    items = record["items"]
    if not isinstance(items, list) or not items:
        raise IntakeError("items must be a non-empty list")
    customer = _object(record["customer"], CUSTOMER_FIELDS, "customer")
    try:
        return Document(
            number=_string(record, "number"),
            doc_type=DocumentType.ORDER,
            currency=currency,
            items=[_item(raw_item, currency, index) for index, raw_item in enumerate(items)],
            shipping=_money(record["shipping"], currency, "shipping"),
            customer=Customer(_string(customer, "name"), _string(customer, "email")),
            charge_permission_id=_string(record, "charge_permission_id"),
            charge_id=_optional_string(record, "charge_id"),
        )
    except ValueError as problem:
        raise IntakeError(str(problem)) from None


def _refuse_float(text: str) -> Any:
    raise IntakeError(f'amount {text} is a JSON number; amounts are decimal strings like "9.95"')


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


def _string(record: dict[str, Any], name: str) -> str:
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise IntakeError(f"{name} must be a non-empty string")
    return value


def _optional_string(record: dict[str, Any], name: str) -> str | None:
    return None if record[name] is None else _string(record, name)


def _money(value: object, currency: str, field_name: str) -> Money:
    if not isinstance(value, str):
        raise IntakeError(f'{field_name} must be a decimal string like "4.90"')
    try:
        amount = Money(value, currency)
    except MoneyError as problem:
        raise IntakeError(f"{field_name}: {problem}") from None
    if amount.amount < 0:
        raise IntakeError(f"{field_name} must not be negative, got {value}")
    return amount


def _item(raw: object, currency: str, index: int) -> Item:
    item = _object(raw, ITEM_FIELDS, f"items[{index}]")
    quantity = item["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise IntakeError(f"items[{index}].quantity must be a positive whole number")
    return Item(
        sku=_string(item, "sku"),
        name=_string(item, "name"),
        quantity=quantity,
        unit_price=_money(item["unit_price"], currency, f"items[{index}].unit_price"),
    )
