"""A faithful generator of Amazon XML settlement reports, for tests, demos and benchmarks.

The layout follows the real 2011 UK report and the newer element set (docs/settlement-formats.md
sections 2 and 10): AmazonEnvelope/Message/SettlementReport with SettlementData, Order*,
Refund* (or the old Adjustment*), OtherTransaction* and optionally the newer kinds. Output is
streamed transaction by transaction. TotalAmount stands first in the file but is the sum of
everything after it, so the deterministic transaction stream is generated twice: once to sum,
once to write (no report sits in memory, whatever its size).
"""

from __future__ import annotations

import os
import random
import string
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, BinaryIO, NamedTuple
from xml.sax.saxutils import escape

from domain.money import Money, minor_units

# A node is (tag, text) for a text leaf, (tag, int) for a money leaf in minor units,
# (tag, Derived(int)) for a money leaf that restates others, or (tag, [nodes]) for a container.
Node = tuple[str, object]
# Real SKUs from the 2011 file, plus the characters a German shop's SKUs bring (escaped, UTF-8).
_SKUS = (
    *("71-SAMGT101-B2PE", "68-MAGGLASS-3x75BG,B001OQOK5U", "609132508189", "50-TPLED-2B21BG"),
    *("DE-Größe-42", "B&W-KABEL-2M"),
)
_B64 = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class Derived:
    """A money leaf that is the sum of sibling leaves (Advertising TransactionAmount)."""

    minor: int


@dataclass(frozen=True)
class GeneratedReport:
    """What was written: enough for a test to know the expected parse."""

    settlement_id: str
    currency: str
    total: Money
    amounts: int  # money leaves that count towards TotalAmount
    elements: dict[str, int]  # transaction elements written, per tag


@dataclass(frozen=True)
class SettlementSpec:
    """What to generate; the same spec (seed included) writes the same bytes."""

    orders: int
    seed: int
    currency: str = "EUR"
    settlement_id: str | None = None  # default: derived from the seed
    start: datetime = datetime(2024, 3, 1, 4, 17, 15, tzinfo=UTC)
    days: int = 14  # EndDate = start + days; DepositDate = EndDate + 2 days
    refunds_share: float = 0.05  # share of orders refunded (fully or partly) in this report
    refund_element: str = "Refund"  # "Refund" (newer files) or "Adjustment" (up to ~2014)
    other_transactions: int = 4  # cycles Subscription, Storage, reimbursement, reserve
    newer_kinds: bool = False  # add AdvertisingTransactionDetails and SellerCouponPayment
    merchant_order_ids: Sequence[str] | None = None  # one per order, e.g. ERP document numbers
    order_amounts: Sequence[Decimal | str] | None = None  # one gross Principal per order
    marketplace: str = "Amazon.de"

    def __post_init__(self) -> None:
        for name in ("merchant_order_ids", "order_amounts"):
            values = getattr(self, name)
            if values is not None and len(values) != self.orders:
                raise ValueError(f"{name} has {len(values)} entries for {self.orders} orders")
        if self.refund_element not in ("Refund", "Adjustment"):
            raise ValueError("refund_element must be 'Refund' or 'Adjustment'")
        minor_units(self.currency)  # an unknown currency fails here, not mid-file
        if self.settlement_id is None:
            generated = str(random.Random(self.seed).randrange(10**10, 10**14))  # noqa: S311
            object.__setattr__(self, "settlement_id", generated)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


def write_settlement_xml(
    target: str | os.PathLike[str] | BinaryIO, *, orders: int, seed: int, **options: Any
) -> GeneratedReport:
    """Write a settlement report whose TotalAmount is the exact sum of its counted amounts.

    Args:
        target: a file path or a binary stream (left open).
        orders, seed, options: the fields of `SettlementSpec` (currency, settlement_id,
            start, refunds_share, refund_element, merchant_order_ids, order_amounts, ...).
    """
    plan = SettlementSpec(orders=orders, seed=seed, **options)
    total, amounts, elements = 0, 0, Counter[str]()
    for node in _transactions(plan):
        node_total, node_amounts = _tally(node)
        total, amounts = total + node_total, amounts + node_amounts
        elements[node[0]] += 1
    with _binary(target) as out:
        out.write(_head(plan, total).encode())
        for node in _transactions(plan):
            out.write(_render(node, 3, plan.currency).encode())
        out.write(b"    </SettlementReport>\n  </Message>\n</AmazonEnvelope>\n")
    return GeneratedReport(
        str(plan.settlement_id),
        plan.currency,
        Money.from_minor(total, plan.currency),
        amounts,
        dict(elements),
    )


@contextmanager
def _binary(target: str | os.PathLike[str] | BinaryIO) -> Iterator[BinaryIO]:
    if isinstance(target, str | os.PathLike):
        with open(target, "wb", buffering=1 << 20) as out:
            yield out
    else:
        yield target


