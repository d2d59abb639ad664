"""One XML settlement transaction (Order, Refund, OtherTransaction, ...) to rows of the frame.

A transaction element is read by tag, never by position: its fields and money leaves are
collected first, then labelled, because optional and newer children appear in any order.
Every element with a `currency` attribute becomes one row, except two documented restatements
that would count money twice (see `_drop_restatements`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import cast

from lxml import etree

from adapters.settlement_formats.values import check_text, missing_timestamp_ns, timestamp_ns, where
from domain.settlement.model import MAX_ID_CHARS, ReportError

# Transaction element -> transaction kind of the frame.
KIND_OF_ELEMENT: dict[str, str] = {
    "Order": "order",
    "Adjustment": "refund",  # the old (<= 2014) name of Refund
    "Refund": "refund",
    "Chargeback": "chargeback",
    "GuaranteeClaim": "guarantee_claim",
    "OtherTransaction": "other",
    "OtherFee": "other",
    "MiscEvent": "other",
    "AdvertisingTransactionDetails": "other",
    "SellerCouponPayment": "other",
    "SellerDealPayment": "other",
    "Retrocharge": "other",
    "RetrochargeReversal": "other",
    "Liquidations": "other",
    "TaxWithholding": "other",
}
# Transactions whose own amount is booked as a plain "Other" amount (as flat file V2 does).
_OTHER_GROUP = frozenset({"OtherTransaction", "OtherFee", "MiscEvent"})
_ITEMS = frozenset({"Item", "AdjustedItem", "OtherTransactionItem"})
_RESTATING = frozenset({"AdvertisingTransactionDetails", "OtherTransaction"})
# The transaction's own id, first present wins; without one, "line-<n>" names it.
_ID_FIELDS = ("TransactionID", "AdjustmentID", "ShipmentID", "InvoiceId", "CouponID", "DealID")
_LINED = frozenset({"PostedDate", "Quantity"})  # fields whose line an error message may need
# Fields that become the frame's identifiers: transaction id, Amazon and merchant order id, sku.
_IDS = frozenset(
    {*_ID_FIELDS, "AmazonOrderID", "OrderId", "MerchantOrderID", "SellerOrderId", "SKU"}
)
_FIELDS = frozenset(
    {
        *_ID_FIELDS,
        *_LINED,
        *("AmazonOrderID", "OrderId", "MerchantOrderID", "SellerOrderId", "TransactionType"),
        *("AmazonOrderItemCode", "MerchantOrderItemID", "MerchantAdjustmentItemID", "SKU"),
    }
)
# Known children that the frame has no column for: not counted as skipped.
_IGNORED = frozenset(
    {
        *("MarketplaceName", "MerchantFulfillmentID", "MerchantPromotionID"),
        *("ReasonDescription", "PaymentReason", "DealDescription", "Count"),
    }
)
_TYPED = frozenset({"Component", "Fee"})  # {Type, Amount}: the group is their parent's tag
_LOCAL: dict[str, str] = {}  # tag -> local name (namespaced documents), filled as met
_LOCAL_LIMIT = 4096  # untrusted files may invent tags: the cache must not grow without end


def line_of(element: etree._Element) -> int | None:
    """The element's line in the source (lxml-stubs leave `sourceline` untyped)."""
    return cast(int | None, element.sourceline)


def local_name(tag: str) -> str:
    """The tag without its namespace; cached, since a report repeats a few dozen tags."""
    if tag[0] != "{":  # no namespace: the tag is the name
        return tag
    name = _LOCAL.get(tag)
    if name is None:
        name = tag[tag.rfind("}") + 1 :]
        if len(_LOCAL) < _LOCAL_LIMIT:
            _LOCAL[tag] = name
    return name


@dataclass
class Unit:
    """A transaction or one of its items: text fields and money leaves.

    Fields are stripped text (None when empty). A money leaf is [element name, text, currency,
    line, amount_group, amount_type]; a group or type of None is decided by the unit.
    """

    name: str
    fields: dict[str, str | None] = field(default_factory=dict)
    lines: dict[str, object] = field(default_factory=dict)  # line numbers, for messages
    amounts: list[list[object]] = field(default_factory=list)
    items: list[Unit] = field(default_factory=list)


def read_transaction(element: etree._Element, name: str, skipped: Counter[str]) -> Unit:
    """Collect a transaction element's fields, items and money leaves."""
    unit = Unit(name)
    _walk(element, name, name, unit, name, skipped)
    return unit


def _walk(
    element: etree._Element,
    name: str,
    parent: str,
    unit: Unit,
    transaction: str,
    skipped: Counter[str],
) -> None:
    """Collect fields and money leaves of `element` (tag `name`, inside `parent`) into `unit`."""
    own_type: str | None = None
    direct: list[list[object]] = []
    for child in element:
        tag = child.tag
        local = tag if tag[0] != "{" else local_name(tag)
        if local in _FIELDS:  # the commonest leaves first: ids, dates, SKU
            if local not in unit.fields:
                text = child.text
                value = text.strip() or None if text is not None else None
                if value is not None and local in _IDS and len(value) > MAX_ID_CHARS:
                    check_text(value, line_of(child), f"{name}/{local}", MAX_ID_CHARS)  # raises
                unit.fields[local] = value
                if local in _LINED:
                    unit.lines[local] = child.sourceline
            continue
        currency = child.get("currency")
        if currency is not None:
            direct.append([local, child.text, currency, child.sourceline, None, None])
        elif len(child):
            if local in _TYPED and _read_typed(child, name, unit):
                continue
            if local in _ITEMS:
                item = Unit(local)
                unit.items.append(item)
                _walk(child, local, name, item, transaction, skipped)
            else:
                _walk(child, local, name, unit, transaction, skipped)
        elif local == "Type":
            own_type = child.text
        elif local not in _IGNORED:
            skipped[f"{transaction}/{local}"] += 1
    if direct:
        _label(direct, name, parent, own_type, is_unit=name == unit.name)
        unit.amounts += direct


