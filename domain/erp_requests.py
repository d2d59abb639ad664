"""The ERP's requests on a document, read from JSON: a change, a return, a cancellation.

Each reader returns the request, or the list of (field, reason) at fault: every field, not only
the first, so the ERP can correct them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.documents import Document, Item
from domain.intake import MAX_NUMBER_LENGTH, MAX_QUANTITY, MAX_SKU_LENGTH
from domain.money import Money
from domain.order_fields import field_errors

Faults = list[tuple[str, str]]


@dataclass(frozen=True)
class Change:
    """New article lines and/or a new shipping amount (None: kept as they are)."""

    items: list[Item] | None
    shipping: Money | None


@dataclass(frozen=True)
class ReturnLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Return:
    """The returns function's request: which lines come back, and the shipping with them."""

    number: str | None
    lines: list[ReturnLine]
    shipping: bool

    def quantities(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for line in self.lines:
            merged[line.sku] = merged.get(line.sku, 0) + line.quantity
        return merged


def read_change(raw: object, document: Document) -> Change | Faults:
    """A change of `document`: its `items` (the intake's item fields) and/or `shipping`."""
    if not isinstance(raw, dict):
        return [("", "the body must be a JSON object")]
    faults: Faults = [(name, "unknown field") for name in sorted(set(raw) - {"items", "shipping"})]
    if not {"items", "shipping"} & set(raw):
        faults.append(("items", "give items and/or shipping"))
    if faults:
        return faults
    # The intake's own checks, on the order as it would be after the change.
    record: dict[str, Any] = {
        "number": document.number,
        "currency": document.currency,
        "charge_permission_id": "-",
        "charge_id": None,
        "items": raw.get("items", [_item_json(item) for item in document.items]),
        "shipping": raw.get("shipping", str(document.shipping.amount)),
        "customer": {"name": "-", "email": "-"},
    }
    faults = field_errors(record)
    if faults:
        return faults
    items = None
    if "items" in raw:
        items = [
            Item(i["sku"], i["name"], i["quantity"], Money(i["unit_price"], document.currency))
            for i in raw["items"]
        ]
    shipping = Money(raw["shipping"], document.currency) if "shipping" in raw else None
    return Change(items, shipping)


def read_return(raw: object) -> Return | Faults:
    """`{"number": "<credit note>"?, "items": [{"sku", "quantity"}], "shipping": bool}`."""
    if not isinstance(raw, dict):
        return [("", "the body must be a JSON object")]
    known = {"number", "items", "shipping"}
    faults: Faults = [(name, "unknown field") for name in sorted(set(raw) - known)]
    number = raw.get("number")
    if number is not None and (
        not isinstance(number, str)
        or not number.strip()
        or len(number) > MAX_NUMBER_LENGTH
        or not number.isprintable()
    ):
        faults.append(("number", f"a credit note number is 1 to {MAX_NUMBER_LENGTH} characters"))
    shipping = raw.get("shipping", False)
    if not isinstance(shipping, bool):
        faults.append(("shipping", "shipping must be true or false"))
    items = raw.get("items", [])
    lines: list[ReturnLine] = []
    if not isinstance(items, list):
        faults.append(("items", "items must be a list"))
        items = []
    for index, item in enumerate(items):
        line = _return_line(item, f"items[{index}]", faults)
        if line:
            lines.append(line)
    if not faults and not lines and not shipping:
        faults.append(("items", "nothing is returned: give items and/or shipping"))
    return faults or Return(number, lines, bool(shipping))


def read_cancellation(raw: object) -> tuple[list[str], Faults]:
    """`{}` for the whole order, `{"items": [...]}` for single items (which Amazon cannot):
    the SKUs asked for, and the fields at fault."""
    if not isinstance(raw, dict):
        return [], [("", "the body must be a JSON object")]
    faults: Faults = [(name, "unknown field") for name in sorted(set(raw) - {"items"})]
    items = raw.get("items") or []
    if not isinstance(items, list):
        return [], faults + [("items", "items must be a list")]
    return [str(i.get("sku") if isinstance(i, dict) else i) for i in items], faults


def _return_line(raw: object, label: str, faults: Faults) -> ReturnLine | None:
    if not isinstance(raw, dict):
        faults.append((label, f"{label} must be a JSON object"))
        return None
    faults += [
        (f"{label}.{name}", "unknown field") for name in sorted(set(raw) - {"sku", "quantity"})
    ]
    sku, quantity = raw.get("sku"), raw.get("quantity")
    ok = True
    if not isinstance(sku, str) or not sku.strip() or len(sku) > MAX_SKU_LENGTH:
        faults.append((f"{label}.sku", f"a sku is 1 to {MAX_SKU_LENGTH} characters"))
        ok = False
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 0 < quantity <= MAX_QUANTITY
    ):
        faults.append((f"{label}.quantity", "quantity must be a positive whole number"))
        ok = False
    return ReturnLine(str(sku), int(quantity)) if ok else None  # type: ignore[arg-type]


def _item_json(item: Item) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "name": item.name,
        "quantity": item.quantity,
        "unit_price": str(item.unit_price.amount),
    }
