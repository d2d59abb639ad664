"""Every field at fault in one order, at once: the intake's checks, field by field.

`order_from_record` stops at the first fault, which suits a file (one message per line); the
HTTP API names every field at fault in one answer, so the ERP can correct them all.
"""

from __future__ import annotations

from typing import Any

from domain.intake import (
    CUSTOMER_FIELDS,
    ITEM_FIELDS,
    MAX_AMAZON_ID_LENGTH,
    MAX_CUSTOMER_LENGTH,
    MAX_ITEM_NAME_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_QUANTITY,
    MAX_SKU_LENGTH,
    ORDER_FIELDS,
    IntakeError,
    _item,
    _money,
    _optional_text,
    _string,
    _text,
    order_from_record,
)
from domain.money import MoneyError, minor_units


def field_errors(raw: object) -> list[tuple[str, str]]:
    """Every field at fault in one parsed order, as (field, reason); empty for a good order.

    `order_from_record` stops at the first fault; this looks at each field on its own, so a
    caller can name them all at once.
    """
    if not isinstance(raw, dict):
        return [("", "order must be a JSON object")]
    faults = _field_faults(raw, ORDER_FIELDS, "")
    currency = _checked(faults, "currency", lambda: _known_currency(raw))
    for name, limit in (
        ("number", MAX_NUMBER_LENGTH),
        ("charge_permission_id", MAX_AMAZON_ID_LENGTH),
    ):
        _checked(faults, name, lambda name=name, limit=limit: _text(raw, name, limit))
    _checked(faults, "charge_id", lambda: _optional_text(raw, "charge_id", MAX_AMAZON_ID_LENGTH))
    if currency:
        _checked(faults, "shipping", lambda: _money(raw["shipping"], currency, "shipping"))
    customer = raw.get("customer")
    if isinstance(customer, dict):
        faults += _field_faults(customer, CUSTOMER_FIELDS, "customer.")
        for name in CUSTOMER_FIELDS:
            label = f"customer.{name}"
            _checked(
                faults, label, lambda n=name, lb=label: _text(customer, n, MAX_CUSTOMER_LENGTH, lb)
            )
    elif "customer" in raw:
        faults.append(("customer", "customer must be a JSON object"))
    items = raw.get("items")
    if not isinstance(items, list) or not items:
        if "items" in raw:
            faults.append(("items", "items must be a non-empty list"))
    else:
        for index, item in enumerate(items):
            faults += _item_faults(item, currency, index)
    if not faults:
        try:
            order_from_record(raw)
        except IntakeError as problem:
            faults.append(("total" if str(problem).startswith("total") else "", str(problem)))
    return faults


def _field_faults(
    record: dict[str, Any], fields: tuple[str, ...], prefix: str
) -> list[tuple[str, str]]:
    faults = [(prefix + name, "missing field") for name in fields if name not in record]
    return faults + [(prefix + name, "unknown field") for name in sorted(set(record) - set(fields))]


def _checked(faults: list[tuple[str, str]], label: str, check: Any) -> Any:
    """Run one field's check; a fault is noted under the label (once per field)."""
    if any(name == label for name, _ in faults):
        return None
    try:
        return check()
    except (IntakeError, KeyError) as problem:
        reason = "missing field" if isinstance(problem, KeyError) else str(problem)
        faults.append((label, reason))
        return None


def _known_currency(record: dict[str, Any]) -> str:
    currency = _string(record, "currency")
    try:
        minor_units(currency)
    except MoneyError:
        raise IntakeError(f"unknown currency {currency!r}") from None
    return currency


def _item_faults(raw: object, currency: str | None, index: int) -> list[tuple[str, str]]:
    label = f"items[{index}]"
    if not isinstance(raw, dict):
        return [(label, f"{label} must be a JSON object")]
    faults = _field_faults(raw, ITEM_FIELDS, f"{label}.")
    _checked(faults, f"{label}.sku", lambda: _text(raw, "sku", MAX_SKU_LENGTH, f"{label}.sku"))
    _checked(
        faults, f"{label}.name", lambda: _text(raw, "name", MAX_ITEM_NAME_LENGTH, f"{label}.name")
    )
    quantity = raw.get("quantity")
    if "quantity" in raw and (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 0 < quantity <= MAX_QUANTITY
    ):
        faults.append(
            (
                f"{label}.quantity",
                f"{label}.quantity must be a whole number from 1 to {MAX_QUANTITY}",
            )
        )
    if currency:
        price = f"{label}.unit_price"
        _checked(faults, price, lambda: _money(raw["unit_price"], currency, price))
    if not faults and currency:
        _checked(faults, label, lambda: _item(raw, currency, index))
    return faults