def _read_typed(element: etree._Element, parent: str, unit: Unit) -> bool:
    """Fast path for the commonest shape, Component/Fee = (Type, Amount); False if not it."""
    if len(element) != 2:
        return False
    kind, amount = element
    currency = amount.get("currency")
    if currency is None or len(kind) or local_name(kind.tag) != "Type":
        return False
    text = kind.text
    leaf = local_name(amount.tag)
    line = amount.sourceline
    unit.amounts.append([leaf, amount.text, currency, line, parent, text and text.strip()])
    return True


def _label(
    amounts: list[list[object]], name: str, parent: str, own_type: str | None, *, is_unit: bool
) -> None:
    """Set group and type of the money leaves found directly in one element."""
    for amount in amounts:
        leaf = amount[0]
        if own_type is not None:  # Component/Fee{Type, Amount}, Promotion, CouponFee, ...
            amount[4] = parent if name in _TYPED else name
            amount[5] = own_type.strip()
        elif is_unit:  # OtherTransaction/Amount, Advertising/BaseAmount: the unit decides
            amount[5] = None if leaf == "Amount" else leaf
        else:  # an untyped container such as Retrocharge/BaseTax/Amount
            amount[5] = name if leaf == "Amount" else leaf


def transaction_values(unit: Unit, line: int | None) -> tuple[object, ...]:
    """(kind, type, amazon order id, merchant order id, transaction id, posted_at ns)."""
    fields = unit.fields
    transaction_type = fields.get("TransactionType") or unit.name
    transaction_id = next(filter(None, map(fields.get, _ID_FIELDS)), None) or f"line-{line}"
    return (
        _kind(unit.name, transaction_type),
        transaction_type,
        fields.get("AmazonOrderID") or fields.get("OrderId"),
        fields.get("MerchantOrderID") or fields.get("SellerOrderId"),
        transaction_id,
        _posted_ns(unit),
    )


def unit_values(unit: Unit, item_id: str | None) -> tuple[object, ...]:
    """(merchant reference id, sku, item id, quantity) of a transaction or item."""
    fields = unit.fields
    reference = fields.get("MerchantAdjustmentItemID") or fields.get("MerchantOrderItemID")
    return reference, fields.get("SKU"), item_id, _quantity(unit)


def units_with_item_ids(unit: Unit, skipped: Counter[str]) -> list[tuple[Unit, str, str | None]]:
    """The transaction and its items, each with its amount group and its item id.

    A quantity split into several Items repeats the item code (real 2011 file); the repeats
    are numbered "<code>#2", "#3", so (transaction, item, amount type) stays unique.
    """
    if unit.name in _RESTATING:
        _drop_restatements(unit, skipped)
    group = "Other" if unit.name in _OTHER_GROUP else unit.name
    result = [(unit, group, unit.fields.get("AmazonOrderItemCode"))]
    seen: dict[str, int] = {}
    for item in unit.items:
        code = item.fields.get("AmazonOrderItemCode")
        if code is not None:
            count = seen[code] = seen.get(code, 0) + 1
            code = code if count == 1 else f"{code}#{count}"
        result.append((item, item.name, code))
    return result


def _kind(name: str, transaction_type: str) -> str:
    kind = KIND_OF_ELEMENT[name]
    if kind == "other" and "reserve" in transaction_type.lower():
        return "reserve"  # "Current Reserve Amount", "Previous Reserve Amount Balance"
    return kind


def _drop_restatements(unit: Unit, skipped: Counter[str]) -> None:
    """Move amounts that restate others out of the rows (counted as skipped), so the rows
    sum to TotalAmount.

    AdvertisingTransactionDetails/TransactionAmount is BaseAmount + TaxAmount (Finances API
    ProductAdsPaymentEvent), and OtherTransactionItem/Amount breaks OtherTransaction/Amount
    down per SKU: the parts (resp. the total) stay.
    """
    leaves = [amount[0] for amount in unit.amounts]
    if unit.name == "AdvertisingTransactionDetails" and "BaseAmount" in leaves:
        kept = [amount for amount in unit.amounts if amount[0] != "TransactionAmount"]
        skipped[f"{unit.name}/TransactionAmount"] += len(unit.amounts) - len(kept)
        unit.amounts = kept
    elif unit.name == "OtherTransaction" and "Amount" in leaves:
        breakdown = [item for item in unit.items if item.name == "OtherTransactionItem"]
        for item in breakdown:
            skipped["OtherTransaction/OtherTransactionItem/Amount"] += len(item.amounts)
            item.amounts = []
        if len(breakdown) == 1:  # one SKU: the transaction's amount is that SKU's
            for name in ("SKU", "Quantity"):
                unit.fields.setdefault(name, breakdown[0].fields.get(name))
                unit.lines.setdefault(name, breakdown[0].lines.get(name))


def _posted_ns(unit: Unit) -> int:
    text = unit.fields.get("PostedDate")
    if text is None:
        return missing_timestamp_ns()
    line = cast(int | None, unit.lines.get("PostedDate"))
    return timestamp_ns(text, line, f"{unit.name}/PostedDate")


def _quantity(unit: Unit) -> int | None:
    text = unit.fields.get("Quantity")
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        field_name = f"{unit.name}/Quantity"
        line = cast(int | None, unit.lines.get("Quantity"))
        raise ReportError(f"{where(line, field_name)}: expected a whole number, got {text!r}")
    return int(text)