class _Sold(NamedTuple):
    """What a later Refund of an order needs to know about it."""

    ids: list[Node]
    item_code: str
    sku: str
    principal: int


def _transactions(plan: SettlementSpec) -> Iterator[Node]:
    """The report's transaction elements in file order, the same for the same spec."""
    rng = random.Random(plan.seed)  # noqa: S311  (test data: reproducible, not secret)
    refunds: list[_Sold] = []
    for index in range(plan.orders):
        order, sold = _order(plan, rng, index)
        yield order
        if rng.random() < plan.refunds_share:
            refunds.append(sold)
    for sold in refunds:
        yield _refund(plan, rng, sold)
    for index in range(plan.other_transactions):
        yield _other_transaction(plan, rng, index)
    if plan.newer_kinds:
        yield from _newer_kinds(plan, rng)


def _order(plan: SettlementSpec, rng: random.Random, index: int) -> tuple[Node, _Sold]:
    """An Order: AFN orders repeat the AmazonOrderID as MerchantOrderID, MFN orders have none."""
    order_id = f"{rng.randint(202, 306)}-{rng.randrange(10**7):07d}-{rng.randrange(10**7):07d}"
    afn = rng.random() < 0.7
    merchant_id = order_id if afn else None
    if plan.merchant_order_ids is not None:
        merchant_id = plan.merchant_order_ids[index]
    fixed = plan.order_amounts[index] if plan.order_amounts is not None else None
    items = [_item(plan, rng, afn, fixed) for _ in range(1 if fixed or rng.random() < 0.85 else 2)]
    ids: list[Node] = [("AmazonOrderID", order_id)]
    ids += [("MerchantOrderID", merchant_id)] if merchant_id else []
    shipment = "D" + "".join(rng.choices(string.ascii_letters + string.digits, k=8))
    fulfillment = [("MerchantFulfillmentID", "AFN" if afn else "MFN"), _posted(plan, rng)]
    body = [*ids, ("ShipmentID", shipment), ("MarketplaceName", plan.marketplace)]
    order = ("Order", [*body, ("Fulfillment", fulfillment + [item for item, _ in items])])
    return order, _Sold(ids, *items[0][1])


def _item(
    plan: SettlementSpec, rng: random.Random, afn: bool, fixed: Decimal | str | None
) -> tuple[Node, tuple[str, str, int]]:
    """An Item (prices, fees, maybe a shipping promotion) and its (code, sku, principal)."""
    quantity = 1 if fixed is not None else rng.choice((1, 1, 1, 2, 3))
    principal = rng.randint(499, 12_000) * quantity
    if fixed is not None:
        principal = Money(fixed, plan.currency).to_minor()
    shipping = 0 if afn or fixed is not None else rng.choice((0, 299, 399, 499))
    prices = [_typed("Component", "Principal", principal)]
    prices += [_typed("Component", "Shipping", shipping)] if shipping else []
    fees = [_typed("Fee", "Commission", -round((principal + shipping) * 0.15))]
    if afn:
        fees.insert(0, _typed("Fee", "FBAPerUnitFulfillmentFee", -rng.randint(150, 400) * quantity))
    elif shipping:
        fees.append(_typed("Fee", "ShippingChargeback", -rng.randint(100, shipping)))
    promotion: list[Node] = [("MerchantPromotionID", "Free shipping DE"), ("Type", "Shipping")]
    promotion += [("Amount", -shipping)]
    promotions = [("Promotion", promotion)] if shipping and rng.random() < 0.2 else []
    code, sku = f"{rng.randrange(10**14):014d}", rng.choice(_SKUS)
    fields: list[Node] = [("AmazonOrderItemCode", code), ("SKU", sku), ("Quantity", str(quantity))]
    item = ("Item", [*fields, ("ItemPrice", prices), ("ItemFees", fees), *promotions])
    return item, (code, sku, principal)


