"""The demo's summary: final statuses, Amazon calls, and invariants checked against the sandbox."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from adapters.erp.demo_view import booked_facts, store_facts
from domain.money import Money


def _amount(price: dict[str, str] | None) -> Decimal:
    return Decimal(price["amount"]) if price else Decimal(0)


def store_view(engine: Engine) -> dict[str, Any]:
    """What the ERP store says: orders with status and amounts, refunds per credit note, calls."""
    facts = store_facts(engine)
    return {
        "orders": [
            {
                "number": order.number,
                "status": order.payment_status,
                "captured": Money.from_minor(order.captured_minor, order.currency).amount,
                "refunded": Money.from_minor(order.refunded_minor, order.currency).amount,
                "permission": order.charge_permission,
            }
            for order in facts.orders
        ],
        "calls": facts.calls,
        "refunds": facts.refunds,
    }


def invariants(store: dict[str, Any], ledger: dict[str, Any]) -> dict[str, bool]:
    """Compare the ERP store with the sandbox's ledger, document by document."""
    captured: dict[str, Decimal] = defaultdict(Decimal)
    captures: Counter[str] = Counter()
    charge_permission: dict[str, str] = {}
    for charge in ledger["charges"]:
        charge_permission[charge["chargeId"]] = charge["chargePermissionId"]
        if charge["statusDetails"]["state"] == "Captured":
            captured[charge["chargePermissionId"]] += _amount(charge.get("captureAmount"))
            captures[charge["chargePermissionId"]] += 1
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    for refund in ledger["refunds"]:
        if refund["statusDetails"]["state"] == "Refunded":
            permission = charge_permission[refund["chargeId"]]
            refunded[permission] += _amount(refund["refundAmount"])
    orders = store["orders"]
    return {
        "captures_match_activations": all(
            o["captured"] == captured[o["permission"]] for o in orders
        ),
        "refund_totals_match": all(o["refunded"] == refunded[o["permission"]] for o in orders),
        "no_duplicate_captures": all(count == 1 for count in captures.values()),
        "no_duplicate_refunds": len(ledger["refunds"]) == store["refunds"],
    }


def settlement_view(engine: Engine, reports: list[bytes]) -> dict[str, Any]:
    """Payments and review rows booked from the settlement reports, beside the reports' rows."""
    from adapters.settlement_formats.parse import parse_report

    frames = [parse_report(data).frame for data in reports]
    booked = booked_facts(engine)
    fee_rows = sum(int(f.loc[f["amount_group"] == "Fee", "amount_minor"].sum()) for f in frames)
    total = sum(int(f["amount_minor"].sum()) for f in frames)
    return {
        "payments": booked.payments,
        "booked": booked.booked_minor,
        "review": booked.review_minor,
        "fees": fee_rows,
        "total": total,
    }


def settlement_balances(view: dict[str, Any], fee_account: str) -> bool:
    """Payments and fees posted equal the reports' amounts, to the cent; nothing is lost."""
    booked = view["booked"]
    everything = sum(booked.values()) + view["review"] == view["total"]
    return bool(view["payments"]) and everything and booked.get(fee_account, 0) == view["fees"]


def summary(
    store: dict[str, Any], ledger: dict[str, Any], settled: dict[str, Any], fee_account: str
) -> dict[str, Any]:
    """The demo's JSON object."""
    checks = invariants(store, ledger)
    checks["settlement_balances"] = settlement_balances(settled, fee_account)
    return {
        "orders": len(store["orders"]),
        "status_counts": dict(sorted(Counter(o["status"] for o in store["orders"]).items())),
        "amazon_calls": dict(sorted(store["calls"].items())),
        "payments_posted": settled["payments"],
        "invariants": checks,
    }


def readable(result: dict[str, Any]) -> str:
    """The summary as a few lines for a person."""
    lines = [f"{result['orders']} orders pushed through the sandbox", "", "final status:"]
    lines += [f"  {status:<24} {count:>4}" for status, count in result["status_counts"].items()]
    types = result.get("document_types", {}).items()
    lines += ["", "document types (as the ERP sees them):"]
    lines += [f"  {name:<24} {count:>4}" for name, count in types]
    lines += ["", "Amazon calls:"]
    lines += [f"  {op:<24} {count:>4}" for op, count in result["amazon_calls"].items()]
    lines += ["", f"payments posted from the settlement report: {result['payments_posted']}"]
    lines += ["", "invariants (ERP store vs sandbox ledger):"]
    checks = result["invariants"].items()
    lines += [f"  {name:<28} {'ok' if ok else 'BROKEN'}" for name, ok in checks]
    return "\n".join(lines)