def _refund(plan: SettlementSpec, rng: random.Random, sold: _Sold) -> Node:
    """A full or partial refund of an order's first item, in the Refund/Adjustment layout."""
    refunded = sold.principal if rng.random() < 0.6 else max(1, sold.principal // 2)
    commission = round(refunded * 0.15)
    fees = [_typed("Fee", "Commission", commission)]
    fees += [_typed("Fee", "RefundCommission", -min(500, commission // 5))]
    adjusted = ("AdjustedItem", [
        ("AmazonOrderItemCode", sold.item_code),
        ("MerchantAdjustmentItemID", str(rng.randrange(10**10, 10**11))), ("SKU", sold.sku),
        ("ItemPriceAdjustments", [_typed("Component", "Principal", -refunded)]),
        ("ItemFeeAdjustments", fees),
    ])  # fmt: skip
    adjustment_id = "amzn1:crow:" + "".join(rng.choices(_B64, k=22))
    fulfillment = [("MerchantFulfillmentID", "AFN"), _posted(plan, rng), adjusted]
    body = [("AdjustmentID", adjustment_id), ("MarketplaceName", plan.marketplace)]
    return (plan.refund_element, [*sold.ids, *body, ("Fulfillment", fulfillment)])


def _other_transaction(plan: SettlementSpec, rng: random.Random, index: int) -> Node:
    """Fees, reimbursements and reserve movements, as in real OtherTransaction elements."""
    kind, amount = (
        ("Subscription Fee", -3900), ("Storage Fee", -rng.randint(100, 9000)),
        ("WAREHOUSE_DAMAGE", rng.randint(500, 4000)),
        ("Current Reserve Amount", -rng.randint(1000, 9000)),
    )[index % 4]  # fmt: skip
    transaction_id = f"{rng.randrange(10**13):013d}"
    fields = [("TransactionType", kind), ("TransactionID", transaction_id)]
    return ("OtherTransaction", [*fields, _posted(plan, rng), ("Amount", amount)])


def _newer_kinds(plan: SettlementSpec, rng: random.Random) -> Iterator[Node]:
    """Two newer elements (not in Amazon's XSD) that real files carry after OtherTransaction."""
    base, tax = -rng.randint(500, 5000), -rng.randint(50, 900)
    yield ("AdvertisingTransactionDetails", [
        ("TransactionType", "Charge"), _posted(plan, rng), ("InvoiceId", "TR1T7Y2NB-1"),
        ("BaseAmount", base), ("TaxAmount", tax), ("TransactionAmount", Derived(base + tax)),
    ])  # fmt: skip
    yield ("SellerCouponPayment", [
        _posted(plan, rng), ("TransactionType", "CouponRedemptionFee"),
        ("PaymentReason", "Coupon clip"), _typed("CouponFee", "Fee", -60), ("Count", "1"),
        ("CouponID", "A1B2C3D4E5F6G7"), ("MarketplaceName", plan.marketplace),
    ])  # fmt: skip


def _typed(tag: str, kind: str, minor: int) -> Node:
    return (tag, [("Type", kind), ("Amount", minor)])


def _posted(plan: SettlementSpec, rng: random.Random) -> Node:
    seconds = rng.randrange(int((plan.end - plan.start).total_seconds()))
    return ("PostedDate", _date(plan.start + timedelta(seconds=seconds)))


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _tally(node: Node) -> tuple[int, int]:
    """Sum and count of the money leaves that count towards TotalAmount."""
    _tag, content = node
    if isinstance(content, int):
        return content, 1
    if isinstance(content, list):
        sums = [_tally(child) for child in content]
        return sum(s for s, _ in sums), sum(c for _, c in sums)
    return 0, 0


def _head(plan: SettlementSpec, total: int) -> str:
    deposit = plan.end + timedelta(days=2)
    data = (
        "SettlementData",
        [
            ("AmazonSettlementID", plan.settlement_id),
            ("TotalAmount", total),
            ("StartDate", _date(plan.start)),
            ("EndDate", _date(plan.end)),
            ("DepositDate", _date(deposit)),
        ],
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">\n'
        "  <Header>\n    <DocumentVersion>3.01</DocumentVersion>\n"
        "    <MerchantIdentifier>M_SANDBOX_000001</MerchantIdentifier>\n  </Header>\n"
        "  <MessageType>SettlementReport</MessageType>\n"
        "  <Message>\n    <MessageID>1</MessageID>\n    <SettlementReport>\n"
        + _render(data, 3, plan.currency)
    )


def _render(node: Node, depth: int, currency: str) -> str:
    """The node as indented XML (2 spaces per level, LF), as the real reports are written."""
    parts: list[str] = []
    _render_into(parts, node, depth, currency, minor_units(currency))
    return "".join(parts)


def _render_into(parts: list[str], node: Node, depth: int, currency: str, decimals: int) -> None:
    tag, content = node
    pad = "  " * depth
    if isinstance(content, list):
        parts.append(f"{pad}<{tag}>\n")
        for child in content:
            _render_into(parts, child, depth + 1, currency, decimals)
        parts.append(f"{pad}</{tag}>\n")
    elif isinstance(content, int | Derived):
        minor = content if isinstance(content, int) else content.minor
        text = _decimal_text(minor, decimals)
        parts.append(f'{pad}<{tag} currency="{currency}">{text}</{tag}>\n')
    else:
        parts.append(f"{pad}<{tag}>{escape(str(content))}</{tag}>\n")


def _decimal_text(minor: int, decimals: int) -> str:
    """Minor units as the reports write them: '-0.72', '742.76', '0.00' (no separators)."""
    if decimals == 0:
        return str(minor)
    whole, fraction = divmod(abs(minor), 10**decimals)
    return f"{'-' if minor < 0 else ''}{whole}.{fraction:0{decimals}d}"
